#pragma once

// What the firmware computes of a model. A softmax at the end of a classifier is kept for
// training and in the float ONNX, but the firmware ends at the logits before it: the argmax, and
// every figure (computed from the logits), are the same, and the FPGA saves the exponential and
// division tables. The fixed-point engine, the QONNX, the hls4ml configuration and the HLS project
// all implement this firmware graph (docs/export.md). Which softmax that is: ends_in_softmax().
#include "hlslim/graph/graph.hpp"
#include "hlslim/graph/softmax_head.hpp"

namespace hlslim {

/// How many leading layers the firmware computes: all of them, less a trailing softmax.
std::size_t firmware_layer_count(const Graph& graph);

/// True when `index` is the trailing softmax that the firmware drops.
bool dropped_by_firmware(const Graph& graph, std::size_t index);

/// `graph` without a trailing softmax (a copy of `graph` when it has none); its defaults, type
/// attributes and every other layer are unchanged.
Graph firmware_graph(const Graph& graph);

}  // namespace hlslim
