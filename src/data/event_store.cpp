#include "hlslim/data/event_store.hpp"

#include <algorithm>
#include <cstring>

#include "hlslim/data/error.hpp"

namespace hlslim::data {
namespace {

std::string shape_text(std::size_t layers, std::size_t columns) {
  return std::to_string(layers) + " x " + std::to_string(columns);
}

void check_shape_and_names(const std::string& source, std::size_t layers, std::size_t columns,
                           const std::vector<std::string>& names) {
  const std::string prefix = source.empty() ? "" : source + ": ";
  if (layers == 0 || columns == 0 || layers * columns > (std::size_t{1} << 32)) {
    throw DataError(prefix + "invalid image shape " + shape_text(layers, columns) +
                    " (each side must be positive, at most 2^32 pixels)");
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      throw DataError(prefix + "label column " + std::to_string(i) + " has an empty name");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (names[j] == names[i]) {
        throw DataError(prefix + "duplicate label column name '" + names[i] + "'");
      }
    }
  }
}

}  // namespace

EventStore::EventStore(std::size_t layers, std::size_t columns,
                       std::vector<std::string> label_names, std::string metadata_json)
    : layers_(layers),
      columns_(columns),
      label_names_(std::move(label_names)),
      metadata_json_(std::move(metadata_json)) {
  check_shape_and_names("", layers_, columns_, label_names_);
}

EventStore EventStore::from_arrays(const std::string& source, std::size_t layers,
                                   std::size_t columns, std::vector<std::string> label_names,
                                   std::string metadata_json, std::vector<std::uint64_t> offsets,
                                   std::vector<std::uint32_t> pixels, std::vector<float> labels) {
  check_shape_and_names(source, layers, columns, label_names);
  const std::string prefix = source + ": ";
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != pixels.size()) {
    throw DataError(prefix + "offsets must start at 0 and end at the hit count " +
                    std::to_string(pixels.size()));
  }
  const std::size_t n = offsets.size() - 1;
  if (labels.size() != n * label_names.size()) {
    throw DataError(prefix + "expected " + std::to_string(n * label_names.size()) +
                    " label values (" + std::to_string(n) + " events x " +
                    std::to_string(label_names.size()) + " columns), found " +
                    std::to_string(labels.size()));
  }
  const std::uint64_t n_pixels = static_cast<std::uint64_t>(layers) * columns;
  for (std::size_t event = 0; event < n; ++event) {
    if (offsets[event + 1] < offsets[event]) {
      throw DataError(prefix + "offsets decrease at event " + std::to_string(event));
    }
    for (std::uint64_t h = offsets[event]; h < offsets[event + 1]; ++h) {
      if (pixels[h] >= n_pixels) {
        throw DataError(prefix + "event " + std::to_string(event) + ": pixel " +
                        std::to_string(pixels[h]) + " outside the " + shape_text(layers, columns) +
                        " image");
      }
      if (h > offsets[event] && pixels[h] <= pixels[h - 1]) {
        throw DataError(prefix + "event " + std::to_string(event) +
                        ": pixels are not strictly ascending");
      }
    }
  }
  EventStore store;
  store.layers_ = layers;
  store.columns_ = columns;
  store.label_names_ = std::move(label_names);
  store.metadata_json_ = std::move(metadata_json);
  store.offsets_ = std::move(offsets);
  store.pixels_ = std::move(pixels);
  store.labels_ = std::move(labels);
  return store;
}

void EventStore::add_event(const std::uint32_t* pixels, std::size_t n_pixels, const float* labels) {
  const std::size_t n_image = pixels_per_image();
  for (std::size_t i = 0; i < n_pixels; ++i) {
    if (pixels[i] >= n_image) {
      throw DataError("event " + std::to_string(size()) + ": pixel " + std::to_string(pixels[i]) +
                      " outside the " + shape_text(layers_, columns_) + " image");
    }
  }
  const std::size_t start = pixels_.size();
  pixels_.insert(pixels_.end(), pixels, pixels + n_pixels);
  std::sort(pixels_.begin() + start, pixels_.end());
  pixels_.erase(std::unique(pixels_.begin() + start, pixels_.end()), pixels_.end());
  offsets_.push_back(pixels_.size());
  labels_.insert(labels_.end(), labels, labels + label_names_.size());
}

void EventStore::reserve(std::size_t events, std::size_t hits) {
  offsets_.reserve(offsets_.size() + events);
  pixels_.reserve(pixels_.size() + hits);
  labels_.reserve(labels_.size() + events * label_names_.size());
}

bool EventStore::has_label(std::string_view name) const {
  return std::find(label_names_.begin(), label_names_.end(), name) != label_names_.end();
}

std::size_t EventStore::label_index(std::string_view name) const {
  const auto found = std::find(label_names_.begin(), label_names_.end(), name);
  if (found != label_names_.end()) return static_cast<std::size_t>(found - label_names_.begin());
  std::string available;
  for (const std::string& label : label_names_) {
    available += (available.empty() ? "" : ", ") + label;
  }
  throw DataError("no label column '" + std::string(name) +
                  "' (available: " + (available.empty() ? "none" : available) + ")");
}

std::vector<float> EventStore::label_column(std::string_view name) const {
  const std::size_t column = label_index(name);
  std::vector<float> values(size());
  for (std::size_t event = 0; event < size(); ++event) values[event] = label(event, column);
  return values;
}

std::vector<float> EventStore::label_column(std::string_view name,
                                            const std::vector<std::size_t>& indices) const {
  const std::size_t column = label_index(name);
  std::vector<float> values(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    check_index(indices[i]);
    values[i] = label(indices[i], column);
  }
  return values;
}

void EventStore::check_index(std::size_t event) const {
  if (event >= size()) {
    throw DataError("event index " + std::to_string(event) + " out of range (the store has " +
                    std::to_string(size()) + " events)");
  }
}

void EventStore::fill_dense(const std::size_t* indices, std::size_t n, float* out) const {
  for (std::size_t i = 0; i < n; ++i) check_index(indices[i]);
  const std::size_t image = pixels_per_image();
  std::memset(out, 0, n * image * sizeof(float));
  for (std::size_t i = 0; i < n; ++i) {
    float* target = out + i * image;
    for (std::uint32_t pixel : hits(indices[i])) target[pixel] = 1.0f;
  }
}

EventStore EventStore::gather(const std::size_t* indices, std::size_t n) const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    check_index(indices[i]);
    total += hits(indices[i]).size();
  }
  EventStore result;
  result.layers_ = layers_;
  result.columns_ = columns_;
  result.label_names_ = label_names_;
  result.metadata_json_ = metadata_json_;
  result.offsets_.reserve(n + 1);
  result.pixels_.reserve(total);
  result.labels_.reserve(n * label_count());
  for (std::size_t i = 0; i < n; ++i) {
    const PixelRange range = hits(indices[i]);
    result.pixels_.insert(result.pixels_.end(), range.begin(), range.end());
    result.offsets_.push_back(result.pixels_.size());
    const float* row = label_row(indices[i]);
    result.labels_.insert(result.labels_.end(), row, row + label_count());
  }
  return result;
}

std::size_t EventStore::memory_bytes() const {
  std::size_t bytes = offsets_.capacity() * sizeof(std::uint64_t) +
                      pixels_.capacity() * sizeof(std::uint32_t) +
                      labels_.capacity() * sizeof(float) + metadata_json_.capacity() +
                      label_names_.capacity() * sizeof(std::string);
  for (const std::string& name : label_names_) bytes += name.capacity();
  return bytes;
}

}  // namespace hlslim::data
