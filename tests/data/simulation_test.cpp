// Statistical checks of the simulated images against the settings that produced them.

#include "hlslim/data/simulation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

// Stiff muons in the central region: every layer is crossed well inside the image.
SimulationParams central_stiff_muons() {
  SimulationParams params;
  params.pt_min_gev = 15.0;
  params.pt_max_gev = 20.0;
  params.gen_eta_min = 0.2;
  params.gen_eta_max = 0.8;
  params.noise_probability = 0.0;
  return params;
}

std::vector<std::size_t> hits_per_layer(const EventStore& store, std::size_t event) {
  std::vector<std::size_t> counts(store.layers(), 0);
  for (std::uint32_t pixel : store.hits(event)) ++counts[pixel / store.columns()];
  return counts;
}

TEST(Simulation, LabelsAndLayout) {
  const SimulationParams params;
  const EventStore store = simulate(params, 300, 100, 5, 1);
  ASSERT_EQ(store.size(), 400u);
  EXPECT_EQ(store.layers(), 9u);
  EXPECT_EQ(store.columns(), 384u);
  EXPECT_EQ(store.label_names(), simulation_label_names());
  const std::size_t pt = store.label_index("pt"), eta = store.label_index("eta");
  const std::size_t phi = store.label_index("phi"), charge = store.label_index("charge");
  const std::size_t noise = store.label_index("is_noise");
  for (std::size_t event = 0; event < 300; ++event) {
    EXPECT_GE(store.label(event, pt), 3.0f);
    EXPECT_LE(store.label(event, pt), 20.0f);
    EXPECT_GE(store.label(event, eta), 0.0f);
    EXPECT_LE(store.label(event, eta), 1.05f);
    EXPECT_LE(std::abs(store.label(event, phi)), 0.19635f);
    EXPECT_EQ(std::abs(store.label(event, charge)), 1.0f);
    EXPECT_EQ(store.label(event, noise), 0.0f);
  }
  for (std::size_t event = 300; event < 400; ++event) {
    for (std::size_t column = 0; column + 1 < store.label_count(); ++column) {
      EXPECT_EQ(store.label(event, column), 0.0f);
    }
    EXPECT_EQ(store.label(event, noise), 1.0f);
  }
  const nlohmann::json metadata = nlohmann::json::parse(store.metadata_json());
  EXPECT_EQ(metadata["seed"], 5);
  EXPECT_EQ(metadata["n_muon_events"], 300);
  EXPECT_EQ(metadata["n_noise_events"], 100);
  EXPECT_EQ(metadata["simulation"], params.to_json());
}

TEST(Simulation, GeneratedDistributionsAreFlat) {
  const EventStore store = simulate(SimulationParams(), 40000, 0, 9, 2);
  const std::vector<float> pt = store.label_column("pt");
  const std::vector<float> eta = store.label_column("eta");
  const std::vector<float> charge = store.label_column("charge");
  double mean_pt = 0.0, mean_eta = 0.0, mean_charge = 0.0;
  for (std::size_t i = 0; i < store.size(); ++i) {
    mean_pt += pt[i];
    mean_eta += eta[i];
    mean_charge += charge[i];
  }
  const auto n = static_cast<double>(store.size());
  // Standard errors: 4.9 / sqrt(n) = 0.025, 0.30 / sqrt(n) = 0.0015, 1 / sqrt(n) = 0.005.
  EXPECT_NEAR(mean_pt / n, 11.5, 0.1);
  EXPECT_NEAR(mean_eta / n, 0.525, 0.006);
  EXPECT_NEAR(mean_charge / n, 0.0, 0.02);
}

