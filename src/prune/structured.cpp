#include "hlslim/prune/structured.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/prune/masks.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

bool is_conv(LayerKind kind) {
  return layer_traits(kind).category == LayerCategory::kLinear && spatial_dims(kind) > 0;
}

// "'bn' (batch_norm)"
std::string describe(const Layer& layer) {
  return "'" + layer.name + "' (" + layer_kind_name(layer.kind) + ")";
}

// How a removed unit's channel travels through a layer on its way to the next dense or
// convolution layer.
enum class Passage {
  kChannelwise,  // acts on each channel alone and keeps zero at zero
  kToConstant,   // acts on each channel alone but may map zero to another constant
  kConsumer,     // a dense or convolution layer: the unit's contributions end here
  kBlocked,      // mixes channels or needs a fixed size: the unit cannot be removed
};

Passage passage(LayerKind kind) {
  switch (kind) {
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
      return Passage::kConsumer;
    case LayerKind::kBatchNorm:
    case LayerKind::kSigmoid:
      return Passage::kToConstant;
    case LayerKind::kRelu:
    case LayerKind::kLeakyRelu:
    case LayerKind::kTanh:
    case LayerKind::kDropout:
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
      return Passage::kChannelwise;
    case LayerKind::kReshape:
    case LayerKind::kSoftmax:
      return Passage::kBlocked;
  }
  return Passage::kBlocked;
}

// Index of the dense or convolution layer that reads the units of layer `index`, or of the
// layer that blocks their way to it; layers.size() when the units reach the model's output.
std::size_t consumer_of(const Graph& graph, std::size_t index) {
  for (std::size_t j = index + 1; j < graph.layers.size(); ++j) {
    const Passage p = passage(graph.layers[j].kind);
    if (p == Passage::kConsumer || p == Passage::kBlocked) return j;
  }
  return graph.layers.size();
}

const Tensor* find_tensor(const Layer& layer, const char* name) {
  const auto it = layer.tensors.find(name);
  return it == layer.tensors.end() ? nullptr : &it->second;
}

// The weight as the forward pass sees it: times its mask, when it has one.
std::vector<float> effective_weight(const Layer& layer) {
  std::vector<float> w = layer.tensors.at("weight").values;
  const Tensor* mask = find_tensor(layer, "weight_mask");
  if (mask && mask->values.size() == w.size()) {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] *= mask->values[i];
  }
  return w;
}

// True when the unit outputs exactly zero whatever its input: every weight of its row masked
// and, with a bias, the bias masked too.
bool unit_masked(const Layer& layer, std::int64_t unit) {
  const Tensor* mask = find_tensor(layer, "weight_mask");
  if (!mask || mask->shape.empty() || mask->shape[0] == 0) return false;
  const auto row = static_cast<std::size_t>(mask->numel() / mask->shape[0]);
  const auto begin = mask->values.begin() + static_cast<std::ptrdiff_t>(row * unit);
  if (std::any_of(begin, begin + static_cast<std::ptrdiff_t>(row),
                  [](float m) { return m != 0.0f; })) {
    return false;
  }
  if (!find_tensor(layer, "bias")) return true;
  const Tensor* bias_mask = find_tensor(layer, "bias_mask");
  return bias_mask && bias_mask->values.at(static_cast<std::size_t>(unit)) == 0.0f;
}

std::vector<std::int64_t> masked_units(const Layer& layer) {
  std::vector<std::int64_t> out;
  for (std::int64_t u = 0; u < unit_count(layer); ++u)
    if (unit_masked(layer, u)) out.push_back(u);
  return out;
}

// The tensor without the entries whose index along `dim` is not kept.
Tensor keep_along(const Tensor& t, std::size_t dim, const std::vector<bool>& keep) {
  const auto prod = [&](std::size_t from, std::size_t to) {
    std::int64_t n = 1;
    for (std::size_t d = from; d < to; ++d) n *= t.shape[d];
    return static_cast<std::size_t>(n);
  };
  const std::size_t outer = prod(0, dim);
  const std::size_t inner = prod(dim + 1, t.shape.size());
  const std::size_t n = keep.size();
  Tensor out;
  out.shape = t.shape;
  out.shape[dim] = std::count(keep.begin(), keep.end(), true);
  out.values.reserve(static_cast<std::size_t>(shape_numel(out.shape)));
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!keep[i]) continue;
      const auto begin = t.values.begin() + static_cast<std::ptrdiff_t>((o * n + i) * inner);
      out.values.insert(out.values.end(), begin, begin + static_cast<std::ptrdiff_t>(inner));
    }
  }
  return out;
}

