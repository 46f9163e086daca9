#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hlslim/data/event_store.hpp"
#include "hlslim/data/simulation_params.hpp"

namespace hlslim::data {

/// How windows are placed. The defaults match the default simulation geometry.
struct FragmenterOptions {
  /// Window width W in columns.
  std::size_t width = 16;
  /// Layer groups tried in order to seed the window: by default the middle station BM (the
  /// trigger's pivot, layers 3-6), then the inner station BI (0-2), then the outer BO (7-8).
  std::vector<std::vector<std::size_t>> seed_layer_groups = {{3, 4, 5, 6}, {0, 1, 2}, {7, 8}};
  /// Hits whose sorted columns are at most this far apart form one seed cluster.
  std::size_t cluster_gap = 4;
  /// Pseudorapidity of the image's left edge, to express window positions in eta.
  double eta_min = 0.0;
  /// Pseudorapidity of the image's right edge.
  double eta_max = 1.05;

  /// Options for the image of a simulation: BM, BI, BO layer groups and eta range taken from
  /// `params`, with window width `width`.
  static FragmenterOptions for_simulation(const SimulationParams& params, std::size_t width = 16);
};

/// Where the window of one event lies.
struct WindowPlacement {
  /// Column of the seed the window is centred on.
  std::size_t seed_column = 0;
  /// First image column of the window.
  std::size_t start_column = 0;
  /// Pseudorapidity of the window centre: local eta = eta - eta_offset.
  float eta_offset = 0.0f;
};

/// Dense windows of a batch of events.
struct Windows {
  /// Number of windows.
  std::size_t count = 0;
  /// Rows of each window (the image's layers).
  std::size_t layers = 0;
  /// Columns of each window (W).
  std::size_t width = 0;
  /// count x layers x width row-major 0/1 floats.
  std::vector<float> images;
  /// One placement per window, in batch order.
  std::vector<WindowPlacement> placements;
};

/// Cuts layers x W windows out of full images around a seed, so that a small network reads a
/// small input.
///
/// Seed rule: the best hit cluster (best_cluster(): most layers, then most hits, then lowest
/// column) of the first layer group that has any hit (BM, else BI, else BO by default); the seed
/// column is that cluster's lower-median column. An event with no hit in any group is seeded at
/// the image centre, column floor(columns / 2).
///
/// Placement: the window starts at seed - floor(W / 2) and is shifted, never shrunk, to lie
/// inside the image: start = clamp(seed - floor(W / 2), 0, columns - W).
///
/// Labels: the window centre has eta_offset = eta_min + (start + W / 2) * column_width (the edge
/// between the two middle columns for even W); the local eta label is eta - eta_offset, and a
/// prediction maps back to global eta as eta_local + eta_offset.
class Fragmenter {
 public:
  /// Throws DataError for a zero width or an empty eta range; the image size is checked at use.
  explicit Fragmenter(FragmenterOptions options = {});

  /// The options in use.
  const FragmenterOptions& options() const { return options_; }

  /// Placement of event `event` of `store`. Throws DataError when the window is wider than the
  /// image or the event index is out of range.
  WindowPlacement place(const EventStore& store, std::size_t event) const;

  /// Dense windows of events indices[0..n), each hit at its value (1 for binary images). Throws
  /// as place().
  Windows cut(const EventStore& store, const std::size_t* indices, std::size_t n) const;

  /// A store of layers x W windows, one per event of `store`, with the same labels except:
  /// "eta" (if present) becomes local to the window for muon events (noise-only events, whose
  /// labels are all 0, keep 0), and two columns are appended: "window_start" (first column) and
  /// "eta_offset" (eta of the window centre). Hits keep their values. Throws as place(), and
  /// DataError if `store` already has a "window_start" or "eta_offset" column.
  EventStore fragment(const EventStore& store) const;

 private:
  FragmenterOptions options_;
};

/// Global eta predictions from window-local ones: eta_local[i] + eta_offset of event i of a store
/// made by Fragmenter::fragment(), events given by `indices`. Throws DataError when the sizes
/// differ, an index is out of range or the store has no "eta_offset" column.
std::vector<float> global_eta(const EventStore& windows, const std::vector<std::size_t>& indices,
                              const std::vector<float>& eta_local);

}  // namespace hlslim::data