TEST(Simulation, NHitsCountsMuonPixelsOnly) {
  SimulationParams params = central_stiff_muons();
  const EventStore clean = simulate(params, 2000, 0, 3, 1);
  params.noise_probability = 5e-3;
  const EventStore noisy = simulate(params, 2000, 0, 3, 1);
  const std::size_t n_hits = clean.label_index("n_hits");
  std::size_t extra = 0;
  for (std::size_t event = 0; event < clean.size(); ++event) {
    EXPECT_EQ(clean.label(event, n_hits), static_cast<float>(clean.hits(event).size()));
    // The same stream draws the muon first, so noise only adds pixels to the clean image.
    EXPECT_EQ(noisy.label(event, n_hits), clean.label(event, n_hits));
    EXPECT_GE(noisy.hits(event).size(), clean.hits(event).size());
    extra += noisy.hits(event).size() - clean.hits(event).size();
  }
  EXPECT_GT(extra, 0u);
}

TEST(Simulation, HitEfficiencyMatchesTheSetting) {
  const EventStore store = simulate(central_stiff_muons(), 20000, 0, 21, 2);
  std::size_t fired = 0, trials = 0;
  for (std::size_t event = 0; event < store.size(); ++event) {
    for (std::size_t count : hits_per_layer(store, event)) {
      fired += count > 0;
      ++trials;
    }
  }
  // Binomial standard error over 180000 layer crossings: 0.0005.
  EXPECT_NEAR(static_cast<double>(fired) / static_cast<double>(trials), 0.95, 0.003);
}

TEST(Simulation, ClusterSizeFractionsMatchTheSetting) {
  // In the inner station one strip (3 cm) is wider than one column (1.3 to 2.1 cm), so each
  // strip of a cluster lights its own pixel and the pixel count of a layer is the cluster size.
  const EventStore store = simulate(central_stiff_muons(), 20000, 0, 22, 2);
  std::size_t sizes[4] = {};
  std::size_t clusters = 0;
  for (std::size_t event = 0; event < store.size(); ++event) {
    const std::vector<std::size_t> counts = hits_per_layer(store, event);
    for (std::size_t layer = 0; layer < 3; ++layer) {
      if (counts[layer] == 0) continue;
      ASSERT_LE(counts[layer], 3u);
      ++sizes[counts[layer]];
      ++clusters;
    }
  }
  const auto n = static_cast<double>(clusters);
  // Standard errors over ~57000 clusters: at most 0.002.
  EXPECT_NEAR(static_cast<double>(sizes[1]) / n, 0.70, 0.01);
  EXPECT_NEAR(static_cast<double>(sizes[2]) / n, 0.25, 0.01);
  EXPECT_NEAR(static_cast<double>(sizes[3]) / n, 0.05, 0.005);
}

TEST(Simulation, NoiseOccupancyMatchesTheSetting) {
  const SimulationParams params;
  const std::size_t n = 20000;
  const EventStore store = simulate(params, 0, n, 23, 2);
  // Strips of a layer inside the image: centres (k + 1/2) pitch with k >= 0 below r sinh(1.05).
  double strips = 0.0;
  for (const Layer& layer : params.layers) {
    strips +=
        std::floor(layer.radius_m * std::sinh(params.eta_max) / params.strip_pitch_m - 0.5) + 1;
  }
  const double expected = static_cast<double>(n) * strips * params.noise_probability;
  const auto observed = static_cast<double>(store.hit_count());
  // Two noise strips rarely share a pixel (p ~ 1e-3), so pixels count fired strips; the
  // Poisson standard error is sqrt(52000) = 230, under 0.5 %.
  EXPECT_NEAR(observed / expected, 1.0, 0.02) << "expected " << expected;
  // Uniform over columns: both halves of the image get their share of the strips.
  std::size_t low = 0;
  for (std::uint32_t pixel : store.pixels()) low += pixel % store.columns() < 192;
  EXPECT_GT(static_cast<double>(low) / observed, 0.35);
}

