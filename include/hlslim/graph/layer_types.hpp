#pragma once

#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/graph/layer.hpp"

namespace hlslim {

/// Declares the architecture parameters of a layer type, bound to `params`.
void declare_layer_params(LayerKind kind, LayerParams& params, OptionTable& table);

/// One-line description of a layer type for docs.
const char* layer_kind_summary(LayerKind kind);

/// Output shape of a layer for a given input shape, or an error text (e.g. "needs a flat input,
/// got [8, 9, 16]: add a flatten layer") when the layer cannot take that input.
struct ShapeResult {
  Shape shape;
  std::string error;
  bool ok() const { return error.empty(); }
};
ShapeResult infer_output_shape(const Layer& layer, const Shape& input);

/// The learnable and state tensors a layer owns, with their shapes, for a given input shape.
/// Masks are not listed: they are optional.
std::vector<std::pair<std::string, Shape>> expected_tensors(const Layer& layer, const Shape& input);

/// Learnable parameters (weights, biases, batch-norm scale and shift; not running statistics).
std::int64_t count_parameters(const Layer& layer, const Shape& input);

/// Multiply-accumulate operations for one sample (dense and conv only; zero elsewhere).
std::int64_t count_macs(const Layer& layer, const Shape& input);

}  // namespace hlslim
