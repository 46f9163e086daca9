#include "hlslim/data/store_io.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "checksum.hpp"
#include "hlslim/data/error.hpp"
#include "hlslim/util/atomic_file.hpp"
#include "input_file.hpp"

namespace hlslim::data {
namespace {

constexpr char kMagic[8] = {'\x89', 'H', 'L', 'S', 'D', '\r', '\n', '\x1a'};
constexpr char kEndMagic[8] = {'H', 'L', 'S', 'D', 'E', 'N', 'D', '\n'};
// Version 1: binary images (pixels only). Version 2 adds one float32 value per hit; it is written
// only for stores with values, so binary stores stay version 1, byte for byte.
constexpr std::uint32_t kBinaryVersion = 1;
constexpr std::uint32_t kValuesVersion = 2;
constexpr std::size_t kPreambleBytes = 16;
// A header describes shape, names and metadata: far below this unless the file is damaged.
constexpr std::uint32_t kMaxHeaderBytes = 64u << 20;

std::uint64_t padding(std::uint64_t bytes) {
  return (8 - bytes % 8) % 8;
}

// Everything between the header checksum and the body checksum.
std::uint64_t body_bytes(std::uint64_t n_events, std::uint64_t n_hits, std::uint64_t n_labels,
                         bool values) {
  const std::uint64_t pixel_bytes = (values ? 8 : 4) * n_hits;
  const std::uint64_t label_bytes = 4 * n_events * n_labels;
  return 8 * (n_events + 1) + pixel_bytes + padding(pixel_bytes) + label_bytes +
         padding(label_bytes);
}

class Writer {
 public:
  explicit Writer(AtomicFile& file) : file_(file) {}
  void write(const void* data, std::size_t n) {
    file_.write(data, n);
    checksum_.update(data, n);
  }
  void pad() {
    const unsigned char zeros[8] = {};
    write(zeros, padding(file_.bytes_written()));
  }
  void write_checksum() {
    const std::uint64_t value = checksum_.value();
    file_.write(&value, sizeof value);
    checksum_ = detail::Checksum();
  }

