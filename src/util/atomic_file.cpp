#include "hlslim/util/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "hlslim/util/errors.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

std::string reason() {
  return std::strerror(errno);
}

}  // namespace

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  // Unique per process and file, so concurrent writers never share a temporary.
  static std::atomic<unsigned> counter{0};
  temporary_ = path_.string() + ".tmp." + std::to_string(::getpid()) + "." +
               std::to_string(counter.fetch_add(1));
  if (path_.has_parent_path()) {
    std::error_code error;
    fs::create_directories(path_.parent_path(), error);
    if (error) {
      throw Error("cannot create directory '" + path_.parent_path().string() +
                  "': " + error.message());
    }
  }
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (!file_) throw Error("cannot write '" + path_.string() + "': " + reason());
  // Large buffered writes: files are often written in many small pieces.
  std::setvbuf(file_, nullptr, _IOFBF, std::size_t{1} << 20);
}

AtomicFile::~AtomicFile() {
  if (file_) {
    std::fclose(file_);
    std::remove(temporary_.c_str());
  }
}

void AtomicFile::write(const void* data, std::size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, file_) != n) {
    throw Error("cannot write '" + path_.string() + "': " + reason());
  }
  written_ += n;
}

void AtomicFile::commit() {
  const bool synced = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const std::string why = synced ? "" : reason();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!synced || !closed) {
    std::remove(temporary_.c_str());
    throw Error("cannot write '" + path_.string() + "': " + (synced ? reason() : why));
  }
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const std::string why_rename = reason();
    std::remove(temporary_.c_str());
    throw Error("cannot write '" + path_.string() + "': " + why_rename);
  }
}

}  // namespace hlslim
