#include "hlslim/graph/graph.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// Parameters that would survive in hardware: neither masked out nor exactly zero.
std::int64_t count_nonzero(const Layer& layer, const Shape& in) {
  std::int64_t n = 0;
  const auto mask_it = layer.tensors.find("weight_mask");
  for (const auto& [name, shape] : expected_tensors(layer, in)) {
    if (name == "running_mean" || name == "running_var") continue;
    const auto it = layer.tensors.find(name);
    if (it == layer.tensors.end()) {
      n += shape_numel(shape);
      continue;
    }
    const bool masked = name == "weight" && mask_it != layer.tensors.end() &&
                        mask_it->second.values.size() == it->second.values.size();
    for (std::size_t i = 0; i < it->second.values.size(); ++i) {
      if (it->second.values[i] != 0.0f && (!masked || mask_it->second.values[i] != 0.0f)) ++n;
    }
  }
  return n;
}

}  // namespace

std::vector<Shape> Graph::shapes() const {
  std::vector<Shape> out{input_shape};
  for (const auto& layer : layers) {
    auto result = infer_output_shape(layer, out.back());
    if (!result.ok()) {
      throw Error("model '" + name + "', layer '" + layer.name + "' (" +
                  layer_kind_name(layer.kind) + "): " + result.error);
    }
    out.push_back(result.shape);
  }
  return out;
}

Layer* Graph::find(const std::string& layer_name) {
  for (auto& layer : layers)
    if (layer.name == layer_name) return &layer;
  return nullptr;
}

const Layer* Graph::find(const std::string& layer_name) const {
  return const_cast<Graph*>(this)->find(layer_name);
}

std::optional<AttrValue> Graph::resolve_attr(const Layer& layer, const std::string& key) const {
  if (auto it = layer.attrs.find(key); it != layer.attrs.end()) return it->second;
  if (auto type = type_attrs.find(layer_kind_name(layer.kind)); type != type_attrs.end()) {
    if (auto it = type->second.find(key); it != type->second.end()) return it->second;
  }
  if (auto it = default_attrs.find(key); it != default_attrs.end()) return it->second;
  return std::nullopt;
}

bool Graph::has_weights() const {
  const auto in_shapes = shapes();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    for (const auto& [tensor_name, shape] : expected_tensors(layers[i], in_shapes[i])) {
      auto it = layers[i].tensors.find(tensor_name);
      if (it == layers[i].tensors.end() || it->second.shape != shape) return false;
    }
  }
  return true;
}

std::vector<LayerSummary> Graph::summary() const {
  const auto in_shapes = shapes();
  std::vector<LayerSummary> rows;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    LayerSummary row;
    row.name = layer.name;
    row.type = layer_kind_name(layer.kind);
    row.output_shape = in_shapes[i + 1];
    row.parameters = count_parameters(layer, in_shapes[i]);
    row.nonzero_parameters = count_nonzero(layer, in_shapes[i]);
    row.macs = count_macs(layer, in_shapes[i]);
    rows.push_back(std::move(row));
  }
  return rows;
}

LayerSummary Graph::totals() const {
  LayerSummary total;
  total.name = "total";
  total.output_shape = output_shape();
  for (const auto& row : summary()) {
    total.parameters += row.parameters;
    total.nonzero_parameters += row.nonzero_parameters;
    total.macs += row.macs;
  }
  return total;
}

std::string Graph::summary_table() const {
  auto rows = summary();
  rows.push_back(totals());
  // The name column fits the longest name (imported layers carry their ONNX node names, e.g.
  // bn1_BatchNormalization), at least 18 characters.
  int name_width = 18;
  for (const auto& row : rows) name_width = std::max(name_width, static_cast<int>(row.name.size()));
  std::string out;
  std::vector<char> line(static_cast<std::size_t>(name_width) + 128);
  std::snprintf(line.data(), line.size(), "%-*s %-16s %-16s %10s %10s %10s\n", name_width, "layer",
                "type", "output", "params", "nonzero", "MACs");
  out += line.data();
  for (const auto& row : rows) {
    std::snprintf(line.data(), line.size(), "%-*s %-16s %-16s %10lld %10lld %10lld\n", name_width,
                  row.name.c_str(), row.type.c_str(), shape_str(row.output_shape).c_str(),
                  static_cast<long long>(row.parameters),
                  static_cast<long long>(row.nonzero_parameters), static_cast<long long>(row.macs));
    out += line.data();
  }
  return out;
}

}  // namespace hlslim
