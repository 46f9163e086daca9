#include "hlslim/data/fragmenter.hpp"

#include <algorithm>
#include <cstring>

#include "hlslim/data/error.hpp"
#include "hlslim/data/hit_clusters.hpp"

namespace hlslim::data {

FragmenterOptions FragmenterOptions::for_simulation(const SimulationParams& params,
                                                    std::size_t width) {
  FragmenterOptions options;
  options.width = width;
  options.seed_layer_groups = {station_layers(params, Station::middle),
                               station_layers(params, Station::inner),
                               station_layers(params, Station::outer)};
  options.eta_min = params.eta_min;
  options.eta_max = params.eta_max;
  return options;
}

Fragmenter::Fragmenter(FragmenterOptions options) : options_(std::move(options)) {
  if (options_.width == 0) throw DataError("fragmenter: the window width must be positive");
  if (!(options_.eta_min < options_.eta_max)) {
    throw DataError("fragmenter: eta_min must be below eta_max");
  }
}

WindowPlacement Fragmenter::place(const EventStore& store, std::size_t event) const {
  const std::size_t columns = store.columns();
  const std::size_t width = options_.width;
  if (width > columns) {
    throw DataError("fragmenter: window width " + std::to_string(width) +
                    " exceeds the image width " + std::to_string(columns));
  }
  if (event >= store.size()) {
    throw DataError("event index " + std::to_string(event) + " out of range (the store has " +
                    std::to_string(store.size()) + " events)");
  }
  WindowPlacement placement;
  placement.seed_column = columns / 2;
  for (const std::vector<std::size_t>& group : options_.seed_layer_groups) {
    const auto cluster = best_cluster(store.hits(event), columns, group, options_.cluster_gap);
    if (cluster) {
      placement.seed_column = cluster->median_column;
      break;
    }
  }
  const std::size_t half = width / 2;
  placement.start_column =
      std::min(placement.seed_column - std::min(placement.seed_column, half), columns - width);
  const double column_width = (options_.eta_max - options_.eta_min) / static_cast<double>(columns);
  placement.eta_offset =
      static_cast<float>(options_.eta_min + (static_cast<double>(placement.start_column) +
                                             0.5 * static_cast<double>(width)) *
                                                column_width);
  return placement;
}

Windows Fragmenter::cut(const EventStore& store, const std::size_t* indices, std::size_t n) const {
  Windows windows;
  windows.count = n;
  windows.layers = store.layers();
  windows.width = options_.width;
  windows.images.assign(n * windows.layers * windows.width, 0.0f);
  windows.placements.reserve(n);
  const std::size_t columns = store.columns();
  for (std::size_t i = 0; i < n; ++i) {
    const WindowPlacement placement = place(store, indices[i]);
    windows.placements.push_back(placement);
    float* target = windows.images.data() + i * windows.layers * windows.width;
    const PixelRange hits = store.hits(indices[i]);
    const float* values = store.hit_values(indices[i]);
    for (std::size_t h = 0; h < hits.size(); ++h) {
      const std::uint32_t pixel = hits.first[h];
      const std::size_t column = pixel % columns;
      if (column < placement.start_column || column >= placement.start_column + windows.width) {
        continue;
      }
      target[(pixel / columns) * windows.width + (column - placement.start_column)] =
          values ? values[h] : 1.0f;
    }
  }
  return windows;
}

EventStore Fragmenter::fragment(const EventStore& store) const {
  for (const char* name : {"window_start", "eta_offset"}) {
    if (store.has_label(name)) {
      throw DataError(std::string("fragmenter: the store already has a '") + name +
                      "' label column (is it fragmented already?)");
    }
  }
  std::vector<std::string> names = store.label_names();
  names.push_back("window_start");
  names.push_back("eta_offset");
  const std::size_t k = store.label_count();
  const bool has_eta = store.has_label("eta");
  const std::size_t eta = has_eta ? store.label_index("eta") : 0;
  const bool has_flag = store.has_label("is_noise");
  const std::size_t flag = has_flag ? store.label_index("is_noise") : 0;

  EventStore result(store.layers(), options_.width, names, store.metadata_json());
  result.reserve(store.size(), store.hit_count());
  const std::size_t columns = store.columns();
  std::vector<std::uint32_t> pixels;
  std::vector<float> pixel_values;
  std::vector<float> row(k + 2);
  for (std::size_t event = 0; event < store.size(); ++event) {
    const WindowPlacement placement = place(store, event);
    pixels.clear();
    pixel_values.clear();
    const PixelRange hits = store.hits(event);
    const float* values = store.hit_values(event);
    for (std::size_t h = 0; h < hits.size(); ++h) {
      const std::uint32_t pixel = hits.first[h];
      const std::size_t column = pixel % columns;
      if (column < placement.start_column || column >= placement.start_column + options_.width) {
        continue;
      }
      pixels.push_back(static_cast<std::uint32_t>((pixel / columns) * options_.width +
                                                  (column - placement.start_column)));
      if (values) pixel_values.push_back(values[h]);
    }
    std::memcpy(row.data(), store.label_row(event), k * sizeof(float));
    const bool noise = has_flag && row[flag] != 0.0f;
    if (has_eta && !noise) row[eta] -= placement.eta_offset;
    row[k] = static_cast<float>(placement.start_column);
    row[k + 1] = placement.eta_offset;
    result.add_event(pixels.data(), pixels.size(), row.data(),
                     values ? pixel_values.data() : nullptr);
  }
  return result;
}

std::vector<float> global_eta(const EventStore& windows, const std::vector<std::size_t>& indices,
                              const std::vector<float>& eta_local) {
  if (indices.size() != eta_local.size()) {
    throw DataError("global_eta: " + std::to_string(eta_local.size()) + " predictions for " +
                    std::to_string(indices.size()) + " events");
  }
  std::vector<float> offsets = windows.label_column("eta_offset", indices);
  for (std::size_t i = 0; i < offsets.size(); ++i) offsets[i] += eta_local[i];
  return offsets;
}

}  // namespace hlslim::data