void keep_tensor(Layer& layer, const char* name, std::size_t dim, const std::vector<bool>& keep) {
  const auto it = layer.tensors.find(name);
  if (it != layer.tensors.end()) it->second = keep_along(it->second, dim, keep);
}

// Drops a mask that masks nothing any more: the layer then reads as unpruned.
void drop_all_ones_mask(Layer& layer, const char* name) {
  const auto it = layer.tensors.find(name);
  if (it == layer.tensors.end()) return;
  const auto& v = it->second.values;
  if (std::all_of(v.begin(), v.end(), [](float m) { return m == 1.0f; })) layer.tensors.erase(it);
}

// The removed channels on their way from a producer to its consumer, indexed along the first
// dimension of the current layer's input, with the constant value each of them holds there.
struct RemovedChannels {
  std::vector<bool> gone;
  std::vector<double> value;

  bool any_nonzero() const {
    for (std::size_t i = 0; i < gone.size(); ++i)
      if (gone[i] && value[i] != 0.0) return true;
    return false;
  }
  std::vector<bool> kept() const {
    std::vector<bool> out(gone.size());
    for (std::size_t i = 0; i < gone.size(); ++i) out[i] = !gone[i];
    return out;
  }
};

// Carries the removed channels' constants through a channel-wise layer (whose input has shape
// `in`), slicing the layer's own per-channel tensors.
void pass_through(Layer& layer, const Shape& in, RemovedChannels& r) {
  const auto each = [&](auto f) {
    for (std::size_t c = 0; c < r.gone.size(); ++c)
      if (r.gone[c]) r.value[c] = f(r.value[c], c);
  };
  switch (layer.kind) {
    case LayerKind::kRelu:
      each([](double v, std::size_t) { return std::max(v, 0.0); });
      break;
    case LayerKind::kLeakyRelu: {
      const double alpha = layer.params.alpha;
      each([alpha](double v, std::size_t) { return v < 0 ? alpha * v : v; });
      break;
    }
    case LayerKind::kTanh:
      each([](double v, std::size_t) { return std::tanh(v); });
      break;
    case LayerKind::kSigmoid:
      each([](double v, std::size_t) { return 1.0 / (1.0 + std::exp(-v)); });
      break;
    case LayerKind::kBatchNorm: {
      const auto& t = layer.tensors;
      const double eps = layer.params.eps;
      each([&](double v, std::size_t c) {
        const double scale =
            t.at("weight").values[c] / std::sqrt(t.at("running_var").values[c] + eps);
        return (v - t.at("running_mean").values[c]) * scale + t.at("bias").values[c];
      });
      for (const char* name : {"weight", "bias", "running_mean", "running_var"})
        keep_tensor(layer, name, 0, r.kept());
      break;
    }
    case LayerKind::kFlatten: {
      // Channels-first: channel c becomes the block of features [c * block, (c + 1) * block).
      const auto block = static_cast<std::size_t>(shape_numel(in) / in.at(0));
      RemovedChannels flat;
      for (std::size_t c = 0; c < r.gone.size(); ++c) {
        flat.gone.insert(flat.gone.end(), block, r.gone[c]);
        flat.value.insert(flat.value.end(), block, r.value[c]);
      }
      r = std::move(flat);
      break;
    }
    case LayerKind::kDropout:  // identity at inference
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
      break;  // a constant channel stays the same constant
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
    case LayerKind::kReshape:
    case LayerKind::kSoftmax:
      throw Error("structured pruning: layer " + describe(layer) +
                  " is not channel-wise; removed units cannot pass through it");
  }
}

