#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"
#include "hlslim/quant/fixed_type.hpp"

namespace hlslim {

/// The fixed-point types of one layer, by role, as hls4ml names them:
///   weight  dense/conv weights, batch-norm scale, leaky-relu slope
///   bias    dense/conv biases, batch-norm shift
///   accum   dense/conv/average-pool accumulator
///   result  the layer's output
/// Which roles a layer needs is given by precision_roles(); others stay empty.
struct LayerPrecision {
  std::optional<FixedType> weight, bias, accum, result;

  std::optional<FixedType>* role(const std::string& name);
  const std::optional<FixedType>* role(const std::string& name) const;
};

/// Precisions of a whole model: the input's and one entry per graph layer, in order.
struct ModelPrecision {
  FixedType input;
  std::vector<LayerPrecision> layers;
};

/// The roles a layer type takes in the fixed-point engine ("weight", "bias", "accum", "result"),
/// empty for layers that pass values through unchanged (flatten, reshape, dropout). Layer types
/// the engine cannot compute (tanh, sigmoid, softmax) also give an empty list: check
/// engine_supports() first.
std::vector<std::string> precision_roles(LayerKind kind);

/// False for layer types the fixed-point engine cannot compute exactly (tanh, sigmoid,
/// softmax: hls4ml computes them with lookup tables this engine does not model).
bool engine_supports(LayerKind kind);

/// Graph attributes that hold precisions: "precision.<role>" on layers (resolved name > type >
/// model like every attribute) and "precision.input" in the model defaults. Values are hls4ml
/// precision strings.
inline constexpr const char* kInputPrecisionAttr = "precision.input";
std::string precision_attr(const std::string& role);

/// True when the graph carries an input precision (a quantized model).
bool has_precision(const Graph& graph);

/// Reads the precisions a quantized graph carries. Throws hlslim::Error naming the model, layer
/// and role when one the engine needs is missing or does not parse.
ModelPrecision read_precision(const Graph& graph);

/// Writes `precision` as concrete per-layer attributes (and the input's as a model default),
/// replacing type and model defaults of the same keys, so the graph says exactly what it is.
void store_precision(Graph& graph, const ModelPrecision& precision);

}  // namespace hlslim
