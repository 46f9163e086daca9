#pragma once

#include <cstddef>
#include <vector>

#include "hlslim/data/event_store.hpp"
#include "hlslim/data/hit_clusters.hpp"
#include "hlslim/data/simulation_params.hpp"

namespace hlslim::data {

/// Settings of the classical reference estimator.
struct ClassicalOptions {
  /// Hits of a station whose sorted columns are at most this far apart form one cluster.
  std::size_t cluster_gap = 4;
  /// A station's cluster spanning at least this many layers always takes part in the fit.
  std::size_t min_station_layers = 2;
  /// A BI or BO cluster on fewer layers takes part only when its median column lies within
  /// this many columns of the BM cluster's: a lone strip far from the pivot is more likely
  /// noise than muon, and one noise point in a sagitta gives an arbitrary pT.
  std::size_t road_columns = 32;
  /// Estimates are capped here, in GeV: a straight track has an infinite fitted momentum.
  double max_pt_gev = 100.0;
};

/// The classical estimate for one event.
struct ClassicalEstimate {
  /// Estimated pT in GeV; 0 when no fit was possible (such events never fire).
  float pt_gev = 0.0f;
  /// Estimated eta.
  float eta = 0.0f;
  /// Estimated charge, +1 or -1; 0 when no fit was possible.
  int charge = 0;
  /// Whether a sagitta could be measured (three points, see ClassicalEstimator).
  bool fitted = false;
};

/// A non-ML reference: pT and eta from the hits of one event, the way a trigger physicist would
/// fit them, reading the sparse store directly.
///
/// Each station (BI, BM, BO) is reduced to one point (r, z): its best hit cluster
/// (best_cluster()), averaged per layer (r of the layer, z = r sinh(eta of the column centre)),
/// then over layers. A cluster on fewer than min_station_layers layers counts only in BI or BO
/// and only within road_columns of the BM cluster. With all three stations the sagitta s of the
/// middle point with respect to the chord of the outer two is measured; with two, the interaction
/// point (0, 0) stands in for the missing one. To first order in the curvature kappa, s = kappa G /
/// cos^3(psi), with psi the chord's angle to the radial direction and G a lever arm computed
/// analytically from the field region and the three radii; so p = 0.3 B / |kappa| in the
/// spectrometer, the calorimeter loss at the estimated eta is added back, and pT = p / cosh(eta).
/// The charge is the sign of kappa B. eta is that of the BI point seen from the interaction point
/// (else BM, else BO; single-layer clusters count here). With fewer than two station points there
/// is no fit: pT = 0 (never fires), charge 0, eta as above, or the image centre without any hit.
class ClassicalEstimator {
 public:
  /// Throws DataError listing the problems of invalid `params`.
  explicit ClassicalEstimator(SimulationParams params, ClassicalOptions options = {});

  /// The estimate for `event`. Throws DataError when the store's image shape is not that of
  /// the params or the index is out of range.
  ClassicalEstimate estimate(const EventStore& store, std::size_t event) const;

  /// Estimates for every event of `store`, in order. Throws as estimate().
  std::vector<ClassicalEstimate> estimate_all(const EventStore& store) const;

 private:
  struct Point {
    double r = 0.0;
    double z = 0.0;
  };

  void check_shape(const EventStore& store) const;
  Point station_point(PixelRange hits, std::size_t columns, const std::vector<std::size_t>& layers,
                      const HitCluster& cluster) const;

  SimulationParams params_;
  ClassicalOptions options_;
  std::vector<std::size_t> station_layers_[3];
};

}  // namespace hlslim::data
