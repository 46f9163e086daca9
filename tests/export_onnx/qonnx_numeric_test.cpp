// The QONNX file computes what the fixed-point engine computes: an independent evaluator of the
// file (qonnx_evaluator.hpp) against FixedEngine, bit for bit, for models whose types QONNX
// carries exactly (RND_CONV or TRN rounding, SAT or SAT_SYM overflow) and whose accumulators are
// wide enough that no sum rounds or overflows (the accumulator type is not part of the QONNX
// file: hls4ml takes it from the configuration).

#include <gtest/gtest.h>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "qonnx_evaluator.hpp"
#include "test_models.hpp"
#include "test_support.hpp"

namespace hlslim::export_test {
namespace {

// Inputs that exercise rounding ties of the input type (fixed<10,3>: step 2^-7) and
// saturation: random values, exact half steps and values beyond the range.
std::vector<float> test_inputs(std::size_t events, std::size_t size, std::uint64_t seed) {
  Random random(seed);
  std::vector<float> x(events * size);
  for (std::size_t k = 0; k < x.size(); ++k) {
    switch (k % 4) {
      case 0:
        x[k] = random.uniform(-3.0f, 3.0f);
        break;
      case 1:
        x[k] = std::round(random.uniform(-256.0f, 256.0f)) / 128.0f + 1.0f / 256.0f;
        break;
      case 2:
        x[k] = random.uniform(-1.0f, 1.0f);
        break;
      default:
        x[k] = random.uniform(-6.0f, 6.0f);
        break;  // beyond [-4, 4)
    }
  }
  return x;
}

void expect_same_as_engine(const Graph& graph) {
  TempDir dir("numeric_" + graph.name);
  const auto path = dir / "model.onnx";
  write_qonnx(graph, path);
  const onnx::ModelProto model = load_model(path);
  QonnxEvaluator evaluator(model);
  const QonnxValueOrder order = qonnx_value_order(graph);

  const FixedEngine engine(graph);
  const std::size_t events = 300;
  const std::vector<float> x = test_inputs(events, engine.input_size(), 11);
  std::vector<float> y(events * engine.output_size());
  engine.run(x.data(), events, y.data());

  ASSERT_EQ(order.input.size(), engine.input_size());
  ASSERT_EQ(order.output.size(), engine.output_size());
  std::size_t mismatches = 0;
  for (std::size_t e = 0; e < events; ++e) {
    std::vector<double> input(order.input.size());
    for (std::size_t p = 0; p < input.size(); ++p) {
      input[p] = x[e * engine.input_size() + order.input[p]];
    }
    const std::vector<double> out = evaluator.run(input);
    ASSERT_EQ(out.size(), engine.output_size());
    for (std::size_t p = 0; p < out.size(); ++p) {
      const double expected = y[e * engine.output_size() + order.output[p]];
      if (out[p] != expected && mismatches++ < 5) {
        ADD_FAILURE() << graph.name << ": event " << e << ", output " << order.output[p]
                      << ": QONNX " << out[p] << ", engine " << expected;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << graph.name;
}

TEST(QonnxNumeric, DenseModelMatchesTheEngineBitForBit) {
  expect_same_as_engine(dense_model());
}
TEST(QonnxNumeric, PrunedModelMatchesTheEngineBitForBit) {
  expect_same_as_engine(pruned_model());
}
TEST(QonnxNumeric, Conv1dModelMatchesTheEngineBitForBit) {
  expect_same_as_engine(conv1d_model());
}
TEST(QonnxNumeric, Conv2dModelMatchesTheEngineBitForBit) {
  expect_same_as_engine(conv2d_model());
}
TEST(QonnxNumeric, PooledModelMatchesTheEngineBitForBit) {
  expect_same_as_engine(pooled_model());
}
TEST(QonnxNumeric, ReshapedModelMatchesTheEngineBitForBit) {
  expect_same_as_engine(reshaped_model());
}

TEST(QonnxNumeric, ConvOutputsComeBackInChannelsLastOrder) {
  // A model that ends in a convolution: its output is channels-last in the file.
  Graph graph = conv1d_model();
  graph.layers.resize(4);
  expect_same_as_engine(graph);
  const QonnxValueOrder order = qonnx_value_order(graph);
  // Output [3 filters, 2 positions]: file position 1 is filter 1 at position 0.
  EXPECT_EQ(order.output[1], 2);
}

TEST(QonnxNumeric, SaturatingTypesMatchTheEngine) {
  Graph graph = dense_model();
  graph.default_attrs["precision.result"] = std::string("fixed<6,1,TRN,SAT_SYM>");
  graph.default_attrs["precision.input"] = std::string("fixed<5,2,RND_CONV,SAT_SYM>");
  expect_same_as_engine(graph);
}

}  // namespace
}  // namespace hlslim::export_test
