#include "fuzz_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace hlslim::fuzz {

const std::string& scratch_dir() {
  // Never destroyed: the exit handler that removes the directory runs after static destructors.
  static const std::string* const dir = [] {
    auto* pattern =
        new std::string((std::filesystem::temp_directory_path() / "hlslim_fuzz_XXXXXX").string());
    if (::mkdtemp(pattern->data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return pattern;
  }();
  return *dir;
}

std::string write_input(const std::string& name, const void* data, std::size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot write " + path);
  if (size > 0 && std::fwrite(data, 1, size, file) != size) {
    std::fclose(file);
    throw std::runtime_error("cannot write " + path);
  }
  std::fclose(file);
  return path;
}

}  // namespace hlslim::fuzz
