#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hlslim::data {

/// Layers (image rows) and columns of every image of a store.
struct ImageShape {
  /// Image rows: detector layers, inner to outer.
  std::size_t layers = 0;
  /// Image columns: bins of hit pseudorapidity.
  std::size_t columns = 0;
};

/// The hits of one event: flat pixel indices (layer * columns + column), ascending and unique.
/// Valid while the store it came from is alive and unmodified.
struct PixelRange {
  /// First pixel.
  const std::uint32_t* first = nullptr;
  /// One past the last pixel.
  const std::uint32_t* last = nullptr;

  /// For range-for loops.
  const std::uint32_t* begin() const { return first; }
  /// For range-for loops.
  const std::uint32_t* end() const { return last; }
  /// Number of hits.
  std::size_t size() const { return static_cast<std::size_t>(last - first); }
  /// Whether the event has no hit.
  bool empty() const { return first == last; }
};

/// A set of images stored sparsely, in compressed-sparse-row form: one offset per event into a
/// packed array of 4-byte pixel indices, plus a row-major float32 N x K label table with named
/// columns. Images of the simulation are 9 x 384 with ~14 hits, so a stored event costs ~90
/// bytes instead of 3456 dense bytes.
///
/// Binary images (a pixel is on or off) store only the pixels: every hit has the value 1. Images
/// of real values (continuous features of a tabular data set, charges, times) also store one
/// float32 value per hit, parallel to the pixels (a sparse tensor with values). Values are kept
/// only while some hit's value is not 1, so a binary store never carries them and its files and
/// sizes are those of a store without values. Every mutating call keeps the invariants (offsets
/// non-decreasing, each event's pixels ascending, unique and inside the image, values finite)
/// or throws DataError and leaves the store unchanged.
class EventStore {
 public:
  /// An empty store of 0 x 0 images without labels.
  EventStore() = default;

  /// An empty store of `layers` x `columns` images whose label columns are `label_names`.
  /// `metadata_json` is free JSON text carried along (the simulation writes its parameters and
  /// seed there). Throws DataError on a zero or too large image (more than 2^32 pixels), or on
  /// empty or duplicate label names.
  EventStore(std::size_t layers, std::size_t columns, std::vector<std::string> label_names,
             std::string metadata_json = "{}");

  /// A store adopting ready arrays: `offsets` (N + 1 entries, first 0, last pixels.size()),
  /// `pixels`, `labels` (N x K) and the hit values: empty for binary images, else one finite
  /// value per pixel (dropped when all of them are 1). Checks every invariant; a violation
  /// throws DataError whose message starts with `source` (a file name, or any name that tells
  /// the reader where the arrays came from), e.g. "events.hlsd: event 3: pixel 4000 outside the
  /// 9 x 384 image".
  static EventStore from_arrays(const std::string& source, std::size_t layers, std::size_t columns,
                                std::vector<std::string> label_names, std::string metadata_json,
                                std::vector<std::uint64_t> offsets,
                                std::vector<std::uint32_t> pixels, std::vector<float> labels,
                                std::vector<float> values = {});

  /// Appends one event. `pixels` are flat indices in any order; `labels` points to
  /// label_count() values; `values`, when not null, to one value per pixel (null: every hit is
  /// 1). The pixels are sorted; without values duplicates are merged (a pixel is on or off),
  /// with values a duplicate is an error, since no merge rule fits every meaning of a value.
  /// Throws DataError for a pixel outside the image, a duplicate pixel with values, or a NaN or
  /// infinite value.
  void add_event(const std::uint32_t* pixels, std::size_t n_pixels, const float* labels,
                 const float* values = nullptr);

  /// Reserves room for `events` more events holding `hits` more pixels in total.
  void reserve(std::size_t events, std::size_t hits);

  /// Number of events.
  std::size_t size() const { return offsets_.size() - 1; }
  /// Whether the store has no event.
  bool empty() const { return size() == 0; }
  /// Image shape (layers, columns).
  ImageShape image_shape() const { return {layers_, columns_}; }
  /// Image rows.
  std::size_t layers() const { return layers_; }
  /// Image columns.
  std::size_t columns() const { return columns_; }
  /// Pixels of one image, layers() * columns().
  std::size_t pixels_per_image() const { return layers_ * columns_; }
  /// Total number of stored hits over all events.
  std::size_t hit_count() const { return pixels_.size(); }

