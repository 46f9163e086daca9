#pragma once

#include <filesystem>
#include <string>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// Reads a float ONNX file (as torch.onnx.export, opsets 11 to 18, or tf2onnx write them) or a
/// QONNX file into a graph named `model_name`, with its weights (docs/model-import.md).
///
/// The file must be one chain of supported operators from one input to one output. Layouts are
/// translated to hlslim's (channels first, no batch): a Transpose or Reshape that switches
/// between channels-first and channels-last or flattens is folded into the next dense layer's
/// weights, or into the input when no layer comes before it, so that the graph computes what
/// the file computes. The input shape is the file's graph input without its batch dimension.
///
/// QONNX `Quant` nodes become the per-layer precision attributes of a quantized graph
/// (`precision.<role>`, engine/precision.hpp): weight and bias Quants set the layer's weight and
/// bias types, a Quant on the values between layers sets the result type of the layer before it
/// (or the input's), and accumulators are made wide enough to be exact.
///
/// Throws hlslim::Error naming the file, and the node and its operator, for anything it cannot
/// translate exactly: an unsupported operator or attribute, a branch, a Quant that no ap_fixed
/// type represents (scale not a power of two, non-zero zero point, ...).
Graph import_onnx(const std::filesystem::path& path, const std::string& model_name);

/// Makes an imported graph read inputs of shape `shape` (the data's, without the batch). When
/// it reads another shape of the same size and its first layer reads a flat vector (a dense
/// layer, softmax) or flattens, a flatten layer named `flatten_input` is put in front. Returns
/// an empty string on success, else why the shapes do not fit (the graph is then unchanged),
/// naming where `shape` comes from as `source` ("the data has [1, 1, 12]").
std::string fit_input_shape(Graph& graph, const Shape& shape,
                            const std::string& source = "the data has");

}  // namespace hlslim
