#pragma once

// The QONNX model of a quantized graph, built in memory: shared by write_qonnx(), the hls4ml
// configuration writer (which needs each node's role) and qonnx_value_order().

#include <onnx/onnx_pb.h>

#include <string>
#include <utility>
#include <vector>

#include "hlslim/export/onnx_export.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim::onnx_export {

/// What the hls4ml configuration says about one exported node (or the graph input).
struct NodeConfig {
  std::string name;
  int layer = -1;  ///< graph layer index; -1 for the graph input
  /// hls4ml precision keys (weight, bias, accum, result, scale, param) and values, in order;
  /// "auto" where hls4ml must infer the type for the export to be exact.
  std::vector<std::pair<std::string, std::string>> precision;
  /// Types hls4ml reads from layer keys ending in `_t` rather than from Precision (table_t).
  std::vector<std::pair<std::string, std::string>> types;
};

struct QonnxModel {
  onnx::ModelProto model;
  OnnxExportResult result;
  std::vector<NodeConfig> configs;  ///< the graph input first, then every node in order
  QonnxValueOrder order;
};

/// Builds the QONNX model; throws hlslim::Error as write_qonnx() documents.
QonnxModel build_qonnx(const Graph& graph);

/// The domains.
inline constexpr const char* kQuantDomain = "qonnx.custom_op.general";
inline constexpr const char* kChannelsLastDomain = "qonnx.custom_op.channels_last";

}  // namespace hlslim::onnx_export
