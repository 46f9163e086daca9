// LibTorch fake quantization against the bit-accurate core: equal values for every mode, and
// straight-through gradients that stop where saturation clips.
#include "hlslim/train/fake_quant.hpp"

#include <gtest/gtest.h>

#include <random>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/train/torch_model.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

const QuantMode kQuantModes[] = {QuantMode::kTrn,     QuantMode::kTrnZero,   QuantMode::kRnd,
                                 QuantMode::kRndZero, QuantMode::kRndMinInf, QuantMode::kRndInf,
                                 QuantMode::kRndConv};
const OverflowMode kOverflowModes[] = {OverflowMode::kWrap, OverflowMode::kSat,
                                       OverflowMode::kSatZero, OverflowMode::kSatSym};

TEST(FakeQuant, EqualsTheFixedPointCoreForEveryMode) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-20.0f, 20.0f);
  std::vector<float> values(2000);
  for (auto& v : values) v = uniform(rng);
  // Exact halves and range edges, where the modes differ.
  for (float v : {0.5f, -0.5f, 1.5f, -1.5f, 0.25f, -0.25f, 3.875f, -4.0f, 4.0f, 3.9375f, -3.9375f})
    values.push_back(v);
  const torch::Tensor x = torch::from_blob(values.data(), {static_cast<long>(values.size())});
  int checked = 0;
  for (bool is_signed : {true, false}) {
    for (int width : {4, 8, 12}) {
      for (int integer_bits : {-1, 0, 3, 6}) {
        for (QuantMode q : kQuantModes) {
          for (OverflowMode o : kOverflowModes) {
            const FixedType type = *make_fixed_type(is_signed, width, integer_bits, q, o).type;
            const torch::Tensor got = quantize_values(x, type);
            for (std::size_t i = 0; i < values.size(); ++i) {
              const double want = to_double(quantize(values[i], type), type);
              ASSERT_EQ(got[static_cast<long>(i)].item<float>(), static_cast<float>(want))
                  << type.to_string() << " of " << values[i] << " (index " << i << ")";
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1'000'000);
}

TEST(FakeQuant, GradientPassesInsideTheRangeAndStopsWhereSaturationClips) {
  const FixedType sat = *parse_fixed_type("fixed<6,3,RND,SAT>").type;  // [-4, 3.875]
  const FixedType wrap = *parse_fixed_type("fixed<6,3,RND,WRAP>").type;
  for (const auto& [type, outside_gradient] : {std::pair{sat, 0.0f}, std::pair{wrap, 1.0f}}) {
    const torch::Tensor x = torch::tensor({-5.0f, -1.3f, 0.1f, 3.8f, 4.5f}, torch::requires_grad());
    fake_quantize(x, type).sum().backward();
    const torch::Tensor g = x.grad();
    EXPECT_EQ(g[0].item<float>(), outside_gradient) << type.to_string();
    EXPECT_EQ(g[1].item<float>(), 1.0f);
    EXPECT_EQ(g[2].item<float>(), 1.0f);
    EXPECT_EQ(g[3].item<float>(), 1.0f);
    EXPECT_EQ(g[4].item<float>(), outside_gradient) << type.to_string();
  }
}

// A model whose every sum float32 holds exactly: the LibTorch fake-quant forward and the
// engine agree bit for bit. With a narrow accumulator they differ, because LibTorch sums in
// floating point and does not model the accumulator's rounding and wrap-around; the engine
// does (it is checked against SystemC's sc_fixed in tests/engine).
TEST(FakeQuant, ForwardMatchesTheEngineUnlessTheAccumulatorIsNarrow) {
  Graph graph;
  graph.name = "m";
  graph.input_shape = {8};
  Layer fc = testing::make_layer(LayerKind::kDense, "fc");
  fc.params.units = 6;
  Layer out = testing::make_layer(LayerKind::kDense, "out");
  out.params.units = 2;
  graph.layers = {fc, testing::make_layer(LayerKind::kRelu, "relu"), out};
  torch::manual_seed(5);
  GraphModule(graph)->store_weights(graph);

  ModelPrecision p;
  p.input = *parse_fixed_type("fixed<8,3,RND,SAT>").type;
  p.layers.resize(3);
  p.layers[0].weight = p.layers[2].weight = *parse_fixed_type("fixed<6,1,RND_CONV,SAT>").type;
  p.layers[0].bias = p.layers[2].bias = *parse_fixed_type("fixed<6,1,RND_CONV,SAT>").type;
  p.layers[0].accum = p.layers[2].accum = *parse_fixed_type("fixed<24,8>").type;
  p.layers[0].result = *parse_fixed_type("fixed<10,4,RND,SAT>").type;
  p.layers[1].result = *parse_fixed_type("ufixed<8,3,RND,SAT>").type;
  p.layers[2].result = *parse_fixed_type("fixed<12,5,TRN,WRAP>").type;

  const torch::Tensor x = torch::randn({500, 8}) * 3;
  const auto compare = [&](const ModelPrecision& precision) {
    GraphModule module(graph);
    module->set_fake_quant(precision);
    module->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor want = module->forward(x).contiguous();
    const FixedEngine engine(graph, precision);
    std::vector<float> got(500 * 2);
    engine.run(x.contiguous().data_ptr<float>(), 500, got.data());
    int differ = 0;
    for (std::size_t i = 0; i < got.size(); ++i) differ += got[i] != want.data_ptr<float>()[i];
    return differ;
  };
  EXPECT_EQ(compare(p), 0);
  ModelPrecision narrow = p;
  narrow.layers[0].accum = *parse_fixed_type("fixed<6,2,TRN,WRAP>").type;
  EXPECT_GT(compare(narrow), 100);
}

}  // namespace
}  // namespace hlslim
