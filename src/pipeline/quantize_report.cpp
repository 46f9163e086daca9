#include "quantize_report.hpp"

#include <cstdio>

#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/quant/fixed_point.hpp"

namespace hlslim {
namespace {

std::int64_t nonzero(const Layer& layer, const std::string& name) {
  const auto it = layer.tensors.find(name);
  if (it == layer.tensors.end()) return 0;
  const auto mask = layer.tensors.find(name + "_mask");
  std::int64_t n = 0;
  for (std::size_t i = 0; i < it->second.values.size(); ++i) {
    const bool masked = mask != layer.tensors.end() && mask->second.values[i] == 0.0f;
    if (!masked && it->second.values[i] != 0.0f) ++n;
  }
  return n;
}

// Non-zero weights after quantization: a weight that rounds to zero costs nothing either.
std::int64_t nonzero_quantized(const Layer& layer, const std::string& name,
                               const std::optional<FixedType>& type) {
  if (!type) return nonzero(layer, name);
  const auto it = layer.tensors.find(name);
  if (it == layer.tensors.end()) return 0;
  const auto mask = layer.tensors.find(name + "_mask");
  std::int64_t n = 0;
  for (std::size_t i = 0; i < it->second.values.size(); ++i) {
    const bool masked = mask != layer.tensors.end() && mask->second.values[i] == 0.0f;
    if (!masked && quantize(it->second.values[i], *type) != 0) ++n;
  }
  return n;
}

bool has_weights(LayerKind kind) {
  return layer_traits(kind).category == LayerCategory::kLinear;
}

double seen_or_zero(double value) {
  return std::isfinite(value) ? value : 0.0;
}

}  // namespace

nlohmann::json input_report(const FixedType& input, const EngineStats& stats) {
  return {{"precision", input.to_string()},
          {"min", input.min()},
          {"max", input.max()},
          {"seen_min", seen_or_zero(stats.input_min_seen)},
          {"seen_max", seen_or_zero(stats.input_max_seen)},
          {"values", stats.input_values},
          {"overflows", stats.input_overflows}};
}

nlohmann::json layer_report(const Graph& graph, const ModelPrecision& precision,
                            const EngineStats& stats) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const LayerPrecision& p = precision.layers[i];
    if (!p.weight && !p.bias && !p.accum && !p.result) continue;
    nlohmann::json entry = {{"name", layer.name}, {"type", layer_kind_name(layer.kind)}};
    for (const char* role : {"weight", "bias", "accum", "result"}) {
      if (const auto& type = *p.role(role)) entry[role] = type->to_string();
    }
    if (p.result) {
      entry["result_min"] = p.result->min();
      entry["result_max"] = p.result->max();
    }
    if (i < stats.layers.size()) {
      const LayerStats& s = stats.layers[i];
      entry["seen_min"] = seen_or_zero(s.min_seen);
      entry["seen_max"] = seen_or_zero(s.max_seen);
      entry["values"] = s.values;
      entry["result_overflows"] = s.result_overflows;
      entry["accum_overflows"] = s.accum_overflows;
    }
    if (has_weights(layer.kind)) {
      entry["nonzero_weights"] = nonzero_quantized(layer, "weight", p.weight);
      entry["weights"] = layer.tensors.count("weight") ? layer.tensors.at("weight").numel() : 0;
    }
    out.push_back(entry);
  }
  return out;
}

std::int64_t total_weight_bits(const Graph& graph, const ModelPrecision& precision) {
  std::int64_t bits = 0;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const LayerPrecision& p = precision.layers[i];
    if (!has_weights(layer.kind)) continue;
    if (p.weight) bits += nonzero_quantized(layer, "weight", p.weight) * p.weight->width;
    if (p.bias) bits += nonzero_quantized(layer, "bias", p.bias) * p.bias->width;
  }
  return bits;
}

std::string precision_table(const Graph& graph, const ModelPrecision& precision,
                            const EngineStats& stats) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "  %-10s %-24s %-24s %-22s %21s %9s %9s\n", "layer", "weight",
                "accum", "result", "seen range", "overflow", "acc.ovf");
  out += line;
  std::snprintf(line, sizeof line, "  %-10s %-24s %-24s %-22s %10.4g..%-9.4g %9lld %9s\n", "input",
                "", "", precision.input.to_string().c_str(), seen_or_zero(stats.input_min_seen),
                seen_or_zero(stats.input_max_seen), static_cast<long long>(stats.input_overflows),
                "");
  out += line;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const LayerPrecision& p = precision.layers[i];
    if (!p.result) continue;
    const LayerStats empty;
    const LayerStats& s = i < stats.layers.size() ? stats.layers[i] : empty;
    std::snprintf(line, sizeof line, "  %-10s %-24s %-24s %-22s %10.4g..%-9.4g %9lld %9lld\n",
                  graph.layers[i].name.c_str(), p.weight ? p.weight->to_string().c_str() : "",
                  p.accum ? p.accum->to_string().c_str() : "", p.result->to_string().c_str(),
                  seen_or_zero(s.min_seen), seen_or_zero(s.max_seen),
                  static_cast<long long>(s.result_overflows),
                  static_cast<long long>(s.accum_overflows));
    out += line;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace hlslim
