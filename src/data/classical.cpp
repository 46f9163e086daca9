#include "hlslim/data/classical.hpp"

#include <cmath>
#include <optional>

#include "hlslim/data/error.hpp"
#include "hlslim/data/hit_clusters.hpp"
#include "hlslim/data/simulation.hpp"
#include "track_model.hpp"

namespace hlslim::data {
// The station's hits reduced to one point. Each layer is averaged first, so that a wide cluster
// in one layer does not outweigh the other layers of the station.
ClassicalEstimator::Point ClassicalEstimator::station_point(PixelRange hits, std::size_t columns,
                                                            const std::vector<std::size_t>& layers,
                                                            const HitCluster& cluster) const {
  double r_sum = 0.0, z_sum = 0.0;
  std::size_t n_layers = 0;
  const auto members = cluster_hits(hits, columns, layers, cluster);
  for (std::size_t i = 0; i < members.size();) {
    const std::size_t layer = members[i].first;
    const double r = params_.layers[layer].radius_m;
    double z_layer = 0.0;
    std::size_t n = 0;
    for (; i < members.size() && members[i].first == layer; ++i, ++n) {
      z_layer += r * std::sinh(column_centre_eta(params_, members[i].second));
    }
    r_sum += r;
    z_sum += z_layer / static_cast<double>(n);
    ++n_layers;
  }
  return {r_sum / static_cast<double>(n_layers), z_sum / static_cast<double>(n_layers)};
}

ClassicalEstimator::ClassicalEstimator(SimulationParams params, ClassicalOptions options)
    : params_(std::move(params)), options_(options) {
  const std::vector<std::string> problems = params_.validate();
  if (!problems.empty()) {
    std::string message = "classical estimator: invalid simulation parameters: ";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      message += (i == 0 ? "" : "; ") + problems[i];
    }
    throw DataError(message);
  }
  for (Station station : {Station::inner, Station::middle, Station::outer}) {
    station_layers_[static_cast<int>(station)] = station_layers(params_, station);
  }
}

void ClassicalEstimator::check_shape(const EventStore& store) const {
  if (store.layers() != params_.layers.size() || store.columns() != params_.columns) {
    throw DataError("classical estimator: the store's images are " +
                    std::to_string(store.layers()) + " x " + std::to_string(store.columns()) +
                    " but the geometry's are " + std::to_string(params_.layers.size()) + " x " +
                    std::to_string(params_.columns));
  }
}

ClassicalEstimate ClassicalEstimator::estimate(const EventStore& store, std::size_t event) const {
  check_shape(store);
  if (event >= store.size()) {
    throw DataError("event index " + std::to_string(event) + " out of range (the store has " +
                    std::to_string(store.size()) + " events)");
  }
  const PixelRange hits = store.hits(event);
  std::optional<HitCluster> clusters[3];
  for (int station = 0; station < 3; ++station) {
    clusters[station] =
        best_cluster(hits, store.columns(), station_layers_[station], options_.cluster_gap);
  }
  Point points[3];
  bool found[3] = {false, false, false};
  bool usable[3] = {false, false, false};
  for (int station = 0; station < 3; ++station) {
    if (!clusters[station]) continue;
    const HitCluster& cluster = *clusters[station];
    points[station] = station_point(hits, store.columns(), station_layers_[station], cluster);
    found[station] = true;
    if (cluster.n_layers >= options_.min_station_layers) {
      usable[station] = true;
    } else if (station != 1 && clusters[1]) {
      const std::size_t pivot = clusters[1]->median_column;
      const std::size_t column = cluster.median_column;
      usable[station] = (column > pivot ? column - pivot : pivot - column) <= options_.road_columns;
    }
  }

  ClassicalEstimate result;
  const int eta_station = found[0] ? 0 : found[1] ? 1 : found[2] ? 2 : -1;
  const double eta = eta_station < 0 ? 0.5 * (params_.eta_min + params_.eta_max)
                                     : std::asinh(points[eta_station].z / points[eta_station].r);
  result.eta = static_cast<float>(eta);

  Point fit[3];
  std::size_t n_points = 0;
  if (!(usable[0] && usable[1] && usable[2])) fit[n_points++] = Point{};  // the interaction point
  for (int station = 0; station < 3; ++station) {
    if (usable[station] && n_points < 3) fit[n_points++] = points[station];
  }
  if (n_points < 3) return result;

  const double a = params_.field_r_min_m;
  const double b = params_.field_r_max_m;
  const double span = fit[2].r - fit[0].r;
  const double fraction = (fit[1].r - fit[0].r) / span;
  const double sagitta = fit[1].z - fit[0].z - (fit[2].z - fit[0].z) * fraction;
  const double lever =
      detail::field_lever(fit[1].r, a, b) - detail::field_lever(fit[0].r, a, b) -
      (detail::field_lever(fit[2].r, a, b) - detail::field_lever(fit[0].r, a, b)) * fraction;
  if (!(std::abs(lever) > 1e-9) || params_.field_tesla == 0.0) return result;
  const double slope = (fit[2].z - fit[0].z) / span;
  const double cos_chord = 1.0 / std::sqrt(1.0 + slope * slope);
  const double curvature = sagitta * cos_chord * cos_chord * cos_chord / lever;

  result.fitted = true;
  result.charge = (curvature >= 0.0) == (params_.field_tesla > 0.0) ? 1 : -1;
  double pt = options_.max_pt_gev;
  if (curvature != 0.0) {
    const double p_spectrometer =
        detail::kGevPerTeslaMetre * std::abs(params_.field_tesla) / std::abs(curvature);
    pt = momentum_before_calorimeter(params_, eta, p_spectrometer) / std::cosh(eta);
  }
  result.pt_gev = static_cast<float>(std::min(pt, options_.max_pt_gev));
  return result;
}

std::vector<ClassicalEstimate> ClassicalEstimator::estimate_all(const EventStore& store) const {
  check_shape(store);
  std::vector<ClassicalEstimate> estimates;
  estimates.reserve(store.size());
  for (std::size_t event = 0; event < store.size(); ++event) {
    estimates.push_back(estimate(store, event));
  }
  return estimates;
}

}  // namespace hlslim::data
