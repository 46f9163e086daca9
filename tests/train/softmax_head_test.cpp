// One rule for the softmax that ends a classifier (graph/softmax_head.hpp): training's logits,
// the firmware and the task checks leave out a trailing softmax only when a dense or
// convolution layer computes the logits before it, and refuse a softmax that is not last.
#include "hlslim/graph/softmax_head.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hlslim/engine/firmware.hpp"
#include "hlslim/train/torch_model.hpp"

namespace hlslim {
namespace {

Layer layer(const std::string& name, LayerKind kind, std::int64_t units = 0) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.params.units = units;
  return l;
}

Graph model(std::vector<Layer> layers) {
  Graph g;
  g.name = "m";
  g.input_shape = {4};
  g.layers = std::move(layers);
  return g;
}

TEST(SoftmaxHead, ATrailingSoftmaxAfterADenseLayerIsLeftOutEverywhere) {
  const Graph g = model({layer("fc", LayerKind::kDense, 3), layer("prob", LayerKind::kSoftmax)});
  EXPECT_TRUE(ends_in_softmax(g));
  EXPECT_EQ(softmax_head_problem(g), "");
  EXPECT_EQ(firmware_layer_count(g), 1u);
  torch::manual_seed(1);
  GraphModule module(g);
  const torch::Tensor x = torch::randn({6, 4});
  const torch::Tensor logits = module->forward_logits(x);
  // The logits are the dense layer's output, which the softmax turns into the probabilities.
  EXPECT_TRUE(torch::allclose(torch::softmax(logits, 1), module->forward(x)));
  EXPECT_FALSE(torch::allclose(logits.sum(1), torch::ones({6})));
}

TEST(SoftmaxHead, ASoftmaxWithoutLogitsBeforeItIsNotLeftOutAndIsRefused) {
  for (const Graph& g :
       {model({layer("prob", LayerKind::kSoftmax)}),
        model({layer("flat", LayerKind::kFlatten), layer("prob", LayerKind::kSoftmax)})}) {
    EXPECT_FALSE(ends_in_softmax(g));
    EXPECT_EQ(firmware_layer_count(g), g.layers.size());
    GraphModule module(g);
    const torch::Tensor x = torch::randn({6, 4});
    EXPECT_TRUE(torch::equal(module->forward_logits(x), module->forward(x)));
    EXPECT_EQ(softmax_head_problem(g),
              "softmax layer 'prob' ends the model with no dense or convolution layer before it "
              "to compute the logits it reads; put one before it");
  }
}

TEST(SoftmaxHead, ASoftmaxFollowedByAnyLayerIsRefusedAndNotLeftOut) {
  const Graph g = model({layer("fc", LayerKind::kDense, 3), layer("prob", LayerKind::kSoftmax),
                         layer("drop", LayerKind::kDropout)});
  EXPECT_FALSE(ends_in_softmax(g));
  EXPECT_EQ(softmax_head_problem(g),
            "softmax layer 'prob' must be the last layer (the loss, the evaluations and the "
            "firmware end at the logits before it), but dropout layer 'drop' follows it; end the "
            "model with the softmax or remove it");
  const Graph fine = model({layer("fc", LayerKind::kDense, 3), layer("drop", LayerKind::kDropout),
                            layer("prob", LayerKind::kSoftmax)});
  EXPECT_TRUE(ends_in_softmax(fine));
  EXPECT_EQ(softmax_head_problem(fine), "");
}

}  // namespace
}  // namespace hlslim
