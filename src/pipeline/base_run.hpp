#pragma once

// The base run of `hlslim run --base OLD`: an earlier run directory whose matching stages a new
// run links instead of running them again. Only read, never written.
#include <filesystem>

#include "hlslim/pipeline/manifest.hpp"

namespace hlslim {

/// A shared flock() on a run directory's run.lock, opened read-only: runs that only read the
/// directory share it, while a run that writes there (which takes it exclusively) waits for or
/// refuses them. Released when destroyed.
class ReadLock {
 public:
  ReadLock() = default;
  explicit ReadLock(int fd) : fd_(fd) {}
  ReadLock(ReadLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ReadLock& operator=(ReadLock&& other) noexcept;
  ReadLock(const ReadLock&) = delete;
  ReadLock& operator=(const ReadLock&) = delete;
  ~ReadLock();

 private:
  int fd_ = -1;
};

/// An opened base run: its absolute directory, its manifest and the lock that keeps other runs
/// from changing it.
struct BaseRun {
  std::filesystem::path dir;
  Manifest manifest;
  ReadLock lock;
};

/// Opens `base` for a run into `run_dir` (both absolute). Throws hlslim::Error (exit code 3)
/// saying why and what to do when it cannot serve as a base: missing or not a directory; the
/// same directory as `run_dir`, or one inside the other; no valid hlslim manifest; in use by
/// another run; a run that did not end cleanly (a stage running, interrupted or failed);
/// nothing completed.
BaseRun open_base_run(const std::filesystem::path& base, const std::filesystem::path& run_dir);

}  // namespace hlslim
