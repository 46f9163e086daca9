// Structured pruning: units ranked by norm, masked so that they output exactly zero, then
// removed with their inputs downstream; the smaller model computes what the masked one did.
#include "hlslim/prune/structured.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "hlslim/data/random.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

Layer dense(const std::string& name, std::int64_t units, bool bias = true) {
  Layer layer = testing::make_layer(LayerKind::kDense, name);
  layer.params.units = units;
  layer.params.bias = bias;
  return layer;
}

Layer conv(LayerKind kind, const std::string& name, std::int64_t filters, std::int64_t kernel,
           Padding padding) {
  Layer layer = testing::make_layer(kind, name);
  layer.params.filters = filters;
  const std::size_t dims = kind == LayerKind::kConv1d ? 1 : 2;
  layer.params.kernel.assign(dims, kernel);
  layer.params.stride.assign(dims, 1);
  layer.params.padding = padding;
  return layer;
}

Layer plain(LayerKind kind, const std::string& name) {
  return testing::make_layer(kind, name);
}

Layer pool(LayerKind kind, const std::string& name, std::int64_t window) {
  Layer layer = testing::make_layer(kind, name);
  layer.params.pool.assign(layer.params.pool.size(), window);
  return layer;
}

// LibTorch's default initialisation, then batch norms with statistics far from the identity,
// so that they map zero to a constant that is not zero.
Graph with_weights(Graph graph, std::uint64_t seed) {
  seed_torch(seed);
  initialize_weights(graph);
  for (auto& layer : graph.layers) {
    if (layer.kind != LayerKind::kBatchNorm) continue;
    auto& t = layer.tensors;
    for (std::size_t c = 0; c < t["weight"].values.size(); ++c) {
      const auto x = static_cast<float>(c);
      t["weight"].values[c] = 1.5f - 0.2f * x;
      t["bias"].values[c] = -0.4f + 0.3f * x;
      t["running_mean"].values[c] = 0.3f - 0.1f * x;
      t["running_var"].values[c] = 2.0f + 0.5f * x;
    }
  }
  return graph;
}

Graph chain(const std::string& name, Shape input, std::vector<Layer> layers) {
  Graph graph;
  graph.name = name;
  graph.input_shape = std::move(input);
  graph.layers = std::move(layers);
  return with_weights(graph, 5);
}

constexpr std::size_t kSamples = 16;

// The float outputs of `graph` (LibTorch, eval mode) for kSamples inputs.
std::vector<float> forward(const Graph& graph, const std::vector<float>& x) {
  std::vector<float> y(kSamples * static_cast<std::size_t>(shape_numel(graph.shapes().back())));
  float_predictor(graph)(x.data(), kSamples, y.data());
  return y;
}

// kSamples inputs, normal with standard deviation 1.5.
std::vector<float> inputs(const Graph& graph) {
  data::Rng rng(3);
  std::vector<float> x(kSamples * static_cast<std::size_t>(shape_numel(graph.input_shape)));
  for (float& v : x) v = static_cast<float>(1.5 * rng.normal());
  return x;
}

// Compares element by element and names the first mismatch.
void expect_close(const std::vector<float>& expected, const std::vector<float>& actual,
                  double tolerance) {
  ASSERT_EQ(expected.size(), actual.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double x = expected[i];
    const double y = actual[i];
    ASSERT_NEAR(x, y, tolerance * std::max(1.0, std::abs(x))) << "first mismatch at index " << i;
  }
}

struct Removal {
  LayerSummary before;
  LayerSummary after;
  std::vector<RemovedUnits> removed;
};

// Masks `fractions`, then checks that removing the masked units keeps the masked model's
// outputs, and that the result is a valid graph.
Removal prune_and_compare(Graph& graph, const std::map<std::string, double>& fractions) {
  apply_structured_masks(graph, fractions, UnitNorm::kL2);
  const auto x = inputs(graph);
  const auto masked_output = forward(graph, x);
  Removal out;
  out.before = graph.totals();
  out.removed = remove_pruned_units(graph);
  out.after = graph.totals();
  EXPECT_TRUE(graph.has_weights());
  expect_close(masked_output, forward(graph, x), 1e-5);
  return out;
}

