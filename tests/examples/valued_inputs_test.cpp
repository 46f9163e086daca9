// Real-valued inputs (hit values, e.g. tabular features) reach every place that densifies the
// event store: training batches, the calibration of the input precision, and the fixed-point
// engine. A linear model y = 3 a - 2 b + 0.5 c is learnable only if the values arrive: with
// binary inputs every event would read (1, 1, 1).
#include <gtest/gtest.h>

#include <cmath>

#include "hlslim/data/event_store.hpp"
#include "hlslim/data/random.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/graph/layer_types.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/train/evaluation.hpp"
#include "hlslim/train/quantize_options.hpp"
#include "hlslim/train/training.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

using testing::make_layer;

constexpr float kWeights[3] = {3.0f, -2.0f, 0.5f};

// 400 events of three features: a in [-6, 6], b in [0, 20], c in [-1, 1]; label y = w . x.
struct LinearFeatures {
  data::EventStore store{1, 3, {"y"}};
  std::vector<std::size_t> all;

  LinearFeatures() {
    data::Rng rng(7);
    for (std::size_t e = 0; e < 400; ++e) {
      const float x[3] = {static_cast<float>(12 * rng.uniform() - 6),
                          static_cast<float>(20 * rng.uniform()),
                          static_cast<float>(2 * rng.uniform() - 1)};
      const std::uint32_t pixels[3] = {0, 1, 2};
      const float y = kWeights[0] * x[0] + kWeights[1] * x[1] + kWeights[2] * x[2];
      store.add_event(pixels, 3, &y, x);
      all.push_back(e);
    }
  }
  float feature(std::size_t event, std::size_t i) const { return store.hit_values(event)[i]; }
};

Graph linear_model(bool with_known_weights) {
  Graph graph;
  graph.name = "linear";
  graph.input_shape = {1, 1, 3};
  graph.layers.push_back(make_layer(LayerKind::kFlatten, "flat"));
  Layer out = make_layer(LayerKind::kDense, "out");
  out.params.units = 1;
  out.params.bias = false;
  if (with_known_weights) {
    out.tensors["weight"] = Tensor({1, 3});
    out.tensors["weight"].values = {kWeights[0], kWeights[1], kWeights[2]};
  }
  graph.layers.push_back(out);
  return graph;
}

TEST(ValuedInputs, BatchesCarryTheValues) {
  const LinearFeatures data;
  ASSERT_TRUE(data.store.has_values());
  const BatchSource source(data.store,
                           TargetNormalization::fit(data.store, {"y"}, data.all, false));
  std::vector<float> x(2 * 3);
  std::vector<float> y(2);
  const std::size_t events[] = {5, 1};
  source.fill(events, 2, x.data(), y.data());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(x[i], data.feature(5, i)) << "feature " << i;
    EXPECT_EQ(x[3 + i], data.feature(1, i)) << "feature " << i;
  }
  EXPECT_EQ(y[0], data.store.label(5, 0));
}

TEST(ValuedInputs, TrainingLearnsTheWeightsOfTheValues) {
  const LinearFeatures data;
  const BatchSource source(data.store,
                           TargetNormalization::fit(data.store, {"y"}, data.all, false));
  TrainData train;
  train.source = &source;
  train.input_shape = {1, 1, 3};
  train.train.assign(data.all.begin(), data.all.begin() + 350);
  train.validation.assign(data.all.begin() + 350, data.all.end());
  TrainOptions options;
  OptionTable table;
  options.declare(table);
  options.loss = Loss::kMse;
  options.batch_size = 25;
  options.epochs = 80;
  options.learning_rate = 0.05;
  Graph trained = linear_model(false);
  train_graph(trained, options, 1, train, {});
  const auto& w = trained.layers[1].tensors.at("weight").values;
  ASSERT_EQ(w.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(w[i], kWeights[i], 0.01) << "weight " << i;
}

TEST(ValuedInputs, InputPrecisionIsCalibratedOnTheValuesAndTheEngineReadsThem) {
  const LinearFeatures data;
  Graph graph = linear_model(true);
  const BatchSource source(data.store,
                           TargetNormalization::fit(data.store, {"y"}, data.all, false));
  const ValueRanges ranges = value_ranges(graph, source, data.all);
  float lo = 0.0f;
  float hi = 0.0f;
  for (float v : data.store.values()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(ranges.input.first, lo);
  EXPECT_EQ(ranges.input.second, hi);
  EXPECT_LT(lo, -5.0f);
  EXPECT_GT(hi, 19.0f);

  // `auto` input: signed (negative features), 16 bits, integer bits for |x| up to ~22 (margin
  // 10 %): 2^5 > 22, plus the sign bit.
  const ModelPrecision precision = resolve_precision(graph, PrecisionRequest{}, ranges);
  EXPECT_TRUE(precision.input.is_signed);
  EXPECT_EQ(precision.input.width, 16);
  EXPECT_EQ(precision.input.integer_bits, 6);

  const FixedEngine engine(graph, precision);
  const auto predictions = predict(engine_predictor(engine), source, data.all, 64);
  const double input_step = std::ldexp(1.0, -precision.input.fraction_bits());
  const double result_step = std::ldexp(1.0, -precision.layers[1].result->fraction_bits());
  const double tolerance = (3.0 + 2.0 + 0.5) * input_step + result_step;
  for (std::size_t e = 0; e < data.all.size(); ++e) {
    const double exact = kWeights[0] * data.feature(e, 0) + kWeights[1] * data.feature(e, 1) +
                         kWeights[2] * data.feature(e, 2);
    ASSERT_NEAR(predictions[0][e], exact, tolerance) << "event " << e;
  }
}

}  // namespace
}  // namespace hlslim
