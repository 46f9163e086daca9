#include "hlslim/data/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

// Six muon events and four noise events whose figures of merit are worked out by hand below.
TriggerInputs tiny_inputs() {
  TriggerInputs inputs;
  inputs.pt_true = {5, 8, 10, 12, 16, 18};
  inputs.pt_pred = {6, 7, 11, 9, 14.5f, 20};
  inputs.eta_true = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  inputs.eta_pred = {0.1f, 0.25f, 0.3f, 0.3f, 0.5f, 0.6f};
  inputs.noise_pt_pred = {0, 12, 9.99f, 10};
  return inputs;
}

TEST(Metrics, HandComputedValues) {
  MetricsOptions options;
  options.turn_on_edges = {0, 10, 20};
  const TriggerMetrics m = compute_trigger_metrics(tiny_inputs(), options);
  // |errors| 1, 1, 1, 3, 1.5, 2.
  EXPECT_NEAR(m.pt_mae, 9.5 / 6, 1e-6);
  // 7 <= pT <= 13: the events at 8, 10, 12.
  EXPECT_NEAR(m.pt_spread, 5.0 / 3, 1e-6);
  EXPECT_EQ(m.n_spread, 3u);
  EXPECT_NEAR(m.eta_mae, 0.15 / 6, 1e-6);
  // pT >= 15: 14.5 and 20 both fire at 10 GeV, only 20 reaches 15 GeV.
  EXPECT_DOUBLE_EQ(m.plateau_eff, 1.0);
  EXPECT_DOUBLE_EQ(m.eff_at_thr_15, 0.5);
  // Noise: 12 and 10 fire (>= 10), 9.99 does not.
  EXPECT_DOUBLE_EQ(m.fake_rate, 0.5);
  ASSERT_EQ(m.turn_on.size(), 2u);
  EXPECT_EQ(m.turn_on[0].n, 2u);
  EXPECT_EQ(m.turn_on[0].n_fired, 0u);
  EXPECT_DOUBLE_EQ(m.turn_on[0].error, 0.0);
  EXPECT_EQ(m.turn_on[1].n, 4u);
  EXPECT_EQ(m.turn_on[1].n_fired, 3u);
  EXPECT_DOUBLE_EQ(m.turn_on[1].efficiency, 0.75);
  EXPECT_NEAR(m.turn_on[1].error, std::sqrt(0.75 * 0.25 / 4), 1e-12);
}

TEST(Metrics, ThresholdIsConfigurable) {
  MetricsOptions options;
  options.threshold_gev = 12.0;
  const TriggerMetrics m = compute_trigger_metrics(tiny_inputs(), options);
  EXPECT_DOUBLE_EQ(m.fake_rate, 0.25);
  EXPECT_DOUBLE_EQ(m.plateau_eff, 1.0);
  EXPECT_EQ(m.turn_on.size(), 17u);  // default 1 GeV bins from 3 to 20
  EXPECT_EQ(m.turn_on[2].lo, 5.0);
  EXPECT_EQ(m.turn_on[2].n, 1u);
}

TEST(Metrics, EmptySetsAreNaNWithZeroCountsAndNullInJson) {
  TriggerInputs inputs;
  inputs.pt_true = {5};
  inputs.pt_pred = {4};
  MetricsOptions options;
  options.turn_on_edges = {0, 10, 20};
  const TriggerMetrics m = compute_trigger_metrics(inputs, options);
  EXPECT_TRUE(std::isnan(m.pt_spread));
  EXPECT_TRUE(std::isnan(m.eta_mae));
  EXPECT_TRUE(std::isnan(m.fake_rate));
  EXPECT_TRUE(std::isnan(m.turn_on[1].efficiency));
  EXPECT_EQ(m.n_noise, 0u);
  const nlohmann::json json = m.to_json();
  EXPECT_TRUE(json["pt_spread"].is_null());
  EXPECT_TRUE(json["fake_rate"].is_null());
  EXPECT_TRUE(json["turn_on"][1]["efficiency"].is_null());
  EXPECT_EQ(json["pt_mae"], 1.0);
  EXPECT_EQ(json["counts"]["noise"], 0);
}

TEST(Metrics, JsonUsesTheSpecifiedNames) {
  const nlohmann::json json = compute_trigger_metrics(tiny_inputs()).to_json();
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"counts", "eff_at_thr_15", "eta_mae", "fake_rate",
                                            "plateau_eff", "pt_mae", "pt_spread", "residuals",
                                            "threshold_gev", "turn_on"}));
  EXPECT_EQ(json["turn_on"][0].size(), 6u);
}

TEST(Metrics, ResidualHistogramsMatchAHandComputation) {
  MetricsOptions options;
  options.pt_residual_edges = {-0.3, -0.1, 0, 0.1, 0.15};
  options.eta_residual_edges = {-0.2, -0.05, 0.025, 0.2};
  const TriggerMetrics m = compute_trigger_metrics(tiny_inputs(), options);
  // (pred - true) / true: 0.2, -0.125, 0.1, -0.25, -0.09375, 0.111.
  EXPECT_EQ(m.pt_residual.counts, (std::vector<std::size_t>{2, 1, 0, 2}));
  EXPECT_EQ(m.pt_residual.underflow, 0u);
  EXPECT_EQ(m.pt_residual.overflow, 1u);
  // pred - true: 0, 0.05, 0, -0.1, 0, 0.
  EXPECT_EQ(m.eta_residual.counts, (std::vector<std::size_t>{1, 4, 1}));
  EXPECT_EQ(m.eta_residual.underflow + m.eta_residual.overflow, 0u);
  const nlohmann::json json = m.to_json()["residuals"];
  EXPECT_EQ(json["pt"]["edges"], nlohmann::json({-0.3, -0.1, 0, 0.1, 0.15}));
  EXPECT_EQ(json["pt"]["counts"], nlohmann::json({2, 1, 0, 2}));
  EXPECT_EQ(json["pt"]["underflow"], 0);
  EXPECT_EQ(json["pt"]["overflow"], 1);
  EXPECT_EQ(json["eta"]["counts"], nlohmann::json({1, 4, 1}));
}