 private:
  AtomicFile& file_;
  detail::Checksum checksum_;
};

template <typename T>
void read_array(detail::InputFile& in, detail::Checksum& checksum, std::vector<T>& out,
                std::size_t count, const char* what) {
  out.resize(count);
  in.read(out.data(), count * sizeof(T), what);
  checksum.update(out.data(), count * sizeof(T));
}

void skip_padding(detail::InputFile& in, detail::Checksum& checksum) {
  unsigned char zeros[8];
  const std::size_t n = padding(in.position());
  in.read(zeros, n, "padding");
  checksum.update(zeros, n);
}

std::uint64_t header_uint(const std::string& file, const nlohmann::json& header, const char* key) {
  if (!header.contains(key) || !header[key].is_number_unsigned()) {
    throw DataError(file + ": invalid header: '" + key + "' must be a non-negative integer");
  }
  return header[key].get<std::uint64_t>();
}

}  // namespace

std::string store_file_path(const std::string& path) {
  const std::string extension = ".hlsd";
  if (path.size() >= extension.size() &&
      path.compare(path.size() - extension.size(), extension.size(), extension) == 0) {
    return path;
  }
  if (!path.empty() && path.back() == '/') return path + "events.hlsd";
  return path + "/events.hlsd";
}

void write_store(const EventStore& store, const std::string& path) {
  const std::string file = store_file_path(path);
  const nlohmann::json header = {
      {"n_events", store.size()},      {"layers", store.layers()},
      {"columns", store.columns()},    {"n_hits", store.hit_count()},
      {"labels", store.label_names()}, {"metadata", store.metadata_json()}};
  const std::string header_text = header.dump();
  if (header_text.size() > kMaxHeaderBytes) {
    throw DataError(file + ": header of " + std::to_string(header_text.size()) +
                    " bytes exceeds the format's limit of " + std::to_string(kMaxHeaderBytes));
  }
  AtomicFile out(file);
  Writer writer(out);
  const auto header_length = static_cast<std::uint32_t>(header_text.size());
  const std::uint32_t version = store.has_values() ? kValuesVersion : kBinaryVersion;
  writer.write(kMagic, sizeof kMagic);
  writer.write(&version, sizeof version);
  writer.write(&header_length, sizeof header_length);
  writer.write(header_text.data(), header_text.size());
  writer.pad();
  writer.write_checksum();
  writer.write(store.offsets().data(), store.offsets().size() * sizeof(std::uint64_t));
  writer.write(store.pixels().data(), store.pixels().size() * sizeof(std::uint32_t));
  writer.write(store.values().data(), store.values().size() * sizeof(float));
  writer.pad();
  writer.write(store.labels().data(), store.labels().size() * sizeof(float));
  writer.pad();
  writer.write_checksum();
  out.write(kEndMagic, sizeof kEndMagic);
  out.commit();
}

namespace {

// What the preamble and the header of an event store say, verified against the file's size.
struct StoreHeader {
  bool has_values = false;
  std::uint64_t n_events = 0, layers = 0, columns = 0, n_hits = 0;
  std::vector<std::string> label_names;
  std::string metadata;
};

StoreHeader read_header(detail::InputFile& in, detail::Checksum& checksum,
                        const std::string& file) {
  char magic[8] = {};
  const std::size_t magic_bytes = in.size() < sizeof magic ? in.size() : sizeof magic;
  in.read(magic, magic_bytes, "the magic");
  if (magic_bytes < sizeof magic || std::memcmp(magic, kMagic, sizeof magic) != 0) {
    if (magic_bytes < sizeof magic && std::memcmp(magic, kMagic, magic_bytes) == 0) {
      throw DataError(file + ": truncated: " + std::to_string(in.size()) +
                      " bytes, shorter than the 16-byte preamble");
    }
    throw DataError(file + ": not an hlslim event file (bad magic)");
  }
  checksum.update(magic, sizeof magic);
  std::uint32_t version = 0;
  std::uint32_t header_length = 0;
  if (in.size() < kPreambleBytes) {
    throw DataError(file + ": truncated: " + std::to_string(in.size()) +
                    " bytes, shorter than the 16-byte preamble");
  }
  in.read(&version, sizeof version, "the version");
  in.read(&header_length, sizeof header_length, "the header length");
  if (version != kBinaryVersion && version != kValuesVersion) {
    throw DataError(file + ": unsupported format version " + std::to_string(version) +
                    " (this build reads versions 1 and 2)");
  }
  const bool has_values = version == kValuesVersion;
  if (header_length > kMaxHeaderBytes) {
    throw DataError(file + ": corrupted header (length " + std::to_string(header_length) +
                    " exceeds the format's limit)");
  }
  checksum.update(&version, sizeof version);
  checksum.update(&header_length, sizeof header_length);
  std::string header_text(header_length, '\0');
  in.read(header_text.data(), header_text.size(), "the header");
  checksum.update(header_text.data(), header_text.size());
  skip_padding(in, checksum);
  std::uint64_t stored = 0;
  in.read(&stored, sizeof stored, "the header checksum");
  if (stored != checksum.value()) throw DataError(file + ": corrupted header (checksum mismatch)");

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::parse_error& error) {
    // Only the position: the parser's own message quotes the bytes it read.
    throw DataError(file + ": invalid header: not valid JSON (at byte " +
                    std::to_string(error.byte) + " of " + std::to_string(header_length) + ")");
  } catch (const nlohmann::json::exception&) {
    throw DataError(file + ": invalid header: not valid JSON");
  }
  if (!header.is_object()) throw DataError(file + ": invalid header: not a JSON object");
  StoreHeader out;
  out.has_values = has_values;
  const std::uint64_t n_events = out.n_events = header_uint(file, header, "n_events");
  out.layers = header_uint(file, header, "layers");
  out.columns = header_uint(file, header, "columns");
  const std::uint64_t n_hits = out.n_hits = header_uint(file, header, "n_hits");
  if (!header.contains("labels") || !header["labels"].is_array() || !header.contains("metadata") ||
      !header["metadata"].is_string()) {
    throw DataError(file + ": invalid header: needs 'labels' (list) and 'metadata' (string)");
  }
  std::vector<std::string>& label_names = out.label_names;
  for (const auto& name : header["labels"]) {
    if (!name.is_string()) throw DataError(file + ": invalid header: label names must be strings");
    label_names.push_back(name.get<std::string>());
  }
  // Far beyond any real store; it keeps the size arithmetic below free of overflow.
  const std::uint64_t limit = std::uint64_t{1} << 40;
  if (n_events > limit || n_hits > limit || label_names.size() > 4096) {
    throw DataError(file + ": invalid header: implausible sizes");
  }
  const std::uint64_t expected =
      in.position() + body_bytes(n_events, n_hits, label_names.size(), has_values) + 16;
  if (in.size() != expected) {
    throw DataError(file + (in.size() < expected ? ": truncated: " : ": ") +
                    "the header describes " + std::to_string(expected) +
                    " bytes but the file has " + std::to_string(in.size()) +
                    (in.size() < expected ? "" : " (unexpected trailing data)"));
  }
  out.metadata = header["metadata"].get<std::string>();
  return out;
}

}  // namespace

StoreLayout inspect_store(const std::string& path) {
  const std::string file = store_file_path(path);
  detail::InputFile in(file);
  detail::Checksum checksum;
  const StoreHeader header = read_header(in, checksum, file);
  return {header.n_events, header.layers, header.columns, header.label_names};
}

EventStore read_store(const std::string& path) {
  const std::string file = store_file_path(path);
  detail::InputFile in(file);
  detail::Checksum checksum;
  StoreHeader header = read_header(in, checksum, file);
  const std::uint64_t n_events = header.n_events;
  const std::uint64_t n_hits = header.n_hits;
  const bool has_values = header.has_values;
  std::vector<std::string>& label_names = header.label_names;
  std::uint64_t stored = 0;

  checksum = detail::Checksum();
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint32_t> pixels;
  std::vector<float> labels;
  std::vector<float> values;
  read_array(in, checksum, offsets, n_events + 1, "the offsets");
  read_array(in, checksum, pixels, n_hits, "the hits");
  if (has_values) read_array(in, checksum, values, n_hits, "the hit values");
  skip_padding(in, checksum);
  read_array(in, checksum, labels, n_events * label_names.size(), "the labels");
  skip_padding(in, checksum);
  in.read(&stored, sizeof stored, "the data checksum");
  if (stored != checksum.value()) throw DataError(file + ": corrupted data (checksum mismatch)");
  char end[8];
  in.read(end, sizeof end, "the end marker");
  if (std::memcmp(end, kEndMagic, sizeof end) != 0) {
    throw DataError(file + ": corrupted end marker");
  }
  return EventStore::from_arrays(file, header.layers, header.columns, std::move(label_names),
                                 std::move(header.metadata), std::move(offsets), std::move(pixels),
                                 std::move(labels), std::move(values));
}

}  // namespace hlslim::data
