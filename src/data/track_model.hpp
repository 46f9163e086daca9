#pragma once

#include <algorithm>
#include <cmath>

#include "hlslim/data/simulation.hpp"

// Internal to the data layer: the trajectory arithmetic shared by the simulation and the
// classical reference estimator, so both use exactly the same field model.
namespace hlslim::data::detail {

inline constexpr double kMuonMassGev = 0.1056583755;
// p [GeV] = kGevPerTeslaMetre * B [T] * R [m]; the specification's "0.3" is this, rounded.
inline constexpr double kGevPerTeslaMetre = 0.299792458;

// A muon moving outwards in the r-z plane: position and direction (s = sin, c = cos of the angle
// to the radial axis; c > 0 while it moves outwards).
struct TrackState {
  double r;
  double z;
  double s;
  double c;
};

// Moves `state` out to radius `r_target`: straight lines outside [field_r_min, field_r_max],
// a circle of signed curvature `kappa` (1/m) inside. Returns false when the muon curls back
// before reaching r_target. Inside the field the exact circle is used in a form with no 1/kappa,
// which stays accurate for straight tracks: dz = dr (s0 + s1) / (c0 + c1).
inline bool advance(TrackState& state, double r_target, double field_r_min, double field_r_max,
                    double kappa) {
  if (state.r < field_r_min && state.r < r_target) {
    const double r1 = std::min(r_target, field_r_min);
    state.z += (r1 - state.r) * state.s / state.c;
    state.r = r1;
  }
  if (state.r < field_r_max && state.r < r_target) {
    const double r1 = std::min(r_target, field_r_max);
    const double dr = r1 - state.r;
    const double s1 = state.s + kappa * dr;
    if (!(std::abs(s1) < 1.0)) return false;
    const double c1 = std::sqrt((1.0 - s1) * (1.0 + s1));
    state.z += dr * (state.s + s1) / (state.c + c1);
    state.s = s1;
    state.c = c1;
    state.r = r1;
  }
  if (state.r < r_target) {
    state.z += (r_target - state.r) * state.s / state.c;
    state.r = r_target;
  }
  return true;
}

// The double integral of the field-region indicator, F(r) = integral_0^r (r - u) [a <= u <= b] du.
// To first order in the curvature, z(r) = z0 + r tan(psi) + kappa F(r) / cos^3(psi), which is how
// the classical estimator turns a sagitta into a curvature.
inline double field_lever(double r, double a, double b) {
  if (r <= a) return 0.0;
  if (r <= b) return 0.5 * (r - a) * (r - a);
  return 0.5 * (b - a) * (b - a) + (b - a) * (r - b);
}

// trace_track() without allocating: `trace.layers` must already hold one entry per layer.
void trace_into(const SimulationParams& params, const MuonTruth& muon, double scattering_angle_rad,
                TrackTrace& trace);

}  // namespace hlslim::data::detail