TEST(Simulation, MuonsBelowTheCutOffLeaveNoHits) {
  SimulationParams params;
  params.noise_probability = 0.0;
  params.min_momentum_gev = 1.0;
  // p <= 3.5 cosh(0.2) = 3.57 GeV minus at least 3 GeV of loss: always below the cut-off.
  params.pt_min_gev = 3.0;
  params.pt_max_gev = 3.5;
  params.gen_eta_min = 0.0;
  params.gen_eta_max = 0.2;
  const EventStore stopped = simulate(params, 5000, 0, 31, 1);
  EXPECT_EQ(stopped.hit_count(), 0u);
  // Just above the cut-off they reach the outer station.
  params.pt_min_gev = 6.0;
  params.pt_max_gev = 7.0;
  const EventStore through = simulate(params, 5000, 0, 31, 1);
  std::size_t with_outer_hits = 0;
  for (std::size_t event = 0; event < through.size(); ++event) {
    with_outer_hits += hits_per_layer(through, event)[8] > 0;
  }
  EXPECT_GT(with_outer_hits, 4000u);
}

TEST(Simulation, BendingInTheImageScalesAsInversePt) {
  // Mean column shift from BI to BO at eta 0.3-0.5 without energy loss: multiple scattering
  // smears it but averages out, so shift * pT is the same in a soft and a stiff bin.
  SimulationParams params;
  params.noise_probability = 0.0;
  params.calo_energy_loss_gev = 0.0;
  params.gen_eta_min = 0.3;
  params.gen_eta_max = 0.5;
  auto mean_shift_times_pt = [&](double pt, int charge) {
    params.pt_min_gev = pt;
    params.pt_max_gev = pt;
    const EventStore store = simulate(params, 6000, 0, 41, 2);
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t event = 0; event < store.size(); ++event) {
      if (store.label(event, store.label_index("charge")) != charge) continue;
      double inner = 0.0, outer = 0.0;
      std::size_t n_inner = 0, n_outer = 0;
      for (std::uint32_t pixel : store.hits(event)) {
        const std::size_t layer = pixel / store.columns();
        const double column = pixel % store.columns();
        if (layer < 3) {
          inner += column;
          ++n_inner;
        } else if (layer >= 7) {
          outer += column;
          ++n_outer;
        }
      }
      if (n_inner == 0 || n_outer == 0) continue;
      sum += outer / n_outer - inner / n_inner;
      ++n;
    }
    return sum / static_cast<double>(n) * pt;
  };
  const double soft = mean_shift_times_pt(8.0, 1);
  const double stiff = mean_shift_times_pt(16.0, 1);
  EXPECT_GT(soft, 0.0);
  EXPECT_NEAR(stiff / soft, 1.0, 0.08);
  EXPECT_LT(mean_shift_times_pt(8.0, -1), 0.0);
}

TEST(Simulation, ThreadCountDoesNotChangeTheResult) {
  const SimulationParams params;
  const EventStore one = simulate(params, 15000, 5000, 77, 1);
  const EventStore two = simulate(params, 15000, 5000, 77, 2);
  const EventStore three = simulate(params, 15000, 5000, 77, 3);
  EXPECT_EQ(one.offsets(), two.offsets());
  EXPECT_EQ(one.pixels(), two.pixels());
  EXPECT_EQ(one.labels(), two.labels());
  EXPECT_EQ(one.pixels(), three.pixels());
  EXPECT_EQ(one.metadata_json(), two.metadata_json());
  const EventStore other_seed = simulate(params, 15000, 5000, 78, 2);
  EXPECT_NE(one.pixels(), other_seed.pixels());
}

TEST(Simulation, InvalidParamsAreRejectedWithEveryProblem) {
  SimulationParams params;
  params.noise_probability = -1.0;
  params.strip_pitch_m = 0.0;
  EXPECT_EQ(error_of([&] { simulate(params, 1, 0, 1, 1); }),
            "invalid simulation parameters: strip_pitch_m must be positive, got 0; "
            "noise_probability must be in [0, 1], got -1");
}

}  // namespace
}  // namespace hlslim::data
