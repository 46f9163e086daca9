#include "base_run.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "hlslim/util/errors.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

[[noreturn]] void refuse(const fs::path& base, const std::string& why) {
  throw Error("--base '" + base.string() + "' " + why, kExitRunDir);
}

// Whether `inner` is `outer` or lies below it (both canonical).
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

// Takes a shared lock on BASE/run.lock without waiting. A base without run.lock was never run
// by a version that locks, and nothing is locked.
ReadLock lock_for_reading(const fs::path& base) {
  const fs::path path = base / "run.lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return ReadLock();
    refuse(base, std::string("cannot be locked for reading: run.lock: ") + std::strerror(errno));
  }
  ReadLock lock(fd);
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return lock;  // no flock() on this file system: go on unlocked
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
    const long pid = n > 0 ? std::strtol(text, nullptr, 10) : 0;
    refuse(base, "is in use by another hlslim run" +
                     (pid > 0 ? " (pid " + std::to_string(pid) + ")" : std::string()) +
                     "; wait for it to end");
  }
  return lock;
}

}  // namespace

ReadLock& ReadLock::operator=(ReadLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

ReadLock::~ReadLock() {
  if (fd_ >= 0) ::close(fd_);
}

BaseRun open_base_run(const fs::path& base, const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::exists(base, ec)) refuse(base, "does not exist");
  if (!fs::is_directory(base, ec)) refuse(base, "is not a directory");
  const fs::path real_base = fs::weakly_canonical(base);
  const fs::path real_run = fs::weakly_canonical(run_dir);
  if (real_base == real_run) {
    refuse(base,
           "is the run directory itself; a variant goes into a directory of its own "
           "(--output NEW), or continue this run with --resume");
  }
  if (within(real_run, real_base) || within(real_base, real_run)) {
    refuse(base, "and the run directory '" + run_dir.string() +
                     "' lie one inside the other; choose separate directories");
  }
  if (!fs::exists(base / "manifest.json", ec)) {
    refuse(base, "holds no manifest.json: it is not an hlslim run directory");
  }
  BaseRun out;
  out.dir = base;
  out.lock = lock_for_reading(base);
  try {
    out.manifest = Manifest::load(base / "manifest.json");
  } catch (const Error& e) {
    refuse(base, std::string("cannot be used: ") + e.what());
  }
  std::size_t completed = 0;
  for (const auto& record : out.manifest.stages) {
    switch (record.status) {
      case StageStatus::kRunning:
      case StageStatus::kInterrupted:
        refuse(base, "did not end: stage '" + record.name + "' is " + status_name(record.status) +
                         "; finish it first (hlslim run CONFIG --output " + base.string() +
                         " --resume) or choose another base");
      case StageStatus::kFailed:
        refuse(base, "ended with stage '" + record.name +
                         "' failed; fix and resume it first, or choose another base");
      case StageStatus::kCompleted:
        ++completed;
        break;
      case StageStatus::kPending:
        break;
    }
  }
  if (out.manifest.status == RunStatus::kInterrupted || out.manifest.status == RunStatus::kFailed) {
    refuse(base, std::string("did not end cleanly: its manifest says it ") +
                     (out.manifest.status == RunStatus::kFailed ? "failed" : "was interrupted") +
                     "; finish it first with --resume, or choose another base");
  }
  if (out.manifest.status == RunStatus::kRunning) {
    refuse(base,
           "did not end: its manifest says it is still running (a run that was killed); "
           "finish it first with --resume, or choose another base");
  }
  if (completed == 0) refuse(base, "has no completed stage to reuse");
  return out;
}

}  // namespace hlslim
