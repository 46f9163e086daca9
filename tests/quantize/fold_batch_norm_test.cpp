// Batch-norm folding: the folded model computes what the original computes in evaluation mode.
#include "hlslim/graph/fold_batch_norm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hlslim/data/random.hpp"
#include "hlslim/train/training.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

using testing::make_layer;

// A trained-looking graph: LibTorch's initial weights, and batch norms with non-trivial
// statistics.
Graph with_statistics(Graph graph) {
  seed_torch(3);
  initialize_weights(graph);
  data::Rng rng(3);
  for (auto& layer : graph.layers) {
    if (layer.kind != LayerKind::kBatchNorm) continue;
    for (auto& [name, tensor] : layer.tensors) {
      for (auto& v : tensor.values) {
        const auto r = static_cast<float>(rng.uniform());
        v = name == "running_var" ? 0.2f + r : (r - 0.5f) * 2.0f;
      }
    }
  }
  return graph;
}

std::vector<float> eval_forward(const Graph& graph, const std::vector<float>& x, std::size_t n) {
  std::vector<float> y(n * static_cast<std::size_t>(shape_numel(graph.shapes().back())));
  float_predictor(graph)(x.data(), n, y.data());
  return y;
}

TEST(FoldBatchNorm, FoldedModelEqualsTheOriginal) {
  Graph graph;
  graph.name = "net";
  graph.input_shape = {3, 10};
  Layer conv = make_layer(LayerKind::kConv1d, "conv");
  conv.params.filters = 4;
  conv.params.kernel = {3};
  conv.params.padding = Padding::kSame;
  conv.params.bias = false;  // gains one
  Layer dense = make_layer(LayerKind::kDense, "fc");
  dense.params.units = 5;
  graph.layers = {conv,
                  make_layer(LayerKind::kBatchNorm, "bn1"),
                  make_layer(LayerKind::kRelu, "relu1"),
                  make_layer(LayerKind::kFlatten, "flat"),
                  dense,
                  make_layer(LayerKind::kBatchNorm, "bn2"),
                  make_layer(LayerKind::kRelu, "relu2"),
                  make_layer(LayerKind::kBatchNorm, "bn3")};  // not after a weighted layer
  graph = with_statistics(graph);
  // A masked weight must stay zero.
  Tensor mask(graph.layers[4].tensors.at("weight").shape, 1.0f);
  mask.values[7] = 0.0f;
  graph.layers[4].tensors["weight_mask"] = mask;
  graph.layers[4].tensors["weight"].values[7] = 0.0f;

  Graph folded = graph;
  const auto pairs = fold_batch_norms(folded);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"conv", "bn1"}));
  EXPECT_EQ(pairs[1], (std::pair<std::string, std::string>{"fc", "bn2"}));
  ASSERT_EQ(folded.layers.size(), 6u);
  EXPECT_EQ(folded.layers[5].name, "bn3");
  EXPECT_TRUE(folded.layers[0].params.bias);
  EXPECT_EQ(folded.layers[3].tensors.at("weight").values[7], 0.0f);
  EXPECT_LT(folded.totals().parameters, graph.totals().parameters);

  constexpr std::size_t n = 64;
  data::Rng rng(4);
  std::vector<float> x(n * 3 * 10);
  for (float& v : x) v = static_cast<float>(rng.normal());
  const std::vector<float> want = eval_forward(graph, x, n);
  const std::vector<float> got = eval_forward(folded, x, n);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-5 + 1e-5 * std::abs(want[i])) << "output " << i;
  }
}

}  // namespace
}  // namespace hlslim