  /// The hits of `event`; the event index is not checked (use a valid one).
  PixelRange hits(std::size_t event) const {
    return {pixels_.data() + offsets_[event], pixels_.data() + offsets_[event + 1]};
  }

  /// Whether the hits carry values other than 1 (false for binary images).
  bool has_values() const { return !values_.empty(); }
  /// The values of the hits of `event`, parallel to hits(event), or null when the store has no
  /// values (every hit is 1); the event index is not checked.
  const float* hit_values(std::size_t event) const {
    return values_.empty() ? nullptr : values_.data() + offsets_[event];
  }

  /// Names of the label columns, in column order.
  const std::vector<std::string>& label_names() const { return label_names_; }
  /// Number of label columns K.
  std::size_t label_count() const { return label_names_.size(); }
  /// Whether a label column is called `name`.
  bool has_label(std::string_view name) const;
  /// Index of the label column called `name`. Throws DataError listing the available names, e.g.
  /// "no label column 'ptt' (available: pt, eta, phi, charge, n_hits, is_noise)".
  std::size_t label_index(std::string_view name) const;
  /// Label `column` of `event`; indices are not checked.
  float label(std::size_t event, std::size_t column) const {
    return labels_[event * label_names_.size() + column];
  }
  /// Pointer to the K labels of `event`; the index is not checked.
  const float* label_row(std::size_t event) const {
    return labels_.data() + event * label_names_.size();
  }
  /// One label column over all events. Throws DataError for an unknown name.
  std::vector<float> label_column(std::string_view name) const;
  /// One label column over the events `indices`, in that order. Throws DataError for an unknown
  /// name or an index out of range.
  std::vector<float> label_column(std::string_view name,
                                  const std::vector<std::size_t>& indices) const;

  /// Writes the dense images of events indices[0..n) to `out` as n x layers x columns row-major
  /// floats: each hit's value (1 for binary images) at its pixel and 0 elsewhere. Throws
  /// DataError for an index out of range, before writing anything.
  void fill_dense(const std::size_t* indices, std::size_t n, float* out) const;

  /// A new store holding events indices[0..n) in that order (repeats allowed), with the same
  /// shape, labels, metadata and hit values (dropped when the chosen hits are all 1). Throws
  /// DataError for an index out of range.
  EventStore gather(const std::size_t* indices, std::size_t n) const;
  /// gather() over a vector of indices.
  EventStore gather(const std::vector<std::size_t>& indices) const {
    return gather(indices.data(), indices.size());
  }

  /// Heap bytes held by the store (capacities of its arrays, names and metadata).
  std::size_t memory_bytes() const;

  /// The metadata JSON text given at construction.
  const std::string& metadata_json() const { return metadata_json_; }
  /// Replaces the metadata JSON text; it is not parsed here.
  void set_metadata_json(std::string metadata_json) { metadata_json_ = std::move(metadata_json); }

  /// Offsets into pixels(): N + 1 entries.
  const std::vector<std::uint64_t>& offsets() const { return offsets_; }
  /// All pixels of all events, event after event.
  const std::vector<std::uint32_t>& pixels() const { return pixels_; }
  /// All labels, N x K row-major.
  const std::vector<float>& labels() const { return labels_; }
  /// All hit values, parallel to pixels(); empty when has_values() is false.
  const std::vector<float>& values() const { return values_; }

 private:
  void check_index(std::size_t event) const;
  void drop_values_if_binary();

  std::size_t layers_ = 0;
  std::size_t columns_ = 0;
  std::vector<std::string> label_names_;
  std::string metadata_json_ = "{}";
  std::vector<std::uint64_t> offsets_ = {0};
  std::vector<std::uint32_t> pixels_;
  std::vector<float> labels_;
  std::vector<float> values_;  // empty, or one per pixel with some value other than 1
};

}  // namespace hlslim::data
