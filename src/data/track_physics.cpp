#include <cmath>

#include "hlslim/data/simulation.hpp"
#include "track_model.hpp"

namespace hlslim::data {

double calorimeter_energy_loss(const SimulationParams& params, double eta) {
  // The calorimeters are cylinders: a muon at eta crosses cosh(eta) times the radial thickness.
  const double path = params.calo_scale_with_path ? std::cosh(eta) : 1.0;
  return params.calo_energy_loss_gev * path;
}

double momentum_after_calorimeter(const SimulationParams& params, double eta, double p_gev) {
  const double m = detail::kMuonMassGev;
  const double energy = std::sqrt(p_gev * p_gev + m * m) - calorimeter_energy_loss(params, eta);
  if (energy <= m) return 0.0;
  return std::sqrt((energy - m) * (energy + m));
}

double momentum_before_calorimeter(const SimulationParams& params, double eta, double p_out_gev) {
  const double m = detail::kMuonMassGev;
  const double energy =
      std::sqrt(p_out_gev * p_out_gev + m * m) + calorimeter_energy_loss(params, eta);
  return std::sqrt((energy - m) * (energy + m));
}

double scattering_width(const SimulationParams& params, double eta, double p_gev,
                        double p_out_gev) {
  const double path = params.calo_scale_with_path ? std::cosh(eta) : 1.0;
  const double thickness = params.calo_radiation_lengths * path;
  // A thick absorber with large energy loss: the mean momentum through it is a fair summary.
  const double p = 0.5 * (p_gev + p_out_gev);
  if (thickness <= 0.0 || p <= 0.0) return 0.0;
  const double m = detail::kMuonMassGev;
  const double beta = p / std::sqrt(p * p + m * m);
  return 0.0136 / (beta * p) * std::sqrt(thickness) *
         (1.0 + 0.038 * std::log(thickness / (beta * beta)));
}

void detail::trace_into(const SimulationParams& params, const MuonTruth& muon,
                        double scattering_angle_rad, TrackTrace& trace) {
  for (LayerCrossing& crossing : trace.layers) crossing = {};
  trace.curvature_per_m = 0.0;
  trace.p_initial_gev = muon.pt_gev * std::cosh(muon.eta);
  trace.p_spectrometer_gev = momentum_after_calorimeter(params, muon.eta, trace.p_initial_gev);
  trace.stopped = !(trace.p_spectrometer_gev > params.min_momentum_gev);
  if (trace.stopped) return;
  trace.curvature_per_m =
      muon.charge * detail::kGevPerTeslaMetre * params.field_tesla / trace.p_spectrometer_gev;

  // Straight from the interaction point to the scattering plane, then kinked by the angle.
  const double s0 = std::tanh(muon.eta);
  const double c0 = 1.0 / std::cosh(muon.eta);
  const double cos_kink = std::cos(scattering_angle_rad);
  const double sin_kink = std::sin(scattering_angle_rad);
  detail::TrackState state{params.calo_radius_m, params.calo_radius_m * std::sinh(muon.eta),
                           s0 * cos_kink + c0 * sin_kink, c0 * cos_kink - s0 * sin_kink};
  if (!(state.c > 1e-9)) return;
  for (std::size_t i = 0; i < params.layers.size(); ++i) {
    if (!detail::advance(state, params.layers[i].radius_m, params.field_r_min_m,
                         params.field_r_max_m, trace.curvature_per_m)) {
      break;
    }
    trace.layers[i] = {true, state.z};
  }
}

TrackTrace trace_track(const SimulationParams& params, const MuonTruth& muon,
                       double scattering_angle_rad) {
  TrackTrace trace;
  trace.layers.resize(params.layers.size());
  detail::trace_into(params, muon, scattering_angle_rad, trace);
  return trace;
}

}  // namespace hlslim::data