TEST(StructuredNorms, L1AndL2ByHandWithMaskedWeightsAsZero) {
  Layer layer = dense("d", 3);
  layer.tensors["weight"] = Tensor({3, 3});
  layer.tensors["weight"].values = {5, 0, 0, 2, 2, 2, 1, -1, -4};
  const auto l1 = unit_norms(layer, UnitNorm::kL1);
  const auto l2 = unit_norms(layer, UnitNorm::kL2);
  EXPECT_EQ(l1, (std::vector<double>{5, 6, 6}));
  EXPECT_DOUBLE_EQ(l2[0], 5);
  EXPECT_DOUBLE_EQ(l2[1], std::sqrt(12.0));
  EXPECT_DOUBLE_EQ(l2[2], std::sqrt(18.0));
  layer.tensors["weight_mask"] = Tensor({3, 3}, 1.0f);
  layer.tensors["weight_mask"].values[8] = 0;  // the -4
  EXPECT_EQ(unit_norms(layer, UnitNorm::kL1), (std::vector<double>{5, 6, 2}));
}

Graph ranked() {
  Graph g;
  g.name = "g";
  g.input_shape = {3};
  g.layers = {dense("d", 3), plain(LayerKind::kRelu, "r"), dense("out", 1)};
  g = with_weights(g, 1);
  g.layers[0].tensors["weight"].values = {5, 0, 0, 2, 2, 2, 1, 1, 4};
  g.layers[0].tensors["bias"].values = {0.5f, 0.25f, -1};
  return g;
}

