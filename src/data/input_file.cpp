#include "input_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "hlslim/data/error.hpp"

namespace hlslim::data::detail {

std::string system_reason() {
  return std::strerror(errno);
}

InputFile::InputFile(std::string path) : path_(std::move(path)) {
  std::error_code error;
  if (std::filesystem::is_directory(path_, error)) {
    throw DataError(path_ + ": cannot open for reading: it is a directory");
  }
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr) {
    throw DataError(path_ + ": cannot open for reading: " + system_reason());
  }
  const auto size = std::filesystem::file_size(path_, error);
  if (error) {
    std::fclose(file_);
    throw DataError(path_ + ": cannot read its size: " + error.message());
  }
  size_ = size;
  std::setvbuf(file_, nullptr, _IOFBF, std::size_t{1} << 20);
}

InputFile::~InputFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void InputFile::read(void* out, std::size_t n, const char* what) {
  if (n > size_ - position_) {
    throw DataError(path_ + ": truncated: " + what + " needs " + std::to_string(n) +
                    " bytes at offset " + std::to_string(position_) + " but the file has " +
                    std::to_string(size_));
  }
  if (n > 0 && std::fread(out, 1, n, file_) != n) {
    throw DataError(path_ + ": read failed: " + system_reason());
  }
  position_ += n;
}

}  // namespace hlslim::data::detail
