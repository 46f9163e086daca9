#pragma once

// Advisory locks on a file (flock): exclusive for a process that writes what the file guards,
// shared for processes that only read it. The kernel releases a flock() lock when its process
// dies, however it dies, so a killed run never leaves a directory locked.
#include <filesystem>
#include <optional>

namespace hlslim {

/// Who holds a lock that could not be taken.
struct LockHolder {
  /// The pid the exclusive holder wrote into the file; 0 when it wrote none, or when the
  /// holders are readers.
  long pid = 0;
  /// Whether the holders hold the lock shared (readers, which write no pid).
  bool readers = false;
};

class FileLock {
 public:
  /// Takes the lock on `path` exclusively (the file is created if missing), waiting for its
  /// holders when it is held. Throws hlslim::Error (exit code 3) when the file cannot be opened
  /// or locked.
  explicit FileLock(const std::filesystem::path& path);

  /// Takes the lock exclusively without waiting and writes this process's id into the file (the
  /// file is created if missing; the id is cleared again on release). Returns nothing when
  /// other processes hold it; `holder` then says who. Throws hlslim::Error (exit code 3) when
  /// the file cannot be opened or locked. On a file system without flock() it warns and returns
  /// a lock that locks nothing.
  static std::optional<FileLock> try_lock(const std::filesystem::path& path, LockHolder& holder);

  /// As above; `holder` (when not null) receives only the pid (0 when readers hold the lock).
  static std::optional<FileLock> try_lock(const std::filesystem::path& path, long* holder);

  /// Takes the lock shared, without waiting, through a read-only descriptor: never writes the
  /// file, but creates it (empty) if missing, so that a writer coming later locks the same file.
  /// Returns nothing when a process holds it exclusively; `holder` (when not null) then receives
  /// the pid that process wrote (0 when it wrote none). Throws hlslim::Error (exit code 3) when
  /// the file cannot be opened or locked. Warns and returns a lock that locks nothing on a file
  /// system without flock(), and when the file is missing and its directory is not writable.
  static std::optional<FileLock> try_lock_shared(const std::filesystem::path& path, long* holder);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock(int fd, bool wrote_pid) : fd_(fd), wrote_pid_(wrote_pid) {}
  void release() noexcept;
  int fd_ = -1;
  bool wrote_pid_ = false;  // clear the pid before the lock goes
};

}  // namespace hlslim
