#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>

namespace hlslim {

/// A file written under a temporary name next to its destination and renamed over it on
/// commit(), after flushing it to disk: readers see the old file or the new one, never half of
/// one. Destroyed without commit(), it removes the temporary. Creates missing parent
/// directories. Every failure throws hlslim::Error naming the file and the system's reason.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes (buffered).
  void write(const void* data, std::size_t n);
  std::size_t bytes_written() const { return written_; }

  /// Flushes, syncs and renames the file into place.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_;
  std::FILE* file_ = nullptr;
  std::size_t written_ = 0;
};

}  // namespace hlslim
