#include "hlslim/util/file_lock.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// Whether `error` says that a file cannot be created because its directory is not writable.
bool not_writable(int error) {
  return error == EACCES || error == EPERM || error == EROFS;
}

// Opens the lock file, created if missing: read-write for an exclusive lock, read-only for a
// shared one, whose holder never writes it. A shared lock on a missing file that cannot be
// created (its directory is not writable) gives -1, after a warning.
int open_lock_file(const std::filesystem::path& path, bool shared) {
  // Never through a symlink: the pid an exclusive holder writes would overwrite its target.
  int fd = shared ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                  : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  // A reader creates a missing file too: a writer that came later would otherwise create and
  // lock a file that this reader never locked.
  if (fd < 0 && shared && errno == ENOENT) {
    fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && not_writable(errno)) {
      const int error = errno;
      spdlog::warn(
          "'{}' is missing and cannot be created ({}): '{}' is read without a lock, so nothing "
          "stops a run into that directory while this one reads it",
          path.string(), std::strerror(error), path.parent_path().string());
      return -1;
    }
  }
  if (fd < 0) {
    const int error = errno;
    throw Error("cannot open the lock file '" + path.string() + "': " + std::strerror(error),
                kExitRunDir);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error("the lock file '" + path.string() + "' is not a regular file", kExitRunDir);
  }
  return fd;
}

// Some cluster file systems (Lustre without its flock option, some NFS setups) have no flock.
bool flock_unsupported(int error) {
  return error == ENOSYS || error == ENOLCK || error == EOPNOTSUPP;
}

// The pid a holder wrote, or 0 when the file holds none (yet).
long read_pid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return 0;
  char* end = nullptr;
  const long pid = std::strtol(text, &end, 10);
  return end != text && pid > 0 ? pid : 0;
}

// Takes `operation` (LOCK_EX or LOCK_SH) on `fd` without waiting. Returns true when taken, or
// when the file system has no flock() (after a warning: nothing is locked then); false when
// another process holds the lock. Closes `fd` and throws hlslim::Error on any other failure.
bool try_flock(int fd, int operation, const std::filesystem::path& path) {
  while (::flock(fd, operation | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EWOULDBLOCK) return false;
    if (flock_unsupported(error)) {
      spdlog::warn(
          "the file system of '{}' has no flock(); going on without the lock, so nothing stops "
          "{}",
          path.string(),
          operation == LOCK_SH ? "a run into that directory while this one reads it"
                               : "a second run into the same directory");
      return true;
    }
    ::close(fd);
    throw Error("cannot lock '" + path.string() + "': " + std::strerror(error), kExitRunDir);
  }
  return true;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path) : fd_(open_lock_file(path, false)) {
  while (::flock(fd_, LOCK_EX) != 0) {
    if (flock_unsupported(errno)) {
      spdlog::warn("the file system of '{}' has no flock(); going on without the lock",
                   path.string());
      return;
    }
    if (errno != EINTR) {
      const int error = errno;
      ::close(fd_);
      fd_ = -1;
      throw Error("cannot lock '" + path.string() + "': " + std::strerror(error), kExitRunDir);
    }
  }
}

std::optional<FileLock> FileLock::try_lock(const std::filesystem::path& path, LockHolder& holder) {
  const int fd = open_lock_file(path, false);
  if (!try_flock(fd, LOCK_EX, path)) {
    // Readers hold it shared and write no pid: whatever pid the file still holds is not theirs.
    // A shared lock taken now is taken only if no writer holds the lock.
    holder = LockHolder();
    if (try_flock(fd, LOCK_SH, path)) {
      holder.readers = true;
    } else {
      holder.pid = read_pid(fd);
    }
    ::close(fd);
    return std::nullopt;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The pid only helps the message of a run that finds the lock taken; failing to write it is
  // not a reason to stop.
  if (::ftruncate(fd, 0) == 0) {
    const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)written;
  }
  return FileLock(fd, true);
}

std::optional<FileLock> FileLock::try_lock(const std::filesystem::path& path, long* holder) {
  LockHolder who;
  std::optional<FileLock> lock = try_lock(path, who);
  if (!lock && holder) *holder = who.pid;
  return lock;
}

std::optional<FileLock> FileLock::try_lock_shared(const std::filesystem::path& path, long* holder) {
  const int fd = open_lock_file(path, true);
  if (fd < 0) return FileLock(-1, false);
  if (!try_flock(fd, LOCK_SH, path)) {
    if (holder) *holder = read_pid(fd);
    ::close(fd);
    return std::nullopt;
  }
  return FileLock(fd, false);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_), wrote_pid_(other.wrote_pid_) {
  other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    wrote_pid_ = other.wrote_pid_;
    other.fd_ = -1;
  }
  return *this;
}

void FileLock::release() noexcept {
  if (fd_ < 0) return;
  // Still under the lock: the next holder writes its own pid only after this close.
  if (wrote_pid_) {
    const int cleared = ::ftruncate(fd_, 0);
    (void)cleared;
  }
  ::close(fd_);
  fd_ = -1;
}

FileLock::~FileLock() {
  release();
}

}  // namespace hlslim
