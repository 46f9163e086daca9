#include "hlslim/prune/masks.hpp"

#include <gtest/gtest.h>

#include "hlslim/util/errors.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

Graph two_layers() {
  Graph g;
  g.name = "g";
  g.input_shape = {2};
  Layer a = testing::make_layer(LayerKind::kDense, "a");
  a.params.units = 2;
  a.tensors["weight"].shape = {2, 2};
  a.tensors["weight"].values = {0.5f, -0.1f, 0.3f, -0.1f};
  g.layers.push_back(a);
  Layer b = testing::make_layer(LayerKind::kDense, "b");
  b.params.units = 2;
  b.tensors["weight"].shape = {2, 2};
  b.tensors["weight"].values = {-4.0f, 0.2f, 1.0f, 2.0f};
  g.layers.push_back(b);
  return g;
}

TEST(Masks, PerLayerPrunesExactlyTheSmallestWithTiesByIndex) {
  Graph g = two_layers();
  apply_magnitude_masks(g, {{"a", 0.5}, {"b", 0.25}}, false);
  // a: |-0.1| twice, the earlier index goes first; both are the two smallest.
  EXPECT_EQ(g.find("a")->tensors["weight_mask"].values, (std::vector<float>{1, 0, 1, 0}));
  EXPECT_EQ(g.find("a")->tensors["weight"].values, (std::vector<float>{0.5f, 0, 0.3f, 0}));
  EXPECT_EQ(g.find("b")->tensors["weight_mask"].values, (std::vector<float>{1, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(weight_sparsity(*g.find("a")), 0.5);
  EXPECT_DOUBLE_EQ(weight_sparsity(*g.find("b")), 0.25);
}

TEST(Masks, GlobalSharesOneThreshold) {
  Graph g = two_layers();
  apply_magnitude_masks(g, {{"a", 0.5}, {"b", 0.5}}, true);
  // The 4 smallest of all 8: -0.1, -0.1, 0.2, 0.3 -> layer a loses 3, layer b loses 1.
  EXPECT_EQ(g.find("a")->tensors["weight_mask"].values, (std::vector<float>{1, 0, 0, 0}));
  EXPECT_EQ(g.find("b")->tensors["weight_mask"].values, (std::vector<float>{1, 0, 1, 1}));
}

TEST(Masks, RepruningRecomputesFromTheCurrentWeights) {
  Graph g = two_layers();
  apply_magnitude_masks(g, {{"b", 0.75}}, false);
  EXPECT_EQ(g.find("b")->tensors["weight_mask"].values, (std::vector<float>{1, 0, 0, 0}));
  apply_magnitude_masks(g, {{"b", 0.25}}, false);  // lower target: the zeroed weights stay lowest
  EXPECT_EQ(g.find("b")->tensors["weight_mask"].values, (std::vector<float>{1, 0, 1, 1}));
}

TEST(Masks, PolynomialScheduleByHand) {
  // final + (initial - final) * (1 - progress)^3
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 100, 300, 3, 50), 0.0);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 100, 300, 3, 200), 0.8 - 0.8 * 0.125);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.2, 0.8, 100, 300, 1, 150), 0.8 - 0.6 * 0.75);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 100, 300, 3, 1000), 0.8);
}

TEST(Masks, OnlyDenseAndConvolutionsPrune) {
  Graph g = two_layers();
  g.layers.push_back(testing::make_layer(LayerKind::kRelu, "r"));
  EXPECT_THROW(apply_magnitude_masks(g, {{"r", 0.5}}, false), Error);
}

}  // namespace
}  // namespace hlslim
