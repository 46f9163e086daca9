// LibTorch fake quantization against the bit-accurate core: equal values for every mode, and
// straight-through gradients that stop where saturation clips.
#include "hlslim/train/fake_quant.hpp"

#include <gtest/gtest.h>

#include <random>

#include "hlslim/quant/fixed_point.hpp"

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

}  // namespace
}  // namespace hlslim
