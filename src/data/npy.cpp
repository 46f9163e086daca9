#include "hlslim/data/npy.hpp"

#include <cstring>
#include <optional>

#include "hlslim/data/error.hpp"
#include "hlslim/util/atomic_file.hpp"
#include "input_file.hpp"
#include "npy_header.hpp"

namespace hlslim::data {
namespace {

constexpr char kNpyMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

template <typename T>
void convert(const unsigned char* raw, std::size_t count, float* out) {
  for (std::size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, raw + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(value);
  }
}

std::string header_text(const std::vector<std::size_t>& shape, const std::string& descr) {
  std::string text = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  }
  text += "), }";
  // numpy aligns the data to 64 bytes: magic, version and length take 10 bytes (12 for v2).
  const std::size_t fixed = 10;
  const std::size_t total = fixed + text.size() + 1;
  text.append((64 - total % 64) % 64, ' ');
  text += '\n';
  return text;
}

std::size_t product(const std::vector<std::size_t>& shape) {
  std::size_t n = 1;
  for (std::size_t extent : shape) n *= extent;
  return n;
}

// The product of the shape and `item_size`, or nullopt when it exceeds 2^64 - 1. Any zero extent
// makes it 0, whatever the others are.
std::optional<std::size_t> checked_bytes(const std::vector<std::size_t>& shape,
                                         std::size_t item_size) {
  for (std::size_t extent : shape) {
    if (extent == 0) return 0;
  }
  std::size_t bytes = item_size;
  for (std::size_t extent : shape) {
    if (__builtin_mul_overflow(bytes, extent, &bytes)) return std::nullopt;
  }
  return bytes;
}

// numpy writes headers of a few hundred bytes; a longer one belongs to a damaged file, and this
// bound keeps the parser's work and its messages small.
constexpr std::size_t kMaxHeaderBytes = std::size_t{1} << 20;

}  // namespace

const char* npy_dtype_name(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::boolean:
      return "bool";
    case NpyDtype::uint8:
      return "uint8";
    case NpyDtype::int8:
      return "int8";
    case NpyDtype::uint16:
      return "uint16";
    case NpyDtype::int16:
      return "int16";
    case NpyDtype::uint32:
      return "uint32";
    case NpyDtype::int32:
      return "int32";
    case NpyDtype::uint64:
      return "uint64";
    case NpyDtype::int64:
      return "int64";
    case NpyDtype::float32:
      return "float32";
    case NpyDtype::float64:
      return "float64";
  }
  return "?";
}

std::size_t NpyHeader::element_count() const {
  const std::optional<std::size_t> count = checked_bytes(shape, 1);
  if (!count) throw DataError("array shape with more than 2^64 elements");
  return *count;
}

struct NpyReader::File {
  explicit File(const std::string& path) : input(path) {}
  detail::InputFile input;
};

NpyReader::NpyReader(const std::string& path) : file_(std::make_unique<File>(path)) {
  detail::InputFile& in = file_->input;
  unsigned char preamble[8] = {};
  const std::size_t available = in.size() < sizeof preamble ? in.size() : sizeof preamble;
  in.read(preamble, available, "the preamble");
  if (available < sizeof kNpyMagic || std::memcmp(preamble, kNpyMagic, sizeof kNpyMagic) != 0) {
    throw DataError(path + ": not a NumPy .npy file (bad magic)");
  }
  if (available < sizeof preamble) throw DataError(path + ": truncated header");
  const unsigned major = preamble[6];
  if (major < 1 || major > 3) {
    throw DataError(path + ": unsupported .npy format version " + std::to_string(major) + "." +
                    std::to_string(preamble[7]));
  }
  std::size_t length = 0;
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  unsigned char length_raw[4] = {};
  if (in.size() < 8 + length_bytes) throw DataError(path + ": truncated header");
  in.read(length_raw, length_bytes, "the header length");
  for (std::size_t i = 0; i < length_bytes; ++i) length |= std::size_t{length_raw[i]} << (8 * i);
  if (length > in.size() - in.position()) throw DataError(path + ": truncated header");
  if (length > kMaxHeaderBytes) {
    throw DataError(path + ": header of " + std::to_string(length) +
                    " bytes exceeds the limit of " + std::to_string(kMaxHeaderBytes));
  }
  std::string text(length, '\0');
  in.read(text.data(), length, "the header");
  header_ = detail::parse_npy_header(path, text);
  header_.data_offset = static_cast<std::size_t>(in.position());

  const std::size_t remaining = static_cast<std::size_t>(in.size() - in.position());
  const std::optional<std::size_t> needed = checked_bytes(header_.shape, header_.item_size);
  if (!needed) {
    throw DataError(path + ": truncated data: the shape needs more than 2^64 bytes");
  }
  const std::size_t bytes = *needed;
  if (bytes > remaining) {
    throw DataError(path + ": truncated data: expected " + std::to_string(bytes) +
                    " bytes after the header, found " + std::to_string(remaining));
  }
  if (bytes < remaining) {
    throw DataError(path + ": " + std::to_string(remaining - bytes) +
                    " bytes of trailing data after the array");
  }
}