// Adds the removed inputs' constant contributions to the consumer's bias: a removed input
// channel c holding v everywhere adds v * (sum of the filter's weights over c) to every output
// position, exactly, because every position reads the whole kernel ('valid' padding).
void fold_constants(Layer& consumer, const RemovedChannels& r) {
  const std::vector<float> w = effective_weight(consumer);
  const Shape& shape = consumer.tensors.at("weight").shape;
  const auto outputs = static_cast<std::size_t>(shape[0]);
  const auto inputs = static_cast<std::size_t>(shape[1]);
  const std::size_t kernel = w.size() / (outputs * inputs);
  if (!consumer.tensors.count("bias")) {
    consumer.params.bias = true;
    consumer.tensors["bias"] = Tensor({shape[0]}, 0.0f);
  }
  auto& bias = consumer.tensors.at("bias").values;
  for (std::size_t o = 0; o < outputs; ++o) {
    double sum = 0;
    for (std::size_t c = 0; c < inputs; ++c) {
      if (!r.gone[c] || r.value[c] == 0.0) continue;
      double filter = 0;
      for (std::size_t k = 0; k < kernel; ++k) filter += w[(o * inputs + c) * kernel + k];
      sum += r.value[c] * filter;
    }
    bias[o] = static_cast<float>(bias[o] + sum);
  }
}

// Removes the given units of layer `index` and their inputs downstream.
RemovedUnits remove_units(Graph& graph, std::size_t index, const std::vector<std::int64_t>& units) {
  const auto shapes = graph.shapes();
  Layer& producer = graph.layers[index];
  RemovedUnits report{producer.name, unit_count(producer), 0, units, ""};

  RemovedChannels r;
  r.gone.assign(static_cast<std::size_t>(report.units_before), false);
  r.value.assign(r.gone.size(), 0.0);
  for (std::int64_t u : units) r.gone[static_cast<std::size_t>(u)] = true;

  const std::size_t consumer_index = consumer_of(graph, index);
  for (std::size_t j = index + 1; j < consumer_index; ++j)
    pass_through(graph.layers[j], shapes[j], r);
  Layer& consumer = graph.layers[consumer_index];
  if (r.any_nonzero()) fold_constants(consumer, r);
  for (const char* name : {"weight", "weight_mask"}) keep_tensor(consumer, name, 1, r.kept());
  report.consumer = consumer.name;

  std::vector<bool> keep(static_cast<std::size_t>(report.units_before), true);
  for (std::int64_t u : units) keep[static_cast<std::size_t>(u)] = false;
  for (const char* name : {"weight", "weight_mask", "bias", "bias_mask"})
    keep_tensor(producer, name, 0, keep);
  report.units_after = report.units_before - static_cast<std::int64_t>(units.size());
  (producer.kind == LayerKind::kDense ? producer.params.units : producer.params.filters) =
      report.units_after;
  return report;
}

std::size_t index_of(const Graph& graph, const Layer* layer) {
  return static_cast<std::size_t>(layer - graph.layers.data());
}

}  // namespace

std::optional<UnitNorm> parse_unit_norm(const std::string& name) {
  if (name == "l1") return UnitNorm::kL1;
  if (name == "l2") return UnitNorm::kL2;
  return std::nullopt;
}

std::int64_t unit_count(const Layer& layer) {
  if (layer.kind == LayerKind::kDense) return layer.params.units;
  if (is_conv(layer.kind)) return layer.params.filters;
  return 0;
}

std::vector<double> unit_norms(const Layer& layer, UnitNorm norm) {
  if (!is_prunable(layer) || !layer.tensors.count("weight")) {
    throw Error("layer " + describe(layer) + " has no dense or convolution weight to measure");
  }
  const std::vector<float> w = effective_weight(layer);
  const auto units = static_cast<std::size_t>(layer.tensors.at("weight").shape.at(0));
  const std::size_t row = units ? w.size() / units : 0;
  std::vector<double> out(units, 0.0);
  for (std::size_t u = 0; u < units; ++u) {
    for (std::size_t i = u * row; i < (u + 1) * row; ++i) {
      const double v = w[i];
      out[u] += norm == UnitNorm::kL1 ? std::abs(v) : v * v;
    }
    if (norm == UnitNorm::kL2) out[u] = std::sqrt(out[u]);
  }
  return out;
}

std::string removal_blocker(const Graph& graph, std::size_t index) {
  const Layer& layer = graph.layers.at(index);
  if (!is_prunable(layer)) return "it is not a dense or convolution layer";
  const std::size_t consumer = consumer_of(graph, index);
  if (consumer == graph.layers.size()) return "its units are outputs of the model";
  const Layer& next = graph.layers[consumer];
  if (passage(next.kind) == Passage::kBlocked) {
    return "its units pass through layer " + describe(next) +
           " before the next dense or convolution layer";
  }
  if (is_conv(next.kind) && next.params.padding == Padding::kSame) {
    for (std::size_t j = index + 1; j < consumer; ++j) {
      if (passage(graph.layers[j].kind) != Passage::kToConstant) continue;
      return "layer " + describe(graph.layers[j]) +
             " turns a removed unit's zero into a constant, which cannot be folded into the "
             "bias of layer " +
             describe(next) + ": its 'same' padding makes the border positions see less of it";
    }
  }
  return "";
}

