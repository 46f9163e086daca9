// Learned bit widths on tensors: the quantizers against the fixed-point core, the surrogate
// gradient of the fraction bits (-ln 2 times the rounding error) and the straight-through
// gradient of the values, the export of per-channel grids as exact per-layer types, and the
// penalty rule under a budget.
#include "hlslim/train/learned_widths.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/train/fake_quant.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

using testing::make_layer;

Tensor tensor(std::vector<std::int64_t> shape, std::vector<float> values) {
  Tensor t(std::move(shape));
  t.values = std::move(values);
  return t;
}

// flatten -> fc (3 units) -> relu -> out (1 unit), on an input of 4 values.
Graph small_net() {
  Graph g;
  g.name = "net";
  g.input_shape = {4};
  Layer fc = make_layer(LayerKind::kDense, "fc");
  fc.params.units = 3;
  g.layers.push_back(fc);
  g.layers.push_back(make_layer(LayerKind::kRelu, "relu"));
  Layer out = make_layer(LayerKind::kDense, "out");
  out.params.units = 1;
  g.layers.push_back(out);
  return g;
}

FixedType type(const char* text) {
  return *parse_fixed_type(text).type;
}

ModelPrecision small_precision() {
  ModelPrecision p;
  p.input = type("fixed<10,4,RND_CONV,SAT>");
  p.layers.resize(3);
  p.layers[0] = {type("fixed<8,2,RND_CONV,SAT>"), type("fixed<8,2,RND_CONV,SAT>"),
                 type("fixed<24,8>"), type("fixed<16,6,RND_CONV,SAT>")};
  p.layers[1].result = type("ufixed<8,3,RND_CONV,SAT>");
  p.layers[2] = {type("fixed<8,2,RND_CONV,SAT>"), type("fixed<8,2,RND_CONV,SAT>"),
                 type("fixed<24,8>"), type("fixed<16,6,RND_CONV,SAT>")};
  return p;
}

TEST(LearnedWidths, PowersOfTwoAndGridRoundingAreExact) {
  const torch::Tensor f = torch::arange(-20, 21, torch::kFloat32);
  const torch::Tensor p = exact_power_of_two(f);
  for (int k = -20; k <= 20; ++k) {
    ASSERT_EQ(p[k + 20].item<float>(), std::ldexp(1.0f, k)) << k;
  }
  // Each value on its own grid, against hlslim_quant's quantize() of a type with that many
  // fraction bits (wide enough that nothing overflows).
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-6.0f, 6.0f);
  std::uniform_int_distribution<int> bits(-3, 12);
  std::vector<float> x(5000), grid(5000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = uniform(rng);
    grid[i] = static_cast<float>(bits(rng));
  }
  x[0] = 0.375f, grid[0] = 2;  // a half: to even
  x[1] = -0.625f, grid[1] = 2;
  const torch::Tensor q =
      quantize_to_grid(torch::tensor(x), torch::tensor(grid), QuantMode::kRndConv);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const int f_bits = static_cast<int>(grid[i]);
    const FixedType t =
        *make_fixed_type(true, 8 + f_bits, 8, QuantMode::kRndConv, OverflowMode::kSat).type;
    ASSERT_EQ(q[static_cast<long>(i)].item<float>(),
              static_cast<float>(to_double(quantize(x[i], t), t)))
        << x[i] << " at " << f_bits << " fraction bits (index " << i << ")";
  }
  EXPECT_EQ(q[0].item<float>(), 0.5f);
  EXPECT_EQ(q[1].item<float>(), -0.5f);
  // Just below a half, every rounding mode that rounds halves up keeps 0: the rounding is in
  // double, where y + 0.5 is exact (float32 would round 1 - 2^-25 to 1).
  const float below_half = std::nextafter(0.5f, 0.0f);
  for (const QuantMode mode : {QuantMode::kRnd, QuantMode::kRndInf, QuantMode::kRndConv}) {
    EXPECT_EQ(
        quantize_to_grid(torch::tensor({below_half}), torch::tensor({0.0f}), mode).item<float>(),
        0.0f);
  }
}

