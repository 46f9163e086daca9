// The trajectory model, free of detector response: bending, energy loss, scattering, curling.

#include <gtest/gtest.h>

#include <cmath>

#include "hlslim/data/simulation.hpp"

namespace hlslim::data {
namespace {

// z at the last (outer) layer minus the straight line from the interaction point.
double outer_deflection(const SimulationParams& params, double pt, double eta, int charge) {
  const TrackTrace trace = trace_track(params, {pt, eta, 0.0, charge}, 0.0);
  EXPECT_TRUE(trace.layers.back().reached) << "pt " << pt << " eta " << eta;
  const double r = params.layers.back().radius_m;
  return trace.layers.back().z_m - r * std::sinh(eta);
}

SimulationParams without_energy_loss() {
  SimulationParams params;
  params.calo_energy_loss_gev = 0.0;
  return params;
}

TEST(Physics, BendingScalesAsInversePtAndFlipsWithCharge) {
  const SimulationParams params = without_energy_loss();
  const double reference = outer_deflection(params, 100.0, 0.0, 1) * 100.0;
  EXPECT_GT(reference, 0.0);
  for (double pt : {5.0, 10.0, 20.0, 50.0}) {
    const double plus = outer_deflection(params, pt, 0.0, 1);
    const double minus = outer_deflection(params, pt, 0.0, -1);
    EXPECT_NEAR(plus * pt / reference, 1.0, 0.01) << "pt " << pt;
    EXPECT_NEAR(minus, -plus, 1e-12) << "pt " << pt;
  }
  // Away from eta = 0 the track is inclined, so the two charges are no longer mirror images,
  // but 1/pT scaling and the sign flip hold.
  const double inclined = outer_deflection(params, 100.0, 0.5, 1) * 100.0;
  for (double pt : {20.0, 50.0}) {
    EXPECT_NEAR(outer_deflection(params, pt, 0.5, 1) * pt / inclined, 1.0, 0.03) << "pt " << pt;
    EXPECT_LT(outer_deflection(params, pt, 0.5, -1), 0.0);
  }
}

TEST(Physics, BendingMagnitudeFollowsTheFieldIntegral) {
  // Small-angle limit at eta = 0: dz = kappa * integral over the field region of (r_BO - u) du,
  // with kappa = 0.3 B / p; the field spans 5.0-9.5 m and BO's last layer is at 9.81 m:
  // 0.5 * 4.5^2 + 4.5 * 0.31 = 11.52 m^2.
  const SimulationParams params = without_energy_loss();
  const double kappa = 0.299792458 * 0.5 / 100.0;
  EXPECT_NEAR(outer_deflection(params, 100.0, 0.0, 1), kappa * 11.52, 1e-6);
}

TEST(Physics, EnergyLossGrowsWithPathAndInverts) {
  const SimulationParams params;
  EXPECT_DOUBLE_EQ(calorimeter_energy_loss(params, 0.0), 3.0);
  EXPECT_NEAR(calorimeter_energy_loss(params, 1.0), 3.0 * std::cosh(1.0), 1e-12);
  EXPECT_NEAR(momentum_after_calorimeter(params, 0.0, 10.0), 7.0, 2e-3);
  for (double p : {5.0, 7.0, 20.0}) {
    for (double eta : {0.0, 0.6}) {
      const double out = momentum_after_calorimeter(params, eta, p);
      EXPECT_NEAR(momentum_before_calorimeter(params, eta, out), p, 1e-9);
    }
  }
  SimulationParams fixed = params;
  fixed.calo_scale_with_path = false;
  EXPECT_DOUBLE_EQ(calorimeter_energy_loss(fixed, 1.0), 3.0);
}

TEST(Physics, MuonsBelowTheCutOffStopInTheCalorimeter) {
  SimulationParams params;
  const TrackTrace ranged_out = trace_track(params, {2.9, 0.0, 0.0, 1}, 0.0);
  EXPECT_TRUE(ranged_out.stopped);
  EXPECT_EQ(ranged_out.p_spectrometer_gev, 0.0);
  for (const LayerCrossing& crossing : ranged_out.layers) EXPECT_FALSE(crossing.reached);

  params.min_momentum_gev = 1.0;
  EXPECT_TRUE(trace_track(params, {3.9, 0.0, 0.0, 1}, 0.0).stopped);
  const TrackTrace through = trace_track(params, {4.2, 0.0, 0.0, 1}, 0.0);
  EXPECT_FALSE(through.stopped);
  for (const LayerCrossing& crossing : through.layers) EXPECT_TRUE(crossing.reached);
}

TEST(Physics, CurlingMuonsMissTheOuterStations) {
  // p = 3.5 cosh(1) = 5.4 GeV, 0.77 GeV after the calorimeter: R = 5.1 m. Bent towards the
  // beam axis, it turns parallel to it before reaching BM; bent the other way it gets through.
  const SimulationParams params;
  const TrackTrace curled = trace_track(params, {3.5, 1.0, 0.0, 1}, 0.0);
  for (std::size_t layer = 0; layer < 9; ++layer) {
    EXPECT_EQ(curled.layers[layer].reached, layer < 3) << "layer " << layer;
  }
  const TrackTrace escaped = trace_track(params, {3.5, 1.0, 0.0, -1}, 0.0);
  for (const LayerCrossing& crossing : escaped.layers) EXPECT_TRUE(crossing.reached);
}

TEST(Physics, HighlandWidth) {
  const SimulationParams params;
  // 100 X0 at eta = 0 and 10 GeV: 13.6 MeV / 10 GeV * sqrt(100) * (1 + 0.038 ln 100).
  EXPECT_NEAR(scattering_width(params, 0.0, 10.0, 10.0), 0.0136 * (1 + 0.038 * std::log(100.0)),
              2e-5);
  // The mean of entry and exit momentum is used.
  EXPECT_NEAR(scattering_width(params, 0.0, 12.0, 8.0), scattering_width(params, 0.0, 10.0, 10.0),
              1e-12);
  SimulationParams thin = params;
  thin.calo_radiation_lengths = 0.0;
  EXPECT_EQ(scattering_width(thin, 0.0, 10.0, 10.0), 0.0);
}

TEST(Physics, ScatteringKinksTheTrackAtTheCalorimeter) {
  SimulationParams params;
  params.field_tesla = 0.0;
  const double kink = 0.01;
  const TrackTrace trace = trace_track(params, {10.0, 0.0, 0.0, 1}, kink);
  for (std::size_t layer = 0; layer < 9; ++layer) {
    const double r = params.layers[layer].radius_m;
    EXPECT_NEAR(trace.layers[layer].z_m, (r - params.calo_radius_m) * std::tan(kink), 1e-12);
  }
}

}  // namespace
}  // namespace hlslim::data
