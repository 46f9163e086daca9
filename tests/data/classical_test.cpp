#include "hlslim/data/classical.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hlslim/data/simulation.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

// Median and half the 16-84 % width of estimate / truth over muon events with pT in [lo, hi).
struct Response {
  double median = 0.0;
  double width = 0.0;
  std::size_t n = 0;
};

Response response(const EventStore& store, const std::vector<ClassicalEstimate>& estimates,
                  double lo, double hi) {
  std::vector<double> ratios;
  for (std::size_t event = 0; event < store.size(); ++event) {
    const double pt = store.label(event, store.label_index("pt"));
    if (pt >= lo && pt < hi && estimates[event].fitted)
      ratios.push_back(estimates[event].pt_gev / pt);
  }
  std::sort(ratios.begin(), ratios.end());
  Response r;
  r.n = ratios.size();
  if (r.n == 0) return r;
  r.median = ratios[r.n / 2];
  r.width = 0.5 * (ratios[r.n * 84 / 100] - ratios[r.n * 16 / 100]);
  return r;
}

TEST(Classical, CalibratedOnAnIdealDetector) {
  // No scattering, noise or inefficiency: what is left is strip and column granularity.
  SimulationParams params;
  params.calo_radiation_lengths = 0.0;
  params.noise_probability = 0.0;
  params.layer_efficiency = 1.0;
  params.pt_min_gev = params.pt_max_gev = 8.0;
  params.gen_eta_min = 0.1;
  params.gen_eta_max = 0.9;
  const EventStore store = simulate(params, 2000, 0, 51, 1);
  const std::vector<ClassicalEstimate> estimates = ClassicalEstimator(params).estimate_all(store);
  const Response r = response(store, estimates, 7.9, 8.1);
  EXPECT_EQ(r.n, 2000u);
  EXPECT_NEAR(r.median, 1.0, 0.03);
  EXPECT_LT(r.width, 0.05);
  std::size_t right_charge = 0;
  for (std::size_t event = 0; event < store.size(); ++event) {
    right_charge += estimates[event].charge == store.label(event, store.label_index("charge"));
  }
  EXPECT_EQ(right_charge, 2000u);
}

TEST(Classical, ResolutionWorsensWithPt) {
  const SimulationParams params;
  const EventStore store = simulate(params, 30000, 0, 52, 2);
  const std::vector<ClassicalEstimate> estimates = ClassicalEstimator(params).estimate_all(store);
  const Response soft = response(store, estimates, 5.0, 7.0);
  const Response middle = response(store, estimates, 9.0, 11.0);
  const Response stiff = response(store, estimates, 16.0, 20.0);
  // A sagitta measures 1/p with constant precision, so sigma(pT)/pT grows like pT.
  EXPECT_GT(middle.width, 1.5 * soft.width);
  EXPECT_GT(stiff.width, 1.5 * middle.width);
  EXPECT_NEAR(middle.median, 1.0, 0.05);
  double eta_error = 0.0;
  std::size_t n = 0;
  for (std::size_t event = 0; event < store.size(); ++event) {
    if (!estimates[event].fitted) continue;
    eta_error += std::abs(estimates[event].eta - store.label(event, store.label_index("eta")));
    ++n;
  }
  EXPECT_LT(eta_error / static_cast<double>(n), 0.02);
  EXPECT_GT(static_cast<double>(n), 0.95 * 30000 * (20.0 - 4.0) / 17.0);
}

TEST(Classical, NoiseOnlyEventsRarelyFire) {
  const SimulationParams params;
  const EventStore store = simulate(params, 0, 5000, 53, 2);
  std::size_t fired = 0;
  for (const ClassicalEstimate& estimate : ClassicalEstimator(params).estimate_all(store)) {
    fired += estimate.pt_gev >= 10.0f;
  }
  EXPECT_LT(fired, 25u);
}

TEST(Classical, FallbacksWithoutEnoughStations) {
  const SimulationParams params;
  const ClassicalEstimator estimator(params);
  EventStore store(9, 384, {"pt"});
  const float label[] = {0.0f};
  store.add_event(nullptr, 0, label);
  const std::uint32_t inner_only[] = {0 * 384 + 100, 1 * 384 + 100};
  store.add_event(inner_only, 2, label);
  const std::uint32_t no_inner[] = {3 * 384 + 200, 4 * 384 + 200, 7 * 384 + 203, 8 * 384 + 203};
  store.add_event(no_inner, 4, label);

  const ClassicalEstimate empty = estimator.estimate(store, 0);
  EXPECT_FALSE(empty.fitted);
  EXPECT_EQ(empty.pt_gev, 0.0f);
  EXPECT_EQ(empty.charge, 0);
  EXPECT_FLOAT_EQ(empty.eta, 0.525f);

  const ClassicalEstimate inner = estimator.estimate(store, 1);
  EXPECT_FALSE(inner.fitted);
  EXPECT_NEAR(inner.eta, column_centre_eta(params, 100), 1e-6);

  // BM and BO with the interaction point: three points, so a fit.
  const ClassicalEstimate outer = estimator.estimate(store, 2);
  EXPECT_TRUE(outer.fitted);
  EXPECT_GT(outer.pt_gev, 0.0f);
  EXPECT_NEAR(outer.eta, column_centre_eta(params, 200), 1e-6);
}

TEST(Classical, Errors) {
  const SimulationParams params;
  const ClassicalEstimator estimator(params);
  const EventStore wrong(9, 100, {});
  EXPECT_EQ(error_of([&] { estimator.estimate_all(wrong); }),
            "classical estimator: the store's images are 9 x 100 but the geometry's are 9 x 384");
  SimulationParams bad;
  bad.strip_pitch_m = -1.0;
  EXPECT_EQ(error_of([&] { ClassicalEstimator{bad}; }),
            "classical estimator: invalid simulation parameters: strip_pitch_m must be positive, "
            "got -1");
}

}  // namespace
}  // namespace hlslim::data
