// QONNX: Quant nodes read as ap_fixed types, and the precision attributes of the imported graph.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hlslim/engine/precision.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/util/errors.hpp"
#include "importer.hpp"

namespace hlslim::onnx_import {
namespace {

// A Quant parameter for messages, to 6 significant digits ("0.3" for the float32 0.3).
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// The one value of a Quant parameter (a scalar, or a tensor whose values are all equal).
double single_value(const Constant& c, bool& uniform) {
  uniform = !c.values.empty();
  for (double v : c.values)
    if (v != c.values[0]) uniform = false;
  return c.values.empty() ? 0.0 : c.values[0];
}

}  // namespace

FixedType Importer::quant_type(const onnx::NodeProto& node) const {
  if (node.op_type() != "Quant") {
    fail(node,
         "is not supported: only Quant nodes (fixed-point quantizers with a power-of-two "
         "scale) map to ap_fixed types");
  }
  if (node.input_size() < 4) fail(node, "needs 4 inputs (x, scale, zeropt, bitwidth)");
  bool uniform = true;
  const double scale = single_value(constant(node, 1), uniform);
  if (!uniform) fail(node, "has a scale per channel; only one scale per tensor is supported");
  const double zeropt = single_value(constant(node, 2), uniform);
  if (!uniform) fail(node, "has a zero point per channel; only zero is supported");
  const double bits = single_value(constant(node, 3), uniform);
  if (!uniform) fail(node, "has a bit width per channel; only one per tensor is supported");
  int exponent = 0;
  const double mantissa = scale > 0 && std::isfinite(scale) ? std::frexp(scale, &exponent) : 0.0;
  if (mantissa != 0.5) {
    fail(node, "has scale " + number(scale) +
                   ", which is not a power of two; no ap_fixed type represents it");
  }
  if (zeropt != 0.0) {
    fail(node, "has zero point " + number(zeropt) +
                   "; no ap_fixed type represents a non-zero zero point");
  }
  if (bits != std::floor(bits) || bits < 1) {
    fail(node, "has bit width " + number(bits) + "; it must be a whole number >= 1");
  }
  const bool is_signed = int_attr(node, "signed", 1) != 0;
  const bool narrow = int_attr(node, "narrow", 0) != 0;
  const std::string rounding = string_attr(node, "rounding_mode", "ROUND");
  QuantMode quant = QuantMode::kRndConv;
  if (rounding == "FLOOR") {
    quant = QuantMode::kTrn;
  } else if (rounding != "ROUND") {
    fail(node, "has rounding_mode '" + rounding +
                   "'; only ROUND (ties to even, RND_CONV) and FLOOR (TRN) are supported");
  }
  if (narrow && !is_signed) {
    fail(node,
         "is unsigned with a narrow range (0 to 2^bits - 2), which no ap_fixed type "
         "represents");
  }
  const int width = static_cast<int>(bits);
  const int fraction_bits = 1 - exponent;  // scale = 2^(exponent - 1) = 2^-F
  const FixedTypeResult type = make_fixed_type(is_signed, width, width - fraction_bits, quant,
                                               narrow ? OverflowMode::kSatSym : OverflowMode::kSat);
  if (!type) fail(node, "has no ap_fixed equivalent: " + type.error);
  return *type.type;
}

void Importer::quant(const onnx::NodeProto& node) {
  const FixedType type = quant_type(node);
  quantized_ = true;
  if (is_constant(node.input(0))) {
    // A quantized weight or bias: its values as the Quant gives them, and its type for the
    // layer that reads it.
    Constant out = constant(node, 0);
    const double step = type.step();
    const double hi = type.max();
    const double lo = type.overflow == OverflowMode::kSatSym ? -hi : type.min();
    for (double& v : out.values) {
      const double scaled = v / step;
      const double rounded =
          type.quant == QuantMode::kTrn ? std::floor(scaled) : std::nearbyint(scaled);
      v = std::clamp(rounded * step, lo, hi);
    }
    constants_[node.output(0)] = out;
    constant_types_[node.output(0)] = {node.name(), type};
    return;
  }
  // A quantized value between layers: the result of the last layer that computes one.
  std::optional<std::size_t> layer;
  for (std::size_t k = graph_.layers.size(); k-- > 0;) {
    const LayerKind kind = graph_.layers[k].kind;
    const LayerCategory category = layer_traits(kind).category;
    if (category != LayerCategory::kReshape && category != LayerCategory::kIdentity) {
      layer = k;
      break;
    }
  }
  if (!layer) {
    if (input_type_) fail(node, "quantizes the model input a second time");
    input_type_ = type;
  } else {
    set_role(node, *layer, "result", type);
  }
  const auto dims = act_.dims;
  const auto order = act_.order;
  advance(node, dims, order);
}

void Importer::set_role(const onnx::NodeProto& node, std::size_t layer, const std::string& role,
                        const FixedType& type) {
  auto& roles = roles_.at(layer);
  if (roles.count(role)) {
    fail(node,
         "sets the " + role + " type of layer '" + graph_.layers[layer].name + "' a second time");
  }
  roles[role] = type;
}

void Importer::role_from_constant(const std::string& constant_name, std::size_t layer,
                                  const std::string& role) {
  const auto it = constant_types_.find(constant_name);
  if (it == constant_types_.end()) {
    if (quantized_) {
      throw Error(file_ + ": layer '" + graph_.layers[layer].name + "' reads its " + role + " '" +
                  constant_name +
                  "' without a Quant node; in a QONNX model every weight and bias is quantized");
    }
    return;
  }
  onnx::NodeProto quant_node;
  quant_node.set_name(it->second.first);
  quant_node.set_op_type("Quant");
  set_role(quant_node, layer, role, it->second.second);
}

void Importer::store_precisions() {
  if (!input_type_) {
    throw Error(file_ +
                ": the model input has no Quant node; in a QONNX model the input is "
                "quantized first");
  }
  // The engine computes every layer but tanh, sigmoid and softmax; those keep the result type
  // a Quant gives them as an attribute.
  Graph computed = graph_;
  computed.layers.clear();
  std::vector<std::size_t> positions;
  PrecisionRequest request;
  request.defaults["input"] = {PrecisionSpec::Kind::kFixed, *input_type_, ""};
  const auto resolve = [&](std::size_t layers) {
    Graph prefix = computed;
    prefix.layers.resize(layers);
    ValueRanges ranges;
    ranges.layers.assign(layers, {0.0, 0.0});
    try {
      return resolve_precision(prefix, request, ranges);
    } catch (const Error& e) {
      throw Error(file_ + ": " + e.what());
    }
  };
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    const Layer& layer = graph_.layers[i];
    if (!engine_supports(layer.kind)) continue;
    const std::size_t k = computed.layers.size();
    computed.layers.push_back(layer);
    positions.push_back(i);
    const auto roles = precision_roles(layer.kind);
    const bool has_accum = std::find(roles.begin(), roles.end(), "accum") != roles.end();
    for (const std::string& role : roles) {
      if (role == "accum") continue;  // wide enough to be exact, as `auto` makes it
      if (role == "bias" && layer_traits(layer.kind).category == LayerCategory::kLinear &&
          !layer.params.bias) {
        continue;
      }
      auto& spec = request.layers[layer.name][role];
      const auto it = roles_[i].find(role);
      if (it != roles_[i].end()) {
        spec = {PrecisionSpec::Kind::kFixed, it->second, ""};
        continue;
      }
      if (layer.kind == LayerKind::kLeakyRelu && role == "weight") {
        request.layers[layer.name].erase(role);  // a type that holds the slope
        continue;
      }
      // An unquantized result where it is exact, as hls4ml's `auto`: the accumulator's type
      // (dense, convolution, average pool), or the incoming values' type (ReLU, max pools).
      const bool passes_type =
          layer.kind == LayerKind::kRelu || layer.kind == LayerKind::kMaxPool1d ||
          layer.kind == LayerKind::kMaxPool2d || layer.kind == LayerKind::kGlobalMaxPool;
      if (role == "result" && (has_accum || passes_type)) {
        spec = {PrecisionSpec::Kind::kFixed, *input_type_, ""};  // replaced just below
        const ModelPrecision so_far = resolve(k + 1);
        if (has_accum) {
          spec.type = *so_far.layers[k].accum;
        } else {
          spec.type = so_far.input;
          for (std::size_t j = k; j-- > 0;) {
            if (so_far.layers[j].result) {
              spec.type = *so_far.layers[j].result;
              break;
            }
          }
        }
        continue;
      }
      throw Error(file_ + ": layer '" + layer.name + "' (" + layer_kind_name(layer.kind) +
                  ") has no Quant node for its " + role +
                  "; in a QONNX model every weight and bias is quantized, and every result "
                  "that its layer does not compute exactly");
    }
  }
  const ModelPrecision resolved = resolve(computed.layers.size());
  ModelPrecision full;
  full.input = resolved.input;
  full.layers.resize(graph_.layers.size());
  for (std::size_t k = 0; k < positions.size(); ++k) full.layers[positions[k]] = resolved.layers[k];
  store_precision(graph_, full);
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    const auto it = roles_[i].find("result");
    if (!engine_supports(graph_.layers[i].kind) && it != roles_[i].end()) {
      graph_.layers[i].attrs[precision_attr("result")] = it->second.to_string();
    }
  }
}

}  // namespace hlslim::onnx_import
