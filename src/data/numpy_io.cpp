#include "hlslim/data/numpy_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>

#include "hlslim/data/error.hpp"
#include "hlslim/data/npy.hpp"
#include "hlslim/util/atomic_file.hpp"
#include "input_file.hpp"

namespace hlslim::data {
namespace {

// At most this many label columns: read_store() rejects a store with more.
constexpr std::size_t kMaxLabelColumns = 4096;

// Keys of labels.json that describe the arrays; every other key is the store's metadata.
const char* const kArrayKeys[] = {"format", "format_version", "columns", "n_events", "image_shape"};

std::string join_path(const std::string& directory, const char* name) {
  return (std::filesystem::path(directory) / name).string();
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

// Appends the flat indices and the values of the non-zero elements of one image.
template <typename T>
void collect_hits(const unsigned char* raw, std::size_t count, const std::string& path,
                  std::size_t event, std::vector<std::uint32_t>& pixels,
                  std::vector<float>& values) {
  for (std::size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, raw + i * sizeof(T), sizeof(T));
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(value)) {
        throw DataError(path + ": event " + std::to_string(event) + " has " +
                        (std::isnan(value) ? "a NaN" : "an infinite") + " pixel");
      }
    }
    if (value != T{0}) {
      pixels.push_back(static_cast<std::uint32_t>(i));
      values.push_back(static_cast<float>(value));
    }
  }
}

void collect_hits(NpyDtype dtype, const unsigned char* raw, std::size_t count,
                  const std::string& path, std::size_t event, std::vector<std::uint32_t>& pixels,
                  std::vector<float>& values) {
  switch (dtype) {
    case NpyDtype::boolean:
    case NpyDtype::uint8:
      return collect_hits<std::uint8_t>(raw, count, path, event, pixels, values);
    case NpyDtype::int8:
      return collect_hits<std::int8_t>(raw, count, path, event, pixels, values);
    case NpyDtype::uint16:
      return collect_hits<std::uint16_t>(raw, count, path, event, pixels, values);
    case NpyDtype::int16:
      return collect_hits<std::int16_t>(raw, count, path, event, pixels, values);
    case NpyDtype::uint32:
      return collect_hits<std::uint32_t>(raw, count, path, event, pixels, values);
    case NpyDtype::int32:
      return collect_hits<std::int32_t>(raw, count, path, event, pixels, values);
    case NpyDtype::uint64:
      return collect_hits<std::uint64_t>(raw, count, path, event, pixels, values);
    case NpyDtype::int64:
      return collect_hits<std::int64_t>(raw, count, path, event, pixels, values);
    case NpyDtype::float32:
      return collect_hits<float>(raw, count, path, event, pixels, values);
    case NpyDtype::float64:
      return collect_hits<double>(raw, count, path, event, pixels, values);
  }
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DataError(path + ": cannot open for reading: " + detail::system_reason());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw DataError(path + ": invalid JSON: " + error.what());
  }
}

struct LabelTable {
  std::vector<std::string> names;
  std::vector<std::size_t> source_columns;  // column of labels.npy for each name
  std::string metadata = "{}";
};

