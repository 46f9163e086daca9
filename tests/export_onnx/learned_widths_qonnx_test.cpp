// A model trained with learned per-channel bit widths (tests/data/learned_widths/student.yaml):
// its weights lie on different grids per output channel, stored in one type per layer, and the
// QONNX file computes exactly what the fixed-point engine computes (the independent evaluator of
// qonnx_evaluator.hpp, bit for bit).

#include <gtest/gtest.h>

#include <set>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/graph/model_file.hpp"
#include "qonnx_evaluator.hpp"
#include "test_models.hpp"
#include "test_support.hpp"

namespace hlslim::export_test {
namespace {

const std::filesystem::path kModel = std::filesystem::path(__FILE__).parent_path().parent_path() /
                                     "data" / "learned_widths" / "student.hlsm";

// The finest grid (fraction bits) the nonzero values of each output channel lie on.
std::set<int> channel_grids(const Tensor& w) {
  std::set<int> grids;
  const std::size_t per = w.values.size() / static_cast<std::size_t>(w.shape[0]);
  for (std::size_t c = 0; c < static_cast<std::size_t>(w.shape[0]); ++c) {
    int finest = -64;
    for (std::size_t k = c * per; k < (c + 1) * per; ++k) {
      if (w.values[k] == 0.0f) continue;
      int f = 24;
      while (std::ldexp(w.values[k], f - 1) == std::floor(std::ldexp(w.values[k], f - 1))) --f;
      finest = std::max(finest, f);
    }
    if (finest > -64) grids.insert(finest);
  }
  return grids;
}

TEST(LearnedWidthsQonnx, PerChannelGridsComputeWhatTheEngineComputes) {
  const Graph graph = hlslim::load_model(kModel);
  // The fixture is what the test is about: channels of one layer on different grids.
  EXPECT_GE(channel_grids(graph.find("fc")->tensors.at("weight")).size(), 2u);

  TempDir dir("learned_widths");
  write_qonnx(graph, dir / "model.onnx");
  const onnx::ModelProto model = load_model(dir / "model.onnx");  // the evaluator refers to it
  QonnxEvaluator evaluator(model);
  const QonnxValueOrder order = qonnx_value_order(graph);
  const FixedEngine engine(graph);
  // Hit patterns (0/1) and values between, some beyond the input type's range.
  const std::size_t events = 200;
  Random random(5);
  std::vector<float> x(events * engine.input_size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    const float u = random.uniform(0.0f, 1.0f);
    x[k] = (k / engine.input_size()) % 2 == 0 ? (u < 0.15f ? 1.0f : 0.0f)
                                              : random.uniform(-0.2f, 2.5f);
  }
  std::vector<float> y(events * engine.output_size());
  engine.run(x.data(), events, y.data());
  std::size_t mismatches = 0, nonzero = 0;
  for (std::size_t e = 0; e < events; ++e) {
    std::vector<double> input(order.input.size());
    for (std::size_t p = 0; p < input.size(); ++p) {
      input[p] = x[e * engine.input_size() + order.input[p]];
    }
    const std::vector<double> out = evaluator.run(input);
    ASSERT_EQ(out.size(), engine.output_size());
    for (std::size_t p = 0; p < out.size(); ++p) {
      const double expected = y[e * engine.output_size() + order.output[p]];
      nonzero += expected != 0 ? 1 : 0;
      if (out[p] != expected && mismatches++ < 5) {
        ADD_FAILURE() << "event " << e << ", output " << order.output[p] << ": QONNX " << out[p]
                      << ", engine " << expected;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(nonzero, events) << "the outputs must not be trivially zero";
}

}  // namespace
}  // namespace hlslim::export_test
