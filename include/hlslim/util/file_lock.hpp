#pragma once

// Exclusive advisory locks on a file (flock). The kernel releases a flock() lock when its
// process dies, however it dies, so a killed run never leaves a directory locked.
#include <filesystem>
#include <optional>

namespace hlslim {

class FileLock {
 public:
  /// Takes the lock on `path` (created if missing), waiting for its holder when it is held.
  /// Throws hlslim::Error (exit code 3) when the file cannot be opened or locked.
  explicit FileLock(const std::filesystem::path& path);

  /// Takes the lock without waiting and writes this process's id into the file. Returns
  /// nothing when another process holds it; `holder` then receives the pid that process wrote
  /// (0 when it wrote none). Throws hlslim::Error (exit code 3) when the file cannot be opened.
  static std::optional<FileLock> try_lock(const std::filesystem::path& path, long* holder);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace hlslim
