#include "atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "hlslim/data/error.hpp"

namespace hlslim::data::detail {

std::string system_reason() {
  return std::strerror(errno);
}

void create_parent_directories(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    throw DataError(parent.string() + ": cannot create directory: " + error.message());
  }
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temporary_(path_ + ".tmp") {
  create_parent_directories(path_);
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (file_ == nullptr) {
    throw DataError(temporary_ + ": cannot open for writing: " + system_reason());
  }
  // Large buffered writes: the files are written in many small pieces.
  std::setvbuf(file_, nullptr, _IOFBF, std::size_t{1} << 20);
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(temporary_.c_str());
  }
}

void AtomicFile::write(const void* data, std::size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, file_) != n) {
    throw DataError(temporary_ + ": write failed: " + system_reason());
  }
  written_ += n;
}

void AtomicFile::commit() {
  const bool flushed = std::fflush(file_) == 0;
  const std::string reason = flushed ? "" : system_reason();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    std::remove(temporary_.c_str());
    throw DataError(temporary_ + ": write failed: " + (flushed ? system_reason() : reason));
  }
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) {
    std::remove(temporary_.c_str());
    throw DataError(path_ + ": cannot rename from " + temporary_ + ": " + error.message());
  }
}

}  // namespace hlslim::data::detail
