#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hlslim/data/event_store.hpp"
#include "hlslim/data/simulation_params.hpp"

namespace hlslim::data {

/// Names of the label columns of a simulated store, in column order: pt (GeV), eta, phi (rad),
/// charge (+1/-1), n_hits (image pixels lit by the muon, noise excluded) and is_noise (1 for a
/// noise-only event). Noise-only events have every physical label 0.
const std::vector<std::string>& simulation_label_names();

/// Generated truth of one muon.
struct MuonTruth {
  /// Transverse momentum at the interaction point, in GeV.
  double pt_gev = 0.0;
  /// Pseudorapidity of the direction at the interaction point.
  double eta = 0.0;
  /// Azimuth, in radians (no effect on the hits: the field is toroidal).
  double phi = 0.0;
  /// +1 or -1.
  int charge = 1;
};

/// Where a muon crosses one layer.
struct LayerCrossing {
  /// Whether the muon reaches the layer (false when it stopped in the calorimeter or curled
  /// back in the field before this radius).
  bool reached = false;
  /// z of the crossing, in metres; meaningful only when reached.
  double z_m = 0.0;
};

/// The path of one muon through the detector, before any detector response.
struct TrackTrace {
  /// Momentum at the interaction point, in GeV.
  double p_initial_gev = 0.0;
  /// Momentum after the calorimeter energy loss, in GeV (0 when the loss exceeds the kinetic
  /// energy).
  double p_spectrometer_gev = 0.0;
  /// Whether the muon stops in the calorimeter (p_spectrometer_gev <= min_momentum_gev) and so
  /// reaches no layer.
  bool stopped = false;
  /// Signed curvature in the field region, 1/m (positive bends towards larger z).
  double curvature_per_m = 0.0;
  /// One crossing per layer, in layer order.
  std::vector<LayerCrossing> layers;
};

/// Energy lost in the calorimeters by a muon of pseudorapidity `eta`, in GeV.
double calorimeter_energy_loss(const SimulationParams& params, double eta);

/// Momentum after the calorimeters of a muon of momentum `p_gev` and pseudorapidity `eta`, in
/// GeV, from energy conservation with the muon mass; 0 when the loss exceeds its kinetic energy.
double momentum_after_calorimeter(const SimulationParams& params, double eta, double p_gev);

/// The inverse of momentum_after_calorimeter(): the momentum at the interaction point of a muon
/// measured with `p_out_gev` in the spectrometer.
double momentum_before_calorimeter(const SimulationParams& params, double eta, double p_out_gev);

/// Width (sigma) of the projected multiple-scattering angle in the calorimeters from the
/// Highland formula, in radians, for a muon of momentum `p_gev` at the calorimeter entry and
/// `p_out_gev` after it (the mean of the two is used); 0 when the thickness is 0.
double scattering_width(const SimulationParams& params, double eta, double p_gev, double p_out_gev);

/// Propagates `muon` from the interaction point through the calorimeter (energy loss and a
/// scattering kink of `scattering_angle_rad` in the r-z plane at calo_radius_m) and the field
/// region to every layer. Deterministic, no detector response. The params must be valid
/// (validate() empty); otherwise the result is unspecified.
TrackTrace trace_track(const SimulationParams& params, const MuonTruth& muon,
                       double scattering_angle_rad);

/// Simulates `n_muon_events` single-muon events followed by `n_noise_events` noise-only events
/// (is_noise = 1, all physical labels 0) into a store of layers x columns images labelled with
/// simulation_label_names(). Event i draws from its own random stream seeded by
/// event_seed(seed, i), so the result is identical for a seed whatever `threads` is (<= 0 means
/// one per hardware thread). The store's metadata holds the parameters and the seed. Throws
/// DataError listing every problem of invalid params.
EventStore simulate(const SimulationParams& params, std::size_t n_muon_events,
                    std::size_t n_noise_events, std::uint64_t seed, int threads);

}  // namespace hlslim::data