void apply_structured_masks(Graph& graph, const std::map<std::string, double>& fractions,
                            UnitNorm norm) {
  for (const auto& [name, fraction] : fractions) {
    Layer* layer = graph.find(name);
    if (!layer || !is_prunable(*layer) || !layer->tensors.count("weight")) {
      throw Error("cannot prune the units of layer '" + name + "' of model '" + graph.name +
                  "': it is not a dense or convolution layer with weights");
    }
    const std::string blocker = removal_blocker(graph, index_of(graph, layer));
    if (!blocker.empty()) {
      throw Error("cannot prune the units of layer '" + name + "' of model '" + graph.name +
                  "': " + blocker);
    }
    const std::vector<double> norms = unit_norms(*layer, norm);
    const std::size_t units = norms.size();
    const auto wanted = static_cast<std::size_t>(std::floor(fraction * static_cast<double>(units)));
    const std::size_t count = std::min(wanted, units > 0 ? units - 1 : 0);
    std::vector<std::size_t> order(units);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return norms[a] < norms[b]; });
    std::vector<bool> selected(units, false);
    for (std::size_t i = 0; i < count; ++i) selected[order[i]] = true;

    // Remember the units an earlier call masked before touching the masks.
    std::vector<bool> was_masked(units);
    for (std::size_t u = 0; u < units; ++u)
      was_masked[u] = unit_masked(*layer, static_cast<std::int64_t>(u));
    Tensor& weight = layer->tensors.at("weight");
    if (!layer->tensors.count("weight_mask"))
      layer->tensors["weight_mask"] = Tensor(weight.shape, 1.0f);
    Tensor& mask = layer->tensors.at("weight_mask");
    Tensor* bias = layer->tensors.count("bias") ? &layer->tensors.at("bias") : nullptr;
    if (bias && !layer->tensors.count("bias_mask"))
      layer->tensors["bias_mask"] = Tensor(bias->shape, 1.0f);
    Tensor* bias_mask = bias ? &layer->tensors.at("bias_mask") : nullptr;
    const std::size_t row = units ? weight.values.size() / units : 0;
    for (std::size_t u = 0; u < units; ++u) {
      if (!selected[u] && !was_masked[u]) continue;
      const float keep = selected[u] ? 0.0f : 1.0f;
      std::fill_n(mask.values.begin() + static_cast<std::ptrdiff_t>(u * row), row, keep);
      if (bias_mask) bias_mask->values[u] = keep;
      if (!selected[u]) continue;
      std::fill_n(weight.values.begin() + static_cast<std::ptrdiff_t>(u * row), row, 0.0f);
      if (bias) bias->values[u] = 0.0f;
    }
  }
}

std::vector<RemovedUnits> remove_pruned_units(Graph& graph) {
  // Find everything first and check it all, so that a refusal leaves the graph unchanged.
  std::vector<std::pair<std::size_t, std::vector<std::int64_t>>> work;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    if (!is_prunable(layer) || !layer.tensors.count("weight")) continue;
    auto units = masked_units(layer);
    if (units.empty()) continue;
    if (static_cast<std::int64_t>(units.size()) == unit_count(layer)) {
      throw Error("cannot remove the masked units of layer " + describe(layer) + " of model '" +
                  graph.name + "': all its units are masked, and a layer needs at least one");
    }
    const std::string blocker = removal_blocker(graph, i);
    if (!blocker.empty()) {
      throw Error("cannot remove the masked units of layer " + describe(layer) + " of model '" +
                  graph.name + "': " + blocker);
    }
    work.emplace_back(i, std::move(units));
  }
  std::vector<RemovedUnits> out;
  for (const auto& [index, units] : work) out.push_back(remove_units(graph, index, units));
  for (Layer& layer : graph.layers) {
    if (!is_prunable(layer)) continue;
    drop_all_ones_mask(layer, "weight_mask");
    drop_all_ones_mask(layer, "bias_mask");
  }
  return out;
}

}  // namespace hlslim
