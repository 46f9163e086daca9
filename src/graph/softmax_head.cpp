#include "hlslim/graph/softmax_head.hpp"

#include "hlslim/graph/layer_traits.hpp"

namespace hlslim {
namespace {

// The layers that compute logits from the inputs: weights and a sum of products per output.
bool computes_logits(const Layer& layer) {
  return layer_traits(layer.kind).category == LayerCategory::kLinear;
}

std::string describe(const Layer& layer) {
  return std::string(layer_kind_name(layer.kind)) + " layer '" + layer.name + "'";
}

}  // namespace

bool ends_in_softmax(const Graph& graph) {
  if (graph.layers.empty() || graph.layers.back().kind != LayerKind::kSoftmax) return false;
  for (std::size_t i = 0; i + 1 < graph.layers.size(); ++i)
    if (computes_logits(graph.layers[i])) return true;
  return false;
}

std::string softmax_head_problem(const Graph& graph) {
  const auto& layers = graph.layers;
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    if (layers[i].kind != LayerKind::kSoftmax) continue;
    return "softmax layer '" + layers[i].name +
           "' must be the last layer (the loss, the evaluations and the firmware end at the "
           "logits before it), but " +
           describe(layers[i + 1]) + " follows it; end the model with the softmax or remove it";
  }
  if (!layers.empty() && layers.back().kind == LayerKind::kSoftmax && !ends_in_softmax(graph)) {
    return "softmax layer '" + layers.back().name +
           "' ends the model with no dense or convolution layer before it to compute the logits "
           "it reads; put one before it";
  }
  return "";
}

}  // namespace hlslim
