#include "hlslim/data/hit_clusters.hpp"

#include <algorithm>
#include <utility>

namespace hlslim::data {
namespace {

bool in_layers(std::size_t layer, const std::vector<std::size_t>& layers) {
  return std::find(layers.begin(), layers.end(), layer) != layers.end();
}

}  // namespace

std::optional<HitCluster> best_cluster(PixelRange hits, std::size_t columns,
                                       const std::vector<std::size_t>& layers,
                                       std::size_t max_gap) {
  // (column, layer), sorted by column: a station's hits are few, so sorting costs nothing.
  std::vector<std::pair<std::size_t, std::size_t>> selected;
  for (std::uint32_t pixel : hits) {
    const std::size_t layer = pixel / columns;
    if (in_layers(layer, layers)) selected.emplace_back(pixel % columns, layer);
  }
  if (selected.empty()) return std::nullopt;
  std::sort(selected.begin(), selected.end());

  std::optional<HitCluster> best;
  std::size_t begin = 0;
  while (begin < selected.size()) {
    std::size_t end = begin + 1;
    while (end < selected.size() && selected[end].first - selected[end - 1].first <= max_gap) ++end;
    HitCluster cluster;
    cluster.first_column = selected[begin].first;
    cluster.last_column = selected[end - 1].first;
    cluster.n_hits = end - begin;
    cluster.median_column = selected[begin + (cluster.n_hits - 1) / 2].first;
    std::vector<std::size_t> seen;
    for (std::size_t i = begin; i < end; ++i) {
      if (std::find(seen.begin(), seen.end(), selected[i].second) == seen.end()) {
        seen.push_back(selected[i].second);
      }
    }
    cluster.n_layers = seen.size();
    // Clusters come in increasing column order, so keeping the first of equals keeps the lowest.
    if (!best || cluster.n_layers > best->n_layers ||
        (cluster.n_layers == best->n_layers && cluster.n_hits > best->n_hits)) {
      best = cluster;
    }
    begin = end;
  }
  return best;
}

std::vector<std::pair<std::size_t, std::size_t>> cluster_hits(
    PixelRange hits, std::size_t columns, const std::vector<std::size_t>& layers,
    const HitCluster& cluster) {
  std::vector<std::pair<std::size_t, std::size_t>> result;
  for (std::uint32_t pixel : hits) {
    const std::size_t layer = pixel / columns;
    const std::size_t column = pixel % columns;
    if (column >= cluster.first_column && column <= cluster.last_column &&
        in_layers(layer, layers)) {
      result.emplace_back(layer, column);
    }
  }
  return result;
}

}  // namespace hlslim::data