// fake_quantize() runs as the fused operation of learned_quantize() on float tensors: every
// rounding and overflow mode against hlslim_quant's quantize(), with halves and range edges.
TEST(LearnedWidths, FusedFakeQuantizationEqualsTheFixedPointCoreForEveryMode) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-20.0f, 20.0f);
  std::vector<float> values(3000);
  for (auto& v : values) v = uniform(rng);
  for (float v : {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.25f, -0.25f, 3.875f, -4.0f, 4.0f,
                  3.9375f, -3.9375f, 0.0f, -0.0f}) {
    values.push_back(v);
  }
  const torch::Tensor x = torch::tensor(values);
  const torch::Tensor x_grad = x.clone().requires_grad_();
  int checked = 0;
  for (bool is_signed : {true, false}) {
    for (int width : {3, 8, 16}) {
      for (int integer_bits : {-1, 0, 3, 6}) {
        for (int q = 0; q <= static_cast<int>(QuantMode::kRndConv); ++q) {
          for (int o = 0; o <= static_cast<int>(OverflowMode::kSatSym); ++o) {
            const FixedType t =
                *make_fixed_type(is_signed, width, integer_bits, static_cast<QuantMode>(q),
                                 static_cast<OverflowMode>(o))
                     .type;
            const torch::Tensor got = fake_quantize(x, t);
            // With a gradient to prepare (the range mask), the same values.
            ASSERT_TRUE(torch::equal(fake_quantize(x_grad, t).detach(), got)) << t.to_string();
            for (std::size_t i = 0; i < values.size(); ++i) {
              ASSERT_EQ(got[static_cast<long>(i)].item<float>(),
                        static_cast<float>(to_double(quantize(values[i], t), t)))
                  << t.to_string() << " of " << values[i];
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1'000'000);
}

// The surrogate: d q / d f = -ln 2 (q - x) per element, summed over a group; d q / d x = 1.
TEST(LearnedWidths, FractionBitGradientIsMinusLn2TimesTheRoundingError) {
  const Graph g = small_net();
  LearnedWidths widths(g, small_precision(), WidthGranularity::kChannel, -8, 12);
  // Three channels at 1, 3 and 6 fraction bits.
  {
    torch::NoGradGuard no_grad;
    widths->fraction_bits(0, QuantRole::kWeight).copy_(torch::tensor({1.2f, 2.8f, 6.0f}));
  }
  const torch::Tensor w = torch::tensor(
      {{0.30f, -0.70f, 0.11f, 0.90f}, {0.30f, -0.70f, 0.11f, 0.90f}, {0.30f, -0.70f, 0.11f, 0.90f}},
      torch::requires_grad());
  const torch::Tensor c = torch::tensor(
      {{1.0f, 2.0f, -1.0f, 0.5f}, {-3.0f, 1.0f, 2.0f, 1.0f}, {1.0f, 1.0f, 1.0f, -2.0f}});
  const torch::Tensor q = widths->quantize(0, QuantRole::kWeight, w);
  (q * c).sum().backward();
  const int bits[] = {1, 3, 6};
  const torch::Tensor fgrad = widths->fraction_bit_gradient(0, QuantRole::kWeight);
  for (int ch = 0; ch < 3; ++ch) {
    const FixedType t =
        *make_fixed_type(true, 8 + bits[ch], 8, QuantMode::kRndConv, OverflowMode::kSat).type;
    double expected = 0;
    for (int k = 0; k < 4; ++k) {
      const float x = w[ch][k].item<float>();
      const double reference = to_double(quantize(x, t), t);
      ASSERT_EQ(q[ch][k].item<float>(), static_cast<float>(reference)) << ch << "," << k;
      expected += c[ch][k].item<double>() * -std::log(2.0) * (reference - x);
      EXPECT_EQ(w.grad()[ch][k].item<float>(), c[ch][k].item<float>()) << "straight through";
    }
    EXPECT_NEAR(fgrad[ch].item<double>(), expected, 1e-6) << "channel " << ch;
    EXPECT_NE(expected, 0.0);
  }
}

// Activations: the gradient of x stops where the calibrated integer bits saturate, and so does
// the fraction bits' (the overflow error does not depend on them).
TEST(LearnedWidths, ActivationGradientStopsWhereTheTypeSaturates) {
  const Graph g = small_net();
  LearnedWidths widths(g, small_precision(), WidthGranularity::kChannel, -8, 12);
  {
    torch::NoGradGuard no_grad;
    widths->fraction_bits(1, QuantRole::kResult).fill_(2.0f);  // ufixed<5,3>: 0 .. 7.75
  }
  const torch::Tensor x =
      torch::tensor({0.1f, 1.3f, 3.6f, 7.7f, 9.0f, 30.0f}, torch::requires_grad());
  const torch::Tensor q = widths->quantize(1, QuantRole::kResult, x);
  q.sum().backward();
  const FixedType t = type("ufixed<5,3,RND_CONV,SAT>");
  double expected = 0;
  for (long k = 0; k < 6; ++k) {
    const float v = x[k].item<float>();
    EXPECT_EQ(q[k].item<float>(), static_cast<float>(to_double(quantize(v, t), t))) << v;
    const bool inside = v <= t.max();
    EXPECT_EQ(x.grad()[k].item<float>(), inside ? 1.0f : 0.0f) << v;
    if (inside) expected += -std::log(2.0) * (to_double(quantize(v, t), t) - v);
  }
  EXPECT_NEAR(widths->fraction_bit_gradient(1, QuantRole::kResult).item<double>(), expected, 1e-6);
}

// Per-channel grids exported as one layer type: every value exact in it, zeros masked, and the
// type the narrowest that holds them.
TEST(LearnedWidths, ExportCarriesPerChannelGridsExactlyInOneLayerType) {
  Graph g = small_net();
  g.layers[0].tensors["weight"] =
      tensor({3, 4}, std::vector<float>{0.30f, -0.70f, 0.11f, 0.90f, 0.30f, -0.70f, 0.02f, 1.90f,
                                        0.30f, -0.70f, 0.11f, 0.90f});
  g.layers[0].tensors["bias"] = tensor({3}, std::vector<float>{0.1f, -0.2f, 0.3f});
  g.layers[2].tensors["weight"] = tensor({1, 3}, std::vector<float>{0.5f, -0.25f, 1.0f});
  g.layers[2].tensors["bias"] = tensor({1}, std::vector<float>{0.0f});
  LearnedWidths widths(g, small_precision(), WidthGranularity::kChannel, -8, 12);
  {
    torch::NoGradGuard no_grad;
    widths->fraction_bits(0, QuantRole::kWeight).copy_(torch::tensor({1.0f, 3.0f, 6.0f}));
    widths->fraction_bits(1, QuantRole::kResult).fill_(1.0f);
    widths->fraction_bits(0, QuantRole::kInput).fill_(3.0f);
  }
  PrecisionRequest request;  // accumulators `auto`
  const ModelPrecision p = widths->apply(g, request);
  const auto& w = g.layers[0].tensors.at("weight").values;
  // Channel 0 at 1 fraction bit: 0.30 -> 0.5, -0.70 -> -0.5, 0.11 -> 0, 0.90 -> 1.
  EXPECT_EQ((std::vector<float>(w.begin(), w.begin() + 4)),
            (std::vector<float>{0.5f, -0.5f, 0.0f, 1.0f}));
  // Channel 1 at 3: 0.30 -> 0.25, -0.70 -> -0.75, 0.02 -> 0, 1.90 -> 1.875.
  EXPECT_EQ((std::vector<float>(w.begin() + 4, w.begin() + 8)),
            (std::vector<float>{0.25f, -0.75f, 0.0f, 1.875f}));
  // Channel 2 at 6 fraction bits (0.296875 = 19/64), so the layer needs 6; |values| < 2: I = 2.
  EXPECT_EQ(w[8], 0.296875f);
  EXPECT_EQ(p.layers[0].weight->to_string(), "fixed<8,2,RND_CONV,SAT>");
  for (float v : w) {
    EXPECT_EQ(static_cast<float>(to_double(quantize(v, *p.layers[0].weight), *p.layers[0].weight)),
              v);
  }
  const auto& mask = g.layers[0].tensors.at("weight_mask").values;
  EXPECT_EQ((std::vector<float>(mask.begin(), mask.begin() + 8)),
            (std::vector<float>{1, 1, 0, 1, 1, 1, 0, 1}));
  EXPECT_EQ(p.layers[1].result->to_string(), "ufixed<4,3,RND_CONV,SAT>");
  EXPECT_EQ(p.input.to_string(), "fixed<7,4,RND_CONV,SAT>");
  // `auto` accumulator of fc: input fraction bits 3 + weight fraction bits 6.
  EXPECT_EQ(p.layers[0].accum->fraction_bits(), 9);
  // Not learned: the dense results keep their calibrated types.
  EXPECT_EQ(p.layers[0].result->to_string(), "fixed<16,6,RND_CONV,SAT>");
}

// A one-bit input (binary data) keeps its type: nothing learns for it, its quantizer is the
// fixed type's, and the exported input type is the calibrated one.
TEST(LearnedWidths, AOneBitInputKeepsItsType) {
  Graph g = small_net();
  ModelPrecision p = small_precision();
  p.input = type("ufixed<1,1,RND_CONV,SAT>");
  LearnedWidths widths(g, p, WidthGranularity::kChannel, -8, 12);
  EXPECT_FALSE(widths->fraction_bits(0, QuantRole::kInput).defined());
  EXPECT_FALSE(widths->quantize(0, QuantRole::kInput, torch::ones({2, 4})).defined());
  EXPECT_TRUE(widths->fraction_bits(0, QuantRole::kWeight).defined());
  g.layers[0].tensors["weight"] = tensor({3, 4}, std::vector<float>(12, 0.25f));
  g.layers[0].tensors["bias"] = tensor({3}, std::vector<float>(3, 0.0f));
  g.layers[2].tensors["weight"] = tensor({1, 3}, std::vector<float>(3, 0.5f));
  g.layers[2].tensors["bias"] = tensor({1}, std::vector<float>{0.0f});
  EXPECT_EQ(widths->apply(g, PrecisionRequest{}).input.to_string(), "ufixed<1,1,RND_CONV,SAT>");
  // A wider input learns.
  LearnedWidths wider(g, small_precision(), WidthGranularity::kChannel, -8, 12);
  EXPECT_TRUE(wider->fraction_bits(0, QuantRole::kInput).defined());
}

// The resource term's gradient added directly (as training does) equals the backward pass of
// weight * proxy(), for every fraction bit: weights, biases, ReLU results and the input, and
// with a one-bit input that learns nothing.
TEST(LearnedWidths, ProxyGradientAddedDirectlyEqualsTheBackwardPass) {
  for (const char* input : {"fixed<10,4,RND_CONV,SAT>", "ufixed<1,1,RND_CONV,SAT>"}) {
    const Graph g = small_net();
    torch::manual_seed(5);
    GraphModule module(g);
    ModelPrecision p = small_precision();
    p.input = type(input);
    LearnedWidths widths(g, p, WidthGranularity::kChannel, -8, 12);
    widths->bind(*module);
    torch::Tensor f = widths->parameters().at(0);
    {
      torch::NoGradGuard no_grad;  // some weights round to 0 at -2 fraction bits
      widths->fraction_bits(0, QuantRole::kWeight).copy_(torch::tensor({-2.0f, 1.0f, 4.0f}));
    }
    const double weight = 0.37;
    (widths->proxy() * weight).backward();
    const torch::Tensor expected = f.grad().clone();
    f.mutable_grad().zero_();
    widths->add_proxy_gradient(weight);
    ASSERT_EQ(f.grad().numel(), expected.numel());
    for (std::int64_t k = 0; k < expected.numel(); ++k) {
      EXPECT_FLOAT_EQ(f.grad()[k].item<float>(), expected[k].item<float>()) << input << " " << k;
    }
    EXPECT_NE(widths->fraction_bit_gradient(1, QuantRole::kResult).item<float>(), 0.0f)
        << "the ReLU's width gets the bits of the weights that read it";
  }
}

TEST(LearnedWidths, PenaltyFollowsTheBudgetRule) {
  EXPECT_DOUBLE_EQ(adapted_penalty(0.1, 2000, 1000), 0.2);  // far above: doubled
  EXPECT_DOUBLE_EQ(adapted_penalty(0.1, 500, 1000), 0.05);  // far below: halved
  EXPECT_DOUBLE_EQ(adapted_penalty(0.1, 1000, 1000), 0.1);  // on target: kept
  EXPECT_NEAR(adapted_penalty(0.1, 1050, 1000), 0.1 * std::pow(2.0, 0.4), 1e-12);
  EXPECT_NEAR(adapted_penalty(0.1, 950, 1000), 0.1 * std::pow(2.0, -0.4), 1e-12);
}

// The committed model trained with learned per-channel widths (tests/data/learned_widths/
// student.yaml; the HLS C simulation and QONNX tests read it too): the fake-quantized LibTorch
// forward that trained it computes what the engine computes, output for output.
TEST(LearnedWidths, TrainedFixtureFakeQuantForwardEqualsTheEngine) {
  const Graph graph =
      load_model(std::filesystem::path(HLSLIM_TEST_DATA_DIR) / "learned_widths" / "student.hlsm");
  GraphModule module(graph);
  module->set_fake_quant(read_precision(graph));
  module->eval();
  const FixedEngine engine(graph);
  std::mt19937 rng(4);
  std::bernoulli_distribution hit(0.15);
  const std::size_t events = 500;
  std::vector<float> x(events * engine.input_size());
  for (float& v : x) v = hit(rng) ? 1.0f : 0.0f;
  std::vector<float> expected(events * engine.output_size());
  engine.run(x.data(), events, expected.data());
  torch::NoGradGuard no_grad;
  std::vector<std::int64_t> shape{static_cast<std::int64_t>(events)};
  shape.insert(shape.end(), graph.input_shape.begin(), graph.input_shape.end());
  const torch::Tensor out =
      module->forward(torch::from_blob(x.data(), shape, torch::kFloat32)).contiguous();
  ASSERT_EQ(static_cast<std::size_t>(out.numel()), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    ASSERT_EQ(out.data_ptr<float>()[k], expected[k]) << "output " << k;
  }
}

}  // namespace
}  // namespace hlslim
