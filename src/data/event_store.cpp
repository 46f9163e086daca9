#include "hlslim/data/event_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "hlslim/data/error.hpp"

namespace hlslim::data {
namespace {

std::string shape_text(std::size_t layers, std::size_t columns) {
  return std::to_string(layers) + " x " + std::to_string(columns);
}

void check_shape_and_names(const std::string& source, std::size_t layers, std::size_t columns,
                           const std::vector<std::string>& names) {
  const std::string prefix = source.empty() ? "" : source + ": ";
  // Overflow-safe: a product that wraps around would pass as a small image.
  std::size_t pixels = 0;
  if (layers == 0 || columns == 0 || __builtin_mul_overflow(layers, columns, &pixels) ||
      pixels > (std::size_t{1} << 32)) {
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

bool all_ones(const float* first, const float* last) {
  return std::all_of(first, last, [](float v) { return v == 1.0f; });
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
                                   std::vector<std::uint32_t> pixels, std::vector<float> labels,
                                   std::vector<float> values) {
  check_shape_and_names(source, layers, columns, label_names);
  const std::string prefix = source + ": ";
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != pixels.size()) {
    throw DataError(prefix + "offsets must start at 0 and end at the hit count " +
                    std::to_string(pixels.size()));
  }
  // Every offset is checked before any hit is read: an offset beyond the hits, or one below
  // its predecessor, would otherwise send the loops below past the end of `pixels`.
  const std::size_t n = offsets.size() - 1;
  for (std::size_t event = 0; event < n; ++event) {
    if (offsets[event + 1] < offsets[event]) {
      throw DataError(prefix + "offsets decrease at event " + std::to_string(event));
    }
    if (offsets[event + 1] > pixels.size()) {
      throw DataError(prefix + "offset " + std::to_string(offsets[event + 1]) + " of event " +
                      std::to_string(event) + " is beyond the hit count " +
                      std::to_string(pixels.size()));
    }
  }
  std::size_t n_labels = 0;
  if (__builtin_mul_overflow(n, label_names.size(), &n_labels) || labels.size() != n_labels) {
    throw DataError(prefix + "expected " + std::to_string(n_labels) + " label values (" +
                    std::to_string(n) + " events x " + std::to_string(label_names.size()) +
                    " columns), found " + std::to_string(labels.size()));
  }
  if (!values.empty() && values.size() != pixels.size()) {
    throw DataError(prefix + "expected " + std::to_string(pixels.size()) +
                    " hit values (one per hit), found " + std::to_string(values.size()));
  }
  const std::uint64_t n_pixels = static_cast<std::uint64_t>(layers) * columns;
  for (std::size_t event = 0; event < n; ++event) {
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
      if (!values.empty() && !std::isfinite(values[h])) {
        throw DataError(prefix + "event " + std::to_string(event) + ": pixel " +
                        std::to_string(pixels[h]) + " has the value " +
                        (std::isnan(values[h]) ? "NaN" : "infinity"));
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
  store.values_ = std::move(values);
  store.drop_values_if_binary();
  return store;
}

void EventStore::drop_values_if_binary() {
  if (all_ones(values_.data(), values_.data() + values_.size())) {
    values_.clear();
    values_.shrink_to_fit();
  }
}

void EventStore::add_event(const std::uint32_t* pixels, std::size_t n_pixels, const float* labels,
                           const float* values) {
  const std::size_t n_image = pixels_per_image();
  const auto event = [this] { return "event " + std::to_string(size()) + ": "; };
  for (std::size_t i = 0; i < n_pixels; ++i) {
    if (pixels[i] >= n_image) {
      throw DataError(event() + "pixel " + std::to_string(pixels[i]) + " outside the " +
                      shape_text(layers_, columns_) + " image");
    }
    if (values && !std::isfinite(values[i])) {
      throw DataError(event() + "pixel " + std::to_string(pixels[i]) + " has the value " +
                      (std::isnan(values[i]) ? "NaN" : "infinity"));
    }
  }
  std::vector<std::size_t> order;
  if (values) {
    order.resize(n_pixels);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [pixels](std::size_t a, std::size_t b) { return pixels[a] < pixels[b]; });
    for (std::size_t i = 1; i < n_pixels; ++i) {
      if (pixels[order[i]] == pixels[order[i - 1]]) {
        throw DataError(event() + "pixel " + std::to_string(pixels[order[i]]) +
                        " is given twice with values");
      }
    }
  }
  const std::size_t start = pixels_.size();
  if (!values || (values_.empty() && all_ones(values, values + n_pixels))) {
    pixels_.insert(pixels_.end(), pixels, pixels + n_pixels);
    std::sort(pixels_.begin() + start, pixels_.end());
    pixels_.erase(std::unique(pixels_.begin() + start, pixels_.end()), pixels_.end());
    if (!values_.empty()) values_.resize(pixels_.size(), 1.0f);
  } else {
    // The first event with a value other than 1 makes every earlier hit's value an explicit 1.
    if (values_.empty()) values_.assign(start, 1.0f);
    for (std::size_t i : order) {
      pixels_.push_back(pixels[i]);
      values_.push_back(values[i]);
    }
  }
  offsets_.push_back(pixels_.size());
  labels_.insert(labels_.end(), labels, labels + label_names_.size());
}

void EventStore::reserve(std::size_t events, std::size_t hits) {
  offsets_.reserve(offsets_.size() + events);
  pixels_.reserve(pixels_.size() + hits);
  if (!values_.empty()) values_.reserve(values_.size() + hits);
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
    const PixelRange range = hits(indices[i]);
    if (const float* values = hit_values(indices[i])) {
      for (std::size_t h = 0; h < range.size(); ++h) target[range.first[h]] = values[h];
    } else {
      for (std::uint32_t pixel : range) target[pixel] = 1.0f;
    }
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
  if (has_values()) result.values_.reserve(total);
  result.labels_.reserve(n * label_count());
  for (std::size_t i = 0; i < n; ++i) {
    const PixelRange range = hits(indices[i]);
    result.pixels_.insert(result.pixels_.end(), range.begin(), range.end());
    if (const float* values = hit_values(indices[i])) {
      result.values_.insert(result.values_.end(), values, values + range.size());
    }
    result.offsets_.push_back(result.pixels_.size());
    const float* row = label_row(indices[i]);
    result.labels_.insert(result.labels_.end(), row, row + label_count());
  }
  result.drop_values_if_binary();
  return result;
}

std::size_t EventStore::memory_bytes() const {
  std::size_t bytes = offsets_.capacity() * sizeof(std::uint64_t) +
                      pixels_.capacity() * sizeof(std::uint32_t) +
                      values_.capacity() * sizeof(float) + labels_.capacity() * sizeof(float) +
                      metadata_json_.capacity() + label_names_.capacity() * sizeof(std::string);
  for (const std::string& name : label_names_) bytes += name.capacity();
  return bytes;
}

}  // namespace hlslim::data
