#include "hlslim/prune/masks.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// Each candidate weight: |w|, then a global position that breaks ties by order.
struct Candidate {
  float magnitude;
  std::size_t layer;
  std::size_t index;
};

}  // namespace

bool is_prunable(const Layer& layer) {
  return layer.kind == LayerKind::kDense || layer.kind == LayerKind::kConv1d ||
         layer.kind == LayerKind::kConv2d;
}

void apply_magnitude_masks(Graph& graph, const std::map<std::string, double>& sparsity,
                           bool global) {
  std::vector<Layer*> layers;
  for (const auto& [name, fraction] : sparsity) {
    Layer* layer = graph.find(name);
    if (!layer || !is_prunable(*layer) || !layer->tensors.count("weight")) {
      throw Error("cannot prune layer '" + name + "' of model '" + graph.name +
                  "': it is not a dense or convolution layer with weights");
    }
    layers.push_back(layer);
  }
  auto prune = [](std::vector<Candidate>& candidates, double fraction,
                  const std::vector<Layer*>& owners) {
    const auto count =
        static_cast<std::size_t>(std::floor(fraction * static_cast<double>(candidates.size())));
    std::stable_sort(
        candidates.begin(), candidates.end(),
        [](const Candidate& a, const Candidate& b) { return a.magnitude < b.magnitude; });
    for (Layer* layer : owners) {
      const Tensor& weight = layer->tensors.at("weight");
      layer->tensors["weight_mask"] = Tensor(weight.shape, 1.0f);
    }
    for (std::size_t i = 0; i < count; ++i) {
      Layer* layer = owners[candidates[i].layer];
      layer->tensors["weight_mask"].values[candidates[i].index] = 0.0f;
      layer->tensors["weight"].values[candidates[i].index] = 0.0f;
    }
  };
  auto candidates_of = [](const Layer& layer, std::size_t slot) {
    std::vector<Candidate> out;
    const auto& values = layer.tensors.at("weight").values;
    for (std::size_t i = 0; i < values.size(); ++i) out.push_back({std::abs(values[i]), slot, i});
    return out;
  };
  if (global) {
    if (layers.empty()) return;
    std::vector<Candidate> all;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const auto own = candidates_of(*layers[l], l);
      all.insert(all.end(), own.begin(), own.end());
    }
    prune(all, sparsity.begin()->second, layers);
    return;
  }
  for (Layer* layer : layers) {
    auto own = candidates_of(*layer, 0);
    prune(own, sparsity.at(layer->name), {layer});
  }
}

double polynomial_sparsity(double initial, double final, std::int64_t begin, std::int64_t end,
                           double power, std::int64_t step) {
  if (step <= begin) return initial;
  if (step >= end || end <= begin) return final;
  const double progress = static_cast<double>(step - begin) / static_cast<double>(end - begin);
  return final + (initial - final) * std::pow(1.0 - progress, power);
}

double weight_sparsity(const Layer& layer) {
  const auto weight = layer.tensors.find("weight");
  if (weight == layer.tensors.end() || weight->second.values.empty()) return 0.0;
  const auto mask = layer.tensors.find("weight_mask");
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < weight->second.values.size(); ++i) {
    const bool masked = mask != layer.tensors.end() && mask->second.values[i] == 0.0f;
    if (masked || weight->second.values[i] == 0.0f) ++zeros;
  }
  return static_cast<double>(zeros) / static_cast<double>(weight->second.values.size());
}

}  // namespace hlslim
