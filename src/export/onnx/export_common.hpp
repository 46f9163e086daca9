#pragma once

// Pieces both ONNX writers share.

#include <cstdint>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"
#include "onnx_builder.hpp"

namespace hlslim::onnx_export {

/// A layer tensor times its mask ("<name>_mask"), as the forward pass and the engine use it.
std::vector<float> masked_tensor(const Layer& layer, const std::string& name);

/// ONNX strides and pads ([begin..., end...]) of a convolution: "same" pads k - 1 in total,
/// (k - 1) / 2 before, as LibTorch and the engine do.
struct ConvGeometry {
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> pads;
};
ConvGeometry conv_geometry(const Layer& layer);

/// The base name (a C identifier, NameTable) of every layer, in order.
std::vector<std::string> claim_layer_names(const Graph& graph, NameTable& names);

/// A layer's reuse factor: its resolved "reuse_factor" attribute when that is an integer (or an
/// integral float), else `fallback`.
std::int64_t layer_reuse_factor(const Graph& graph, const Layer& layer, std::int64_t fallback);

/// For a channels-first shape [C, ...]: entry p is the channels-first flat index of the value at
/// flat position p in channels-last order (the identity for flat shapes).
std::vector<std::int64_t> channels_last_order(const Shape& shape);

}  // namespace hlslim::onnx_export