LabelTable resolve_labels(const std::string& labels_path, std::size_t k,
                          const std::vector<std::string>& label_columns,
                          const std::string& json_path, std::size_t n_events,
                          const std::string& images_path) {
  LabelTable table;
  std::vector<std::string> file_names;
  if (!json_path.empty()) {
    const nlohmann::json json = read_json_file(json_path);
    if (!json.is_object()) throw DataError(json_path + ": expected a JSON object");
    if (json.contains("n_events") && (!json["n_events"].is_number_unsigned() ||
                                      json["n_events"].get<std::size_t>() != n_events)) {
      throw DataError(json_path + ": n_events is " + json["n_events"].dump() + " but " +
                      images_path + " has " + std::to_string(n_events) + " events");
    }
    if (json.contains("classes")) {
      bool ok = json["classes"].is_array();
      if (ok) {
        for (const auto& name : json["classes"]) ok = ok && name.is_string();
      }
      if (!ok) {
        throw DataError(json_path +
                        ": 'classes' must be a list of class names (one per class "
                        "index of a label column)");
      }
    }
    nlohmann::json metadata = json;
    for (const char* key : kArrayKeys) metadata.erase(key);
    table.metadata = metadata.dump();
    if (!labels_path.empty()) {
      bool ok = json.contains("columns") && json["columns"].is_array();
      if (ok) {
        for (const auto& name : json["columns"]) ok = ok && name.is_string();
      }
      if (!ok) throw DataError(json_path + ": 'columns' must be a list of label names");
      file_names = json["columns"].get<std::vector<std::string>>();
      if (file_names.size() != k) {
        throw DataError(json_path + ": 'columns' lists " + std::to_string(file_names.size()) +
                        " names but " + labels_path + " has " + std::to_string(k) + " columns");
      }
    }
  } else if (!label_columns.empty()) {
    if (label_columns.size() != k) {
      throw DataError(labels_path + ": has " + std::to_string(k) + " columns but " +
                      std::to_string(label_columns.size()) + " label names were given");
    }
    file_names = label_columns;
  } else {
    for (std::size_t i = 0; i < k; ++i) file_names.push_back("label_" + std::to_string(i));
  }
  if (!json_path.empty() && !label_columns.empty()) {
    for (const std::string& wanted : label_columns) {
      std::size_t column = 0;
      while (column < file_names.size() && file_names[column] != wanted) ++column;
      if (column == file_names.size()) {
        std::string available;
        for (const std::string& name : file_names)
          available += (available.empty() ? "" : ", ") + name;
        throw DataError(json_path + ": no label column '" + wanted + "' (available: " + available +
                        ")");
      }
      table.names.push_back(wanted);
      table.source_columns.push_back(column);
    }
  } else {
    table.names = file_names;
    for (std::size_t i = 0; i < k; ++i) table.source_columns.push_back(i);
  }
  return table;
}

}  // namespace

void write_numpy(const EventStore& store, const std::string& directory) {
  const std::size_t n = store.size();
  const std::size_t image = store.pixels_per_image();
  {
    // Binary images as 0/1 bytes; images with values as float32.
    const std::size_t item = store.has_values() ? sizeof(float) : 1;
    NpyWriter images(join_path(directory, "images.npy"), {n, store.layers(), store.columns()},
                     store.has_values() ? "<f4" : "|u1");
    constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
    const std::size_t chunk = std::max<std::size_t>(1, kChunkBytes / (image * item));
    std::vector<std::uint8_t> bytes;
    std::vector<float> floats;
    const std::size_t buffer = std::min(chunk, std::max<std::size_t>(n, 1)) * image;
    if (store.has_values()) {
      floats.resize(buffer);
    } else {
      bytes.resize(buffer);
    }
    std::vector<std::size_t> indices;
    for (std::size_t first = 0; first < n; first += chunk) {
      const std::size_t count = std::min(chunk, n - first);
      if (store.has_values()) {
        indices.resize(count);
        for (std::size_t i = 0; i < count; ++i) indices[i] = first + i;
        store.fill_dense(indices.data(), count, floats.data());
        images.write(floats.data(), count * image * sizeof(float));
        continue;
      }
      std::fill(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(count * image), 0);
      for (std::size_t i = 0; i < count; ++i) {
        for (std::uint32_t pixel : store.hits(first + i)) bytes[i * image + pixel] = 1;
      }
      images.write(bytes.data(), count * image);
    }
    images.commit();
  }
  write_npy(join_path(directory, "labels.npy"), {n, store.label_count()}, store.labels().data());

  nlohmann::json json = nlohmann::json::object();
  try {
    const nlohmann::json metadata = nlohmann::json::parse(store.metadata_json());
    if (metadata.is_object()) {
      json = metadata;
    } else {
      json["metadata"] = metadata;
    }
  } catch (const nlohmann::json::exception&) {
    json["metadata"] = store.metadata_json();
  }
  json["format"] = "hlslim-labels";
  json["format_version"] = 1;
  json["columns"] = store.label_names();
  json["n_events"] = n;
  json["image_shape"] = {store.layers(), store.columns()};
  const std::string text = json.dump(2) + "\n";
  AtomicFile out(join_path(directory, "labels.json"));
  out.write(text.data(), text.size());
  out.commit();
}

