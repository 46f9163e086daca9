#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

// Every binary format of the data layer is little-endian, and its readers and writers copy
// native values.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the data layer's binary formats are little-endian; this host is not"
#endif

// Internal to the data layer: a read-only binary file whose failures throw DataError naming it.
namespace hlslim::data::detail {

// strerror(errno) for messages.
std::string system_reason();

class InputFile {
 public:
  // Opens `path`; throws "<path>: cannot open for reading: <reason>".
  explicit InputFile(std::string path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t position() const { return position_; }

  // Reads exactly n bytes; throws "<path>: truncated: <what> needs <n> bytes at offset <p> but
  // the file has <size>" when the file ends first.
  void read(void* out, std::size_t n, const char* what);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t position_ = 0;
};

}  // namespace hlslim::data::detail
