#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hlslim::data {

/// Element types the .npy reader accepts.
enum class NpyDtype {
  boolean,
  uint8,
  int8,
  uint16,
  int16,
  uint32,
  int32,
  uint64,
  int64,
  float32,
  float64
};

/// "bool", "uint8", ..., "float64".
const char* npy_dtype_name(NpyDtype dtype);

/// The parsed header of a .npy file.
struct NpyHeader {
  /// The dtype string as written in the file, e.g. "<f4".
  std::string descr;
  /// The element type.
  NpyDtype dtype = NpyDtype::uint8;
  /// Bytes per element.
  std::size_t item_size = 1;
  /// The array shape; empty for a scalar.
  std::vector<std::size_t> shape;
  /// Byte offset of the first element in the file.
  std::size_t data_offset = 0;

  /// Product of the shape (1 for a scalar). Throws DataError when it exceeds 2^64 - 1, which
  /// never happens for the header of a file NpyReader accepted.
  std::size_t element_count() const;
};

/// An array read from a .npy file, converted to float32.
struct NpyArray {
  /// The array shape.
  std::vector<std::size_t> shape;
  /// The elements in C order.
  std::vector<float> data;
};

/// Streams the elements of a .npy file (format versions 1, 2 and 3; little-endian or
/// single-byte dtypes; C order). The constructor reads and checks the header and the file size;
/// each failure throws DataError naming the file, e.g. "x.npy: not a NumPy .npy file (bad magic)",
/// "x.npy: unsupported dtype '<c8' (supported: bool, uint8, int8, uint16, int16, uint32, int32,
/// uint64, int64, float32, float64)", "x.npy: Fortran-order arrays are not supported",
/// "x.npy: truncated data: expected 400 bytes after the header, found 396".
class NpyReader {
 public:
  /// Opens `path` and reads its header.
  explicit NpyReader(const std::string& path);
  ~NpyReader();
  NpyReader(const NpyReader&) = delete;
  NpyReader& operator=(const NpyReader&) = delete;

  /// The file's header.
  const NpyHeader& header() const { return header_; }
  /// The file's path.
  const std::string& path() const;
  /// Reads the next `count` elements as raw little-endian bytes into `out`
  /// (count * item_size bytes). Throws DataError if fewer remain.
  void read_raw(void* out, std::size_t count);
  /// Reads the next `count` elements converted to float32.
  void read_floats(float* out, std::size_t count);

 private:
  struct File;
  std::unique_ptr<File> file_;
  NpyHeader header_;
  std::size_t consumed_ = 0;
};

/// Reads a whole .npy file converted to float32. Throws DataError as NpyReader does.
NpyArray read_npy(const std::string& path);

/// Writes a float32 ('<f4') C-order array atomically (through a temporary file renamed into place).
/// `data` holds the product of `shape` elements. Throws DataError naming the file on I/O failure.
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data);

/// Writes a uint8 ('|u1') C-order array atomically, as write_npy() for floats.
void write_npy(const std::string& path, const std::vector<std::size_t>& shape,
               const std::uint8_t* data);

/// Writes a .npy file piece by piece, for arrays too large to hold in memory at once.
class NpyWriter {
 public:
  /// Starts a temporary file next to `path` with a header for `shape` and `descr` ("|u1" or "<f4").
  NpyWriter(const std::string& path, const std::vector<std::size_t>& shape,
            const std::string& descr);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  /// Appends raw element bytes.
  void write(const void* data, std::size_t bytes);
  /// Checks that exactly the array's bytes were written, then renames the file into place.
  /// Throws DataError otherwise; without commit() the temporary file is removed.
  void commit();

 private:
  struct File;
  std::unique_ptr<File> file_;
  std::size_t expected_ = 0;
};

}  // namespace hlslim::data
