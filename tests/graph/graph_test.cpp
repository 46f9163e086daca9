// Shapes, sizes and attribute resolution of the model graph (no LibTorch needed).
#include "hlslim/graph/graph.hpp"

#include <gtest/gtest.h>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "support/builders.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

using testing::make_layer;

Graph conv_net() {
  Graph g;
  g.name = "net";
  g.input_shape = {1, 9, 16};
  Layer conv = make_layer(LayerKind::kConv2d, "conv");
  conv.params.filters = 4;
  conv.params.kernel = {3, 5};
  g.layers.push_back(conv);
  g.layers.push_back(make_layer(LayerKind::kRelu, "act"));
  Layer pool = make_layer(LayerKind::kMaxPool2d, "pool");
  pool.params.pool = {1, 2};
  g.layers.push_back(pool);
  g.layers.push_back(make_layer(LayerKind::kFlatten, "flat"));
  Layer dense = make_layer(LayerKind::kDense, "fc");
  dense.params.units = 10;
  g.layers.push_back(dense);
  return g;
}

TEST(Graph, ShapesParametersAndMacsByHand) {
  const Graph g = conv_net();
  const auto shapes = g.shapes();
  ASSERT_EQ(shapes.size(), 6u);
  EXPECT_EQ(shapes[1], (Shape{4, 7, 12}));  // (9-3+1, 16-5+1)
  EXPECT_EQ(shapes[3], (Shape{4, 7, 6}));
  EXPECT_EQ(shapes[4], (Shape{168}));
  EXPECT_EQ(shapes[5], (Shape{10}));
  const auto rows = g.summary();
  EXPECT_EQ(rows[0].parameters, 4 * 1 * 3 * 5 + 4);
  EXPECT_EQ(rows[0].macs, 4 * 7 * 12 * (1 * 3 * 5));
  EXPECT_EQ(rows[4].parameters, 168 * 10 + 10);
  EXPECT_EQ(rows[4].macs, 168 * 10);
  EXPECT_EQ(g.totals().parameters, 64 + 1690);
  EXPECT_FALSE(g.has_weights());
}

TEST(Graph, TheSummaryTableFitsTheLongestLayerName) {
  Graph g = conv_net();
  EXPECT_EQ(g.summary_table().substr(0, 19), "layer              ");  // 18 characters and a space
  g.layers[1].name = "bn1_BatchNormalization_long_name";  // 32 characters, as imports name layers
  const std::string table = g.summary_table();
  EXPECT_EQ(table.substr(0, 33), "layer" + std::string(27, ' ') + " ");
  EXPECT_NE(table.find("\nbn1_BatchNormalization_long_name relu             [4, 7, 12]"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("\nfc" + std::string(30, ' ') + " dense"), std::string::npos) << table;
}

TEST(Graph, SamePaddingStridesAndPools) {
  Layer conv = make_layer(LayerKind::kConv1d, "c");
  conv.params.filters = 3;
  conv.params.kernel = {4};
  conv.params.padding = Padding::kSame;
  EXPECT_EQ(infer_output_shape(conv, {2, 10}).shape, (Shape{3, 10}));
  conv.params.padding = Padding::kValid;
  conv.params.stride = {3};
  EXPECT_EQ(infer_output_shape(conv, {2, 10}).shape, (Shape{3, 3}));
  conv.params.padding = Padding::kSame;
  EXPECT_EQ(infer_output_shape(conv, {2, 10}).error, "padding 'same' needs stride 1");
  Layer gap = make_layer(LayerKind::kGlobalAvgPool, "g");
  EXPECT_EQ(infer_output_shape(gap, {5, 3, 3}).shape, (Shape{5}));
  Layer reshape = make_layer(LayerKind::kReshape, "r");
  reshape.params.shape = {2, 3};
  EXPECT_EQ(infer_output_shape(reshape, {6}).shape, (Shape{2, 3}));
  EXPECT_EQ(infer_output_shape(reshape, {7}).error, "cannot reshape [7] to [2, 3]");
  Layer bn = make_layer(LayerKind::kBatchNorm, "bn");
  EXPECT_EQ(count_parameters(bn, {6, 4}), 12);  // scale and shift per channel
}

TEST(Graph, AttributesResolveByNameThenTypeThenDefault) {
  Graph g = conv_net();
  g.default_attrs["reuse_factor"] = std::int64_t{1};
  g.default_attrs["precision"] = std::string("fixed<16,6>");
  g.type_attrs["dense"]["precision"] = std::string("fixed<8,3>");
  g.find("fc")->attrs["reuse_factor"] = std::int64_t{4};
  EXPECT_EQ(std::get<std::int64_t>(*g.resolve_attr(*g.find("fc"), "reuse_factor")), 4);
  EXPECT_EQ(std::get<std::int64_t>(*g.resolve_attr(*g.find("conv"), "reuse_factor")), 1);
  EXPECT_EQ(std::get<std::string>(*g.resolve_attr(*g.find("fc"), "precision")), "fixed<8,3>");
  EXPECT_EQ(std::get<std::string>(*g.resolve_attr(*g.find("conv"), "precision")), "fixed<16,6>");
  EXPECT_FALSE(g.resolve_attr(*g.find("conv"), "sparsity").has_value());
}

TEST(Graph, NonzeroParametersHonourMasksAndZeros) {
  Graph g;
  g.name = "m";
  g.input_shape = {3};
  Layer dense = make_layer(LayerKind::kDense, "fc");
  dense.params.units = 2;
  dense.tensors["weight"] = Tensor({2, 3}, 1.0f);
  dense.tensors["weight"].values[0] = 0.0f;
  dense.tensors["bias"] = Tensor({2}, 0.5f);
  dense.tensors["weight_mask"] = Tensor({2, 3}, 1.0f);
  dense.tensors["weight_mask"].values[5] = 0.0f;
  g.layers.push_back(dense);
  EXPECT_TRUE(g.has_weights());
  EXPECT_EQ(g.totals().parameters, 8);
  EXPECT_EQ(g.totals().nonzero_parameters, 6);
}

}  // namespace
}  // namespace hlslim
