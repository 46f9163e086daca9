#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "hlslim/data/event_store.hpp"

namespace hlslim::data {

/// A group of hits in a set of layers whose columns, sorted, are never more than a gap apart.
struct HitCluster {
  /// Lowest column of the cluster.
  std::size_t first_column = 0;
  /// Highest column of the cluster.
  std::size_t last_column = 0;
  /// Number of distinct layers with a hit in the cluster.
  std::size_t n_layers = 0;
  /// Number of hits in the cluster.
  std::size_t n_hits = 0;
  /// Lower median of the hit columns (of the sorted list c, c[(n_hits - 1) / 2]).
  std::size_t median_column = 0;
};

/// The most muon-like cluster among the `hits` (of an image with `columns` columns) that lie in
/// `layers`: hits join one cluster while consecutive sorted columns differ by at most `max_gap`;
/// the best cluster has the most distinct layers, then the most hits, then the lowest first
/// column. A muon crossing a station lights several of its layers in nearby columns, while noise
/// is scattered single strips, so this picks the muon whenever it left hits. std::nullopt when
/// no hit lies in `layers`. Never throws for valid hits; layers beyond the image are ignored.
std::optional<HitCluster> best_cluster(PixelRange hits, std::size_t columns,
                                       const std::vector<std::size_t>& layers, std::size_t max_gap);

/// The hits of `cluster`'s column range that lie in `layers`, as (layer, column) pairs in pixel
/// order.
std::vector<std::pair<std::size_t, std::size_t>> cluster_hits(
    PixelRange hits, std::size_t columns, const std::vector<std::size_t>& layers,
    const HitCluster& cluster);

}  // namespace hlslim::data