TEST(StructuredMasks, CriterionPicksTheSmallestUnitAndZeroesIt) {
  Graph l1 = ranked();
  apply_structured_masks(l1, {{"d", 0.34}}, UnitNorm::kL1);  // L1 {5, 6, 6}: unit 0
  const Layer& a = l1.layers[0];
  EXPECT_EQ(a.tensors.at("weight_mask").values, (std::vector<float>{0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(a.tensors.at("bias_mask").values, (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(a.tensors.at("weight").values, (std::vector<float>{0, 0, 0, 2, 2, 2, 1, 1, 4}));
  EXPECT_EQ(a.tensors.at("bias").values, (std::vector<float>{0, 0.25f, -1}));

  Graph l2 = ranked();
  apply_structured_masks(l2, {{"d", 0.34}}, UnitNorm::kL2);  // L2 {5, 3.46, 4.24}: unit 1
  EXPECT_EQ(l2.layers[0].tensors.at("bias_mask").values, (std::vector<float>{1, 0, 1}));
  apply_structured_masks(l2, {{"d", 0.67}}, UnitNorm::kL2);  // unit 1 has norm 0 now, then 2
  EXPECT_EQ(l2.layers[0].tensors.at("bias_mask").values, (std::vector<float>{1, 0, 0}));
}

TEST(StructuredMasks, TiesGoToTheEarlierUnitAndOneUnitAlwaysStays) {
  Graph g = ranked();
  g.layers[0].tensors["weight"].values = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  apply_structured_masks(g, {{"d", 0.5}}, UnitNorm::kL1);
  EXPECT_EQ(g.layers[0].tensors.at("bias_mask").values, (std::vector<float>{0, 1, 1}));
  apply_structured_masks(g, {{"d", 1.0}}, UnitNorm::kL1);
  EXPECT_EQ(g.layers[0].tensors.at("bias_mask").values, (std::vector<float>{0, 0, 1}));
}

TEST(StructuredMasks, ALowerFractionGivesUnitsBackAndKeepsUnstructuredZeros) {
  Graph g = ranked();
  g.layers[0].tensors["weight_mask"] = Tensor({3, 3}, 1.0f);
  g.layers[0].tensors["weight_mask"].values[5] = 0;         // an earlier magnitude pruning
  apply_structured_masks(g, {{"d", 0.67}}, UnitNorm::kL1);  // L1 {5, 4, 6}: units 1, 0
  EXPECT_EQ(g.layers[0].tensors.at("bias_mask").values, (std::vector<float>{0, 0, 1}));
  apply_structured_masks(g, {{"d", 0.34}}, UnitNorm::kL1);  // both norm 0: unit 0 stays out
  EXPECT_EQ(g.layers[0].tensors.at("weight_mask").values,
            (std::vector<float>{0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(g.layers[0].tensors.at("bias_mask").values, (std::vector<float>{0, 1, 1}));
  g = ranked();
  g.layers[0].tensors["weight_mask"] = Tensor({3, 3}, 1.0f);
  g.layers[0].tensors["weight_mask"].values[6] = 0;
  apply_structured_masks(g, {{"d", 0.34}}, UnitNorm::kL1);  // L1 {5, 6, 5}: unit 0
  EXPECT_EQ(g.layers[0].tensors.at("weight_mask").values,
            (std::vector<float>{0, 0, 0, 1, 1, 1, 0, 1, 1}));
}

TEST(StructuredRemoval, DenseUnitsGoWithTheirInputColumns) {
  // in [6] -> fc1 (5) -> relu -> fc2 (4) -> tanh -> out (2)
  Graph g = chain("g", {6},
                  {dense("fc1", 5), plain(LayerKind::kRelu, "r"), dense("fc2", 4),
                   plain(LayerKind::kTanh, "t"), dense("out", 2)});
  const auto r = prune_and_compare(g, {{"fc1", 0.4}, {"fc2", 0.5}});
  // fc1 6*5+5 = 35 -> 6*3+3 = 21; fc2 5*4+4 = 24 -> 3*2+2 = 8; out 4*2+2 = 10 -> 2*2+2 = 6.
  EXPECT_EQ(r.before.parameters, 69);
  EXPECT_EQ(r.after.parameters, 35);
  EXPECT_EQ(r.before.macs, 30 + 20 + 8);
  EXPECT_EQ(r.after.macs, 18 + 6 + 4);
  ASSERT_EQ(r.removed.size(), 2u);
  EXPECT_EQ(r.removed[0].layer, "fc1");
  EXPECT_EQ(r.removed[0].units_before, 5);
  EXPECT_EQ(r.removed[0].units_after, 3);
  EXPECT_EQ(r.removed[0].consumer, "fc2");
  EXPECT_EQ(r.removed[1].removed.size(), 2u);
  EXPECT_EQ(g.find("fc2")->params.units, 2);
  EXPECT_EQ(g.find("out")->tensors.at("weight").shape, (Shape{2, 2}));
  // Nothing is masked any more: the all-ones masks are gone.
  EXPECT_FALSE(g.find("fc1")->tensors.count("weight_mask"));
  EXPECT_FALSE(g.find("fc2")->tensors.count("bias_mask"));
}

TEST(StructuredRemoval, SigmoidConstantFoldsIntoANewBias) {
  // sigmoid(0) = 0.5 reaches `out`, which has no bias of its own: removal gives it one.
  Graph g = chain(
      "g", {4}, {dense("d", 3), plain(LayerKind::kSigmoid, "s"), dense("out", 2, /*bias=*/false)});
  const auto r = prune_and_compare(g, {{"d", 0.34}});
  EXPECT_EQ(r.before.parameters, 15 + 6);
  EXPECT_EQ(r.after.parameters, 10 + 4 + 2);
  EXPECT_TRUE(g.find("out")->params.bias);
}

// in [3, 16] -> c1 (6, k3 same) -> relu -> max pool 2 -> c2 (5, k3 same) -> batch norm -> relu
// -> c3 (4, k3 valid) -> flatten -> out (2). Parameters c1 60, c2 95, bn 10, c3 64, out 50 =
// 279; MACs c1 96*9 = 864, c2 40*18 = 720, c3 24*15 = 360, out 48 = 1992.
Graph conv_chain() {
  return chain(
      "g", {3, 16},
      {conv(LayerKind::kConv1d, "c1", 6, 3, Padding::kSame), plain(LayerKind::kRelu, "r1"),
       pool(LayerKind::kMaxPool1d, "p", 2), conv(LayerKind::kConv1d, "c2", 5, 3, Padding::kSame),
       plain(LayerKind::kBatchNorm, "bn"), plain(LayerKind::kRelu, "r2"),
       conv(LayerKind::kConv1d, "c3", 4, 3, Padding::kValid), plain(LayerKind::kFlatten, "f"),
       dense("out", 2)});
}

TEST(StructuredRemoval, ConvFiltersThroughMaxPoolIntoASamePaddedConv) {
  Graph g = conv_chain();
  const auto r = prune_and_compare(g, {{"c1", 0.34}});
  // c1 loses 2 filters (60 -> 40), c2 2 of its 6 input channels (95 -> 65).
  EXPECT_EQ(r.after.parameters, 279 - 20 - 30);
  EXPECT_EQ(r.after.macs, 1992 - 2 * 16 * 9 - 40 * 2 * 3);
  EXPECT_EQ(g.find("c2")->tensors.at("weight").shape, (Shape{5, 4, 3}));
}

TEST(StructuredRemoval, BatchNormConstantFoldsIntoAValidConv) {
  Graph g = conv_chain();
  const auto r = prune_and_compare(g, {{"c2", 0.4}});
  // c2 loses 2 filters (95 -> 57), bn 2 channels (10 -> 6), c3 2 input channels (64 -> 40).
  EXPECT_EQ(r.after.parameters, 279 - 38 - 4 - 24);
  EXPECT_EQ(r.after.macs, 1992 - 2 * 8 * 18 - 24 * 2 * 3);
  EXPECT_EQ(g.find("bn")->tensors.at("running_var").shape, (Shape{3}));
}

TEST(StructuredRemoval, ConvFilterThroughFlattenIntoDense) {
  Graph g = conv_chain();
  const auto r = prune_and_compare(g, {{"c3", 0.25}});
  // c3 loses 1 filter (64 -> 48), out the 6 features of its channel (50 -> 38).
  EXPECT_EQ(r.after.parameters, 279 - 16 - 12);
  EXPECT_EQ(r.after.macs, 1992 - 6 * 15 - 6 * 2);
  EXPECT_EQ(g.find("out")->tensors.at("weight").shape, (Shape{2, 18}));
}

TEST(StructuredRemoval, AllAtOnce) {
  Graph g = conv_chain();
  const auto r = prune_and_compare(g, {{"c1", 0.34}, {"c2", 0.4}, {"c3", 0.25}});
  // c1 4 filters: 4*3*3+4 = 40; c2 3x4: 3*4*3+3 = 39; bn 6; c3 3x3: 3*3*3+3 = 30;
  // out 2*18+2 = 38.
  EXPECT_EQ(r.after.parameters, 40 + 39 + 6 + 30 + 38);
  EXPECT_EQ(r.after.macs, 64 * 9 + 24 * 12 + 18 * 9 + 36);
  EXPECT_EQ(g.shapes().back(), (Shape{2}));
}

TEST(StructuredRemoval, Conv2dThroughBatchNormAndPoolsIntoDense) {
  // in [2, 6, 6] -> conv (4, k3 valid) -> bn -> avg pool 2 -> global max pool -> dense (3).
  Graph g = chain("g", {2, 6, 6},
                  {conv(LayerKind::kConv2d, "c", 4, 3, Padding::kValid),
                   plain(LayerKind::kBatchNorm, "bn"), pool(LayerKind::kAvgPool2d, "p", 2),
                   plain(LayerKind::kGlobalMaxPool, "gp"), dense("out", 3)});
  const auto r = prune_and_compare(g, {{"c", 0.5}});
  EXPECT_EQ(r.before.parameters, 76 + 8 + 15);
  EXPECT_EQ(r.after.parameters, 38 + 4 + 9);
  EXPECT_EQ(r.before.macs, 64 * 18 + 12);
  EXPECT_EQ(r.after.macs, 32 * 18 + 6);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(StructuredRefusal, OutputsReshapeAndSoftmaxBlockRemoval) {
  Graph g = chain("g", {4}, {dense("fc", 4), plain(LayerKind::kRelu, "r"), dense("out", 2)});
  EXPECT_EQ(error_of([&] {
              apply_structured_masks(g, {{"out", 0.5}}, UnitNorm::kL2);
            }),
            "cannot prune the units of layer 'out' of model 'g': its units are outputs of the "
            "model");
  EXPECT_EQ(error_of([&] {
              apply_structured_masks(g, {{"r", 0.5}}, UnitNorm::kL2);
            }),
            "cannot prune the units of layer 'r' of model 'g': it is not a dense or convolution "
            "layer with weights");

  Layer reshape = plain(LayerKind::kReshape, "rs");
  reshape.params.shape = {2, 4};
  Graph r = chain("g", {4},
                  {dense("fc", 8), reshape, conv(LayerKind::kConv1d, "c", 2, 1, Padding::kValid),
                   plain(LayerKind::kFlatten, "f"), dense("out", 2)});
  EXPECT_EQ(error_of([&] {
              apply_structured_masks(r, {{"fc", 0.5}}, UnitNorm::kL2);
            }),
            "cannot prune the units of layer 'fc' of model 'g': its units pass through layer "
            "'rs' (reshape) before the next dense or convolution layer");

  Graph s = chain("g", {4}, {dense("out", 3), plain(LayerKind::kSoftmax, "sm")});
  EXPECT_EQ(removal_blocker(s, 0),
            "its units pass through layer 'sm' (softmax) before the next dense or convolution "
            "layer");
}

TEST(StructuredRefusal, AConstantCannotFoldIntoASamePaddedConv) {
  Graph g = chain(
      "g", {2, 8},
      {conv(LayerKind::kConv1d, "c1", 4, 3, Padding::kSame), plain(LayerKind::kBatchNorm, "bn"),
       conv(LayerKind::kConv1d, "c2", 2, 3, Padding::kSame), plain(LayerKind::kFlatten, "f"),
       dense("out", 1)});
  const std::string why =
      "layer 'bn' (batch_norm) turns a removed unit's zero into a constant, which cannot be "
      "folded into the bias of layer 'c2' (conv1d): its 'same' padding makes the border "
      "positions see less of it";
  EXPECT_EQ(error_of([&] {
              apply_structured_masks(g, {{"c1", 0.5}}, UnitNorm::kL2);
            }),
            "cannot prune the units of layer 'c1' of model 'g': " + why);
  // Masks set by hand: removal refuses and leaves the graph as it was.
  Layer& c1 = g.layers[0];
  c1.tensors["weight_mask"] = Tensor(c1.tensors["weight"].shape, 1.0f);
  c1.tensors["bias_mask"] = Tensor({4}, 1.0f);
  std::fill_n(c1.tensors["weight_mask"].values.begin(), 6, 0.0f);
  c1.tensors["bias_mask"].values[0] = 0.0f;
  const Graph before = g;
  EXPECT_EQ(error_of([&] { remove_pruned_units(g); }),
            "cannot remove the masked units of layer 'c1' (conv1d) of model 'g': " + why);
  EXPECT_EQ(g.layers[0].tensors, before.layers[0].tensors);
  EXPECT_EQ(g.layers[1].tensors, before.layers[1].tensors);
}

TEST(StructuredRefusal, ALayerKeepsOneUnit) {
  Graph g = chain("g", {4}, {dense("fc", 2), dense("out", 1)});
  Layer& fc = g.layers[0];
  fc.tensors["weight_mask"] = Tensor({2, 4}, 0.0f);
  fc.tensors["bias_mask"] = Tensor({2}, 0.0f);
  EXPECT_EQ(error_of([&] { remove_pruned_units(g); }),
            "cannot remove the masked units of layer 'fc' (dense) of model 'g': all its units "
            "are masked, and a layer needs at least one");
}

TEST(StructuredRemoval, AnUnmaskedBiasKeepsTheUnit) {
  // A unit whose weights are all masked still outputs its bias: it is not removed.
  Graph g = chain("g", {4}, {dense("fc", 2), dense("out", 1)});
  g.layers[0].tensors["weight_mask"] = Tensor({2, 4}, 1.0f);
  std::fill_n(g.layers[0].tensors["weight_mask"].values.begin(), 4, 0.0f);
  EXPECT_TRUE(remove_pruned_units(g).empty());
  EXPECT_EQ(g.layers[0].params.units, 2);
}

}  // namespace
}  // namespace hlslim