TEST(Metrics, ResidualHistogramDefaultsAndEdgeCases) {
  TriggerInputs inputs;
  inputs.pt_true = {10, 10, 10, 10};
  inputs.pt_pred = {-5, 30, 20, NAN};  // -1.5 under, 2 over, 1 (the last edge) in the last bin
  const TriggerMetrics m = compute_trigger_metrics(inputs);
  ASSERT_EQ(m.pt_residual.counts.size(), 40u);
  EXPECT_DOUBLE_EQ(m.pt_residual.edges.front(), -1.0);
  EXPECT_DOUBLE_EQ(m.pt_residual.edges.back(), 1.0);
  EXPECT_EQ(m.pt_residual.counts.back(), 1u);
  EXPECT_EQ(m.pt_residual.underflow, 1u);
  EXPECT_EQ(m.pt_residual.overflow, 1u);
  EXPECT_EQ(m.eta_residual.counts.size(), 40u);
  EXPECT_TRUE(m.to_json()["residuals"]["eta"].is_null());  // no eta predictions
  MetricsOptions options;
  options.eta_residual_edges = {0.1};
  EXPECT_EQ(error_of([&] { compute_trigger_metrics(inputs, options); }),
            "trigger metrics: eta residual edges must be at least two strictly ascending values");
}

TEST(Metrics, NaNPredictionsNeverFire) {
  TriggerInputs inputs;
  inputs.pt_true = {16};
  inputs.pt_pred = {NAN};
  inputs.noise_pt_pred = {NAN};
  const TriggerMetrics m = compute_trigger_metrics(inputs);
  EXPECT_TRUE(std::isnan(m.pt_mae));
  EXPECT_DOUBLE_EQ(m.plateau_eff, 0.0);
  EXPECT_DOUBLE_EQ(m.fake_rate, 0.0);
}

TEST(Metrics, InputErrors) {
  TriggerInputs inputs = tiny_inputs();
  inputs.pt_pred.pop_back();
  EXPECT_EQ(error_of([&] { compute_trigger_metrics(inputs); }),
            "trigger metrics: 5 pT predictions for 6 muon events");
  inputs = tiny_inputs();
  inputs.eta_pred.clear();
  EXPECT_EQ(error_of([&] { compute_trigger_metrics(inputs); }),
            "trigger metrics: 0 eta predictions and 6 true eta values for 6 muon events");
  MetricsOptions options;
  options.turn_on_edges = {5, 3};
  EXPECT_EQ(error_of([&] { compute_trigger_metrics(tiny_inputs(), options); }),
            "trigger metrics: turn-on edges must be at least two strictly ascending values");
}

TEST(Metrics, UniformEdges) {
  EXPECT_EQ(MetricsOptions::uniform_edges(3, 6, 1), (std::vector<double>{3, 4, 5, 6}));
  EXPECT_EQ(MetricsOptions::uniform_edges(0, 5, 2), (std::vector<double>{0, 2, 4, 5}));
  EXPECT_EQ(MetricsOptions::uniform_edges(0, 5, 0), (std::vector<double>{0, 5}));
}

TEST(Metrics, TriggerInputsFromAStore) {
  EventStore store(1, 2, {"pt", "eta", "is_noise"});
  const float a[] = {12, 0.3f, 0}, b[] = {0, 0, 1}, c[] = {4, 0.9f, 0};
  store.add_event(nullptr, 0, a);
  store.add_event(nullptr, 0, b);
  store.add_event(nullptr, 0, c);
  const TriggerInputs inputs = make_trigger_inputs(store, {2, 1, 0}, {5, 11, 13}, {0.8f, 0, 0.2f});
  EXPECT_EQ(inputs.pt_true, (std::vector<float>{4, 12}));
  EXPECT_EQ(inputs.pt_pred, (std::vector<float>{5, 13}));
  EXPECT_EQ(inputs.eta_true, (std::vector<float>{0.9f, 0.3f}));
  EXPECT_EQ(inputs.noise_pt_pred, (std::vector<float>{11}));
  EXPECT_EQ(error_of([&] {
              make_trigger_inputs(store, {0}, {1, 2}, {});
            }),
            "make_trigger_inputs: 1 events but 2 pT and 0 eta predictions");
}

TEST(Metrics, ClassificationHandComputed) {
  const ClassificationMetrics m =
      compute_classification_metrics({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(m.roc_auc, 0.75);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
  EXPECT_EQ(m.n_positive, 2u);
  EXPECT_DOUBLE_EQ(compute_classification_metrics({0.5f, 0.5f}, {0, 1}).roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(compute_classification_metrics({0.9f, 0.2f}, {0, 1}).roc_auc, 0.0);
  const ClassificationMetrics one_class = compute_classification_metrics({0.2f}, {1});
  EXPECT_TRUE(std::isnan(one_class.roc_auc));
  EXPECT_TRUE(one_class.to_json()["roc_auc"].is_null());
  EXPECT_EQ(one_class.to_json()["accuracy"], 0.0);
  EXPECT_EQ(error_of([&] { compute_classification_metrics({0.2f}, {}); }),
            "classification metrics: 1 scores for 0 labels");
}

}  // namespace
}  // namespace hlslim::data