namespace {

// What the headers of the NumPy files say, checked against each other.
struct NpyPlan {
  std::size_t n = 0, layers = 0, columns = 0, k = 0;
  LabelTable table;
};

NpyPlan plan_npy(const NpyHeader& images, const std::string& images_path, const NpyHeader* labels,
                 const std::string& labels_path, const std::vector<std::string>& label_columns,
                 const std::string& labels_json_path) {
  const std::vector<std::size_t>& shape = images.shape;
  if (shape.size() != 2 && shape.size() != 3) {
    throw DataError(images_path + ": expected shape N x H x W or N x W, got " + shape_text(shape));
  }
  NpyPlan plan;
  plan.n = shape[0];
  plan.layers = shape.size() == 3 ? shape[1] : 1;
  plan.columns = shape.back();
  // Overflow-safe: with no events the file holds no data, so the shape alone bounds nothing.
  std::size_t image_pixels = 0;
  if (plan.layers == 0 || plan.columns == 0 ||
      __builtin_mul_overflow(plan.layers, plan.columns, &image_pixels) ||
      image_pixels > (std::size_t{1} << 32)) {
    throw DataError(images_path + ": image shape " + shape_text(shape) +
                    " is empty or above 2^32 pixels");
  }
  if (labels) {
    if (labels->shape.size() != 1 && labels->shape.size() != 2) {
      throw DataError(labels_path + ": expected shape N x K or N, got " +
                      shape_text(labels->shape));
    }
    if (labels->shape[0] != plan.n) {
      throw DataError(labels_path + ": " + std::to_string(labels->shape[0]) + " rows but " +
                      images_path + " has " + std::to_string(plan.n) + " events");
    }
    plan.k = labels->shape.size() == 2 ? labels->shape[1] : 1;
    // What an event store file holds at most; with no rows, nothing else bounds the count.
    if (plan.k > kMaxLabelColumns) {
      throw DataError(labels_path + ": " + std::to_string(plan.k) +
                      " label columns exceed the limit of " + std::to_string(kMaxLabelColumns));
    }
  } else if (!label_columns.empty()) {
    throw DataError("label columns were named but no labels file was given");
  }
  plan.table =
      resolve_labels(labels_path, plan.k, label_columns, labels_json_path, plan.n, images_path);
  return plan;
}

}  // namespace

NpyLayout inspect_npy(const std::string& images_path, const std::string& labels_path,
                      const std::vector<std::string>& label_columns,
                      const std::string& labels_json_path) {
  const NpyReader images(images_path);
  std::optional<NpyReader> labels;
  if (!labels_path.empty()) labels.emplace(labels_path);
  const NpyPlan plan = plan_npy(images.header(), images_path, labels ? &labels->header() : nullptr,
                                labels_path, label_columns, labels_json_path);
  return {plan.n, plan.layers, plan.columns, plan.table.names};
}

EventStore from_npy(const std::string& images_path, const std::string& labels_path,
                    const std::vector<std::string>& label_columns,
                    const std::string& labels_json_path) {
  NpyReader images(images_path);
  NpyArray labels;
  NpyHeader labels_header;
  if (!labels_path.empty()) {
    labels = read_npy(labels_path);
    labels_header.shape = labels.shape;
  }
  const NpyPlan plan =
      plan_npy(images.header(), images_path, labels_path.empty() ? nullptr : &labels_header,
               labels_path, label_columns, labels_json_path);
  const std::size_t n = plan.n, layers = plan.layers, columns = plan.columns, k = plan.k;
  const LabelTable& table = plan.table;

  const std::size_t kept = table.names.size();
  std::vector<float> values(n * kept);
  for (std::size_t row = 0; row < n; ++row) {
    for (std::size_t j = 0; j < kept; ++j) {
      const float value = labels.data[row * k + table.source_columns[j]];
      if (!std::isfinite(value)) {
        throw DataError(labels_path + ": row " + std::to_string(row) + ", column '" +
                        table.names[j] + "' is " + (std::isnan(value) ? "NaN" : "infinite"));
      }
      values[row * kept + j] = value;
    }
  }

  const std::size_t image = layers * columns;
  std::vector<std::uint64_t> offsets(1, 0);
  offsets.reserve(n + 1);
  std::vector<std::uint32_t> pixels;
  std::vector<float> hit_values;  // dropped by from_arrays when every hit is 1 (binary images)
  // Sized only when there are events: the file then holds every image, which bounds it.
  std::vector<unsigned char> raw(n > 0 ? image * images.header().item_size : 0);
  for (std::size_t event = 0; event < n; ++event) {
    images.read_raw(raw.data(), image);
    collect_hits(images.header().dtype, raw.data(), image, images_path, event, pixels, hit_values);
    offsets.push_back(pixels.size());
  }
  pixels.shrink_to_fit();
  return EventStore::from_arrays(images_path, layers, columns, table.names, table.metadata,
                                 std::move(offsets), std::move(pixels), std::move(values),
                                 std::move(hit_values));
}

}  // namespace hlslim::data