NpyReader::~NpyReader() = default;

const std::string& NpyReader::path() const {
  return file_->input.path();
}

void NpyReader::read_raw(void* out, std::size_t count) {
  if (count > header_.element_count() - consumed_) {
    throw DataError(path() + ": read past the end of the array");
  }
  file_->input.read(out, count * header_.item_size, "the array data");
  consumed_ += count;
}

void NpyReader::read_floats(float* out, std::size_t count) {
  // Converted in blocks so that a large array never needs a second full-size buffer.
  constexpr std::size_t kBlock = 1 << 16;
  std::vector<unsigned char> raw(std::min(count, kBlock) * header_.item_size);
  for (std::size_t done = 0; done < count;) {
    const std::size_t n = std::min(kBlock, count - done);
    read_raw(raw.data(), n);
    float* target = out + done;
    switch (header_.dtype) {
      case NpyDtype::boolean:
      case NpyDtype::uint8:
        convert<std::uint8_t>(raw.data(), n, target);
        break;
      case NpyDtype::int8:
        convert<std::int8_t>(raw.data(), n, target);
        break;
      case NpyDtype::uint16:
        convert<std::uint16_t>(raw.data(), n, target);
        break;
      case NpyDtype::int16:
        convert<std::int16_t>(raw.data(), n, target);
        break;
      case NpyDtype::uint32:
        convert<std::uint32_t>(raw.data(), n, target);
        break;
      case NpyDtype::int32:
        convert<std::int32_t>(raw.data(), n, target);
        break;
      case NpyDtype::uint64:
        convert<std::uint64_t>(raw.data(), n, target);
        break;
      case NpyDtype::int64:
        convert<std::int64_t>(raw.data(), n, target);
        break;
      case NpyDtype::float32:
        convert<float>(raw.data(), n, target);
        break;
      case NpyDtype::float64:
        convert<double>(raw.data(), n, target);
        break;
    }
    done += n;
  }
}

NpyArray read_npy(const std::string& path) {
  NpyReader reader(path);
  NpyArray array;
  array.shape = reader.header().shape;
  array.data.resize(reader.header().element_count());
  reader.read_floats(array.data.data(), array.data.size());
  return array;
}

struct NpyWriter::File {
  explicit File(const std::string& file_path) : path(file_path), output(file_path) {}
  std::string path;
  AtomicFile output;
};

NpyWriter::NpyWriter(const std::string& path, const std::vector<std::size_t>& shape,
                     const std::string& descr)
    : file_(nullptr) {
  if (descr != "|u1" && descr != "<f4") {
    throw DataError(path + ": the writer supports dtypes '|u1' and '<f4', not '" + descr + "'");
  }
  const std::string text = header_text(shape, descr);
  if (text.size() > 0xFFFF) throw DataError(path + ": shape too long for a .npy header");
  file_ = std::make_unique<File>(path);
  const unsigned char preamble[10] = {0x93,
                                      'N',
                                      'U',
                                      'M',
                                      'P',
                                      'Y',
                                      1,
                                      0,
                                      static_cast<unsigned char>(text.size() & 0xFF),
                                      static_cast<unsigned char>(text.size() >> 8)};
  file_->output.write(preamble, sizeof preamble);
  file_->output.write(text.data(), text.size());
  const std::size_t item_size = descr == "|u1" ? 1 : 4;
  expected_ = file_->output.bytes_written() + product(shape) * item_size;
}

NpyWriter::~NpyWriter() = default;

void NpyWriter::write(const void* data, std::size_t bytes) {
  file_->output.write(data, bytes);
}

void NpyWriter::commit() {
  if (file_->output.bytes_written() != expected_) {
    throw DataError(file_->path + ": wrote " + std::to_string(file_->output.bytes_written()) +
                    " bytes, but the header announces " + std::to_string(expected_));
  }
  file_->output.commit();
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data) {
  NpyWriter writer(path, shape, "<f4");
  writer.write(data, product(shape) * sizeof(float));
  writer.commit();
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape,
               const std::uint8_t* data) {
  NpyWriter writer(path, shape, "|u1");
  writer.write(data, product(shape));
  writer.commit();
}

}  // namespace hlslim::data
