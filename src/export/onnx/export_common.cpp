#include "export_common.hpp"

#include <numeric>
#include <variant>

#include "hlslim/util/errors.hpp"

namespace hlslim::onnx_export {

std::vector<float> masked_tensor(const Layer& layer, const std::string& name) {
  const auto it = layer.tensors.find(name);
  if (it == layer.tensors.end()) {
    throw Error("layer '" + layer.name + "': tensor '" + name + "' missing");
  }
  std::vector<float> values = it->second.values;
  const auto mask = layer.tensors.find(name + "_mask");
  if (mask == layer.tensors.end()) return values;
  if (mask->second.values.size() != values.size()) {
    throw Error("layer '" + layer.name + "': tensor '" + name + "_mask' has shape " +
                shape_str(mask->second.shape) + ", unlike '" + name + "'");
  }
  for (std::size_t i = 0; i < values.size(); ++i) values[i] *= mask->second.values[i];
  return values;
}

ConvGeometry conv_geometry(const Layer& layer) {
  const LayerParams& p = layer.params;
  const std::size_t dims = p.kernel.size();
  ConvGeometry g;
  g.strides = p.stride.size() == dims ? p.stride : std::vector<std::int64_t>(dims, 1);
  g.pads.assign(2 * dims, 0);
  if (p.padding == Padding::kSame) {
    for (std::size_t d = 0; d < dims; ++d) {
      g.pads[d] = (p.kernel[d] - 1) / 2;
      g.pads[d + dims] = p.kernel[d] - 1 - g.pads[d];
    }
  }
  return g;
}

std::vector<std::string> claim_layer_names(const Graph& graph, NameTable& names) {
  std::vector<std::string> out;
  out.reserve(graph.layers.size());
  for (const Layer& layer : graph.layers) out.push_back(names.claim(layer.name));
  return out;
}

std::int64_t layer_reuse_factor(const Graph& graph, const Layer& layer, std::int64_t fallback) {
  const auto value = graph.resolve_attr(layer, "reuse_factor");
  if (!value) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(&*value)) return *i;
  if (const auto* d = std::get_if<double>(&*value)) {
    if (*d == static_cast<double>(static_cast<std::int64_t>(*d)))
      return static_cast<std::int64_t>(*d);
  }
  return fallback;
}

std::vector<std::int64_t> channels_last_order(const Shape& shape) {
  const std::int64_t n = shape_numel(shape);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  if (shape.size() < 2) {
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  const std::int64_t channels = shape[0];
  const std::int64_t plane = n / channels;
  for (std::int64_t p = 0; p < n; ++p) order[p] = (p % channels) * plane + p / channels;
  return order;
}

}  // namespace hlslim::onnx_export
