#include "hlslim/graph/fold_batch_norm.hpp"

#include <cmath>

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

bool is_weighted(LayerKind kind) {
  return kind == LayerKind::kDense || kind == LayerKind::kConv1d || kind == LayerKind::kConv2d;
}

void fold_into(Layer& layer, const Layer& norm) {
  const auto& t = norm.tensors;
  const auto& gamma = t.at("weight").values;
  const auto& beta = t.at("bias").values;
  const auto& mean = t.at("running_mean").values;
  const auto& var = t.at("running_var").values;
  Tensor& weight = layer.tensors.at("weight");
  const std::size_t units = static_cast<std::size_t>(weight.shape.at(0));
  if (gamma.size() != units) {
    throw Error("cannot fold batch norm '" + norm.name + "' (" + std::to_string(gamma.size()) +
                " channels) into '" + layer.name + "' (" + std::to_string(units) + " units)");
  }
  if (!layer.params.bias) {
    layer.params.bias = true;
    layer.tensors["bias"] = Tensor({static_cast<std::int64_t>(units)});
  }
  Tensor& bias = layer.tensors.at("bias");
  // A masked bias is zero; after folding the unit's bias is the batch norm's shift, which the
  // mask must no longer hide.
  if (auto mask = layer.tensors.find("bias_mask"); mask != layer.tensors.end()) {
    for (std::size_t u = 0; u < units; ++u) bias.values[u] *= mask->second.values[u];
    layer.tensors.erase(mask);
  }
  const std::size_t fan_in = weight.values.size() / units;
  for (std::size_t u = 0; u < units; ++u) {
    // In double, so the folded model differs from the original only by the final float rounding.
    const double scale = gamma[u] / std::sqrt(static_cast<double>(var[u]) + norm.params.eps);
    for (std::size_t i = 0; i < fan_in; ++i) {
      float& w = weight.values[u * fan_in + i];
      w = static_cast<float>(w * scale);
    }
    bias.values[u] = static_cast<float>(scale * (bias.values[u] - mean[u]) + beta[u]);
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> fold_batch_norms(Graph& graph) {
  if (!graph.has_weights()) {
    throw Error("model '" + graph.name + "' has no trained weights: nothing to fold");
  }
  std::vector<std::pair<std::string, std::string>> folded;
  std::vector<Layer> kept;
  kept.reserve(graph.layers.size());
  for (auto& layer : graph.layers) {
    if (layer.kind == LayerKind::kBatchNorm && !kept.empty() && is_weighted(kept.back().kind)) {
      fold_into(kept.back(), layer);
      folded.emplace_back(kept.back().name, layer.name);
      continue;
    }
    kept.push_back(std::move(layer));
  }
  graph.layers = std::move(kept);
  return folded;
}

}  // namespace hlslim
