#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

// Internal to the data layer: every file it writes goes through here, so an interrupted or
// failed write never leaves a half-written file under the final name.
namespace hlslim::data::detail {

// Writes `path`.tmp and renames it to `path` on commit(); destroyed without commit, it removes
// the temporary file. Every failure throws DataError naming the file and the system's reason.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);
  std::size_t bytes_written() const { return written_; }
  void commit();

 private:
  std::string path_;
  std::string temporary_;
  std::FILE* file_ = nullptr;
  std::size_t written_ = 0;
};

// Creates the parent directories of `path` if needed; throws DataError when that fails.
void create_parent_directories(const std::string& path);

// strerror(errno) for messages.
std::string system_reason();

}  // namespace hlslim::data::detail
