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

int open_lock_file(const std::filesystem::path& path) {
  // Never through a symlink: the pid written below would overwrite its target.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    throw Error("cannot open the lock file '" + path.string() + "': " + std::strerror(errno),
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

}  // namespace

FileLock::FileLock(const std::filesystem::path& path) : fd_(open_lock_file(path)) {
  while (::flock(fd_, LOCK_EX) != 0) {
    if (flock_unsupported(errno)) {
      spdlog::warn("the file system of '{}' has no flock(); going on without the lock",
                   path.string());
      return;
    }
    if (errno != EINTR) {
      const int error = errno;
      ::close(fd_);
      throw Error("cannot lock '" + path.string() + "': " + std::strerror(error), kExitRunDir);
    }
  }
}

std::optional<FileLock> FileLock::try_lock(const std::filesystem::path& path, long* holder) {
  const int fd = open_lock_file(path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error == EWOULDBLOCK) {
      if (holder) *holder = read_pid(fd);
      ::close(fd);
      return std::nullopt;
    }
    if (flock_unsupported(error)) {
      spdlog::warn(
          "the file system of '{}' has no flock(); going on without the lock, so nothing stops "
          "a second run into the same directory",
          path.string());
      return FileLock(fd);
    }
    ::close(fd);
    throw Error("cannot lock '" + path.string() + "': " + std::strerror(error), kExitRunDir);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The pid only helps the message of a run that finds the lock taken; failing to write it is
  // not a reason to stop.
  if (::ftruncate(fd, 0) == 0) {
    const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)written;
  }
  return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace hlslim
