#pragma once

// Writers of the model graph as ONNX: standard float ONNX that ONNX Runtime executes, and QONNX
// (ONNX with QONNX `Quant` nodes, channels-last) in the form hls4ml's ONNX front end reads.
// docs/export.md describes both files node by node.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

/// One thing a writer or the hls4ml-readiness check has to say about an exported node.
struct ExportFinding {
  std::string node;                        ///< exported node name (or the graph input's name)
  Severity severity = Severity::kWarning;  ///< kError: hls4ml rejects or misreads it
  std::string message;  ///< complete sentence(s), naming the layer, role and type
};

/// What a writer did: per graph layer the name of its main exported node (the MatMul, Conv,
/// Relu, ... that carries the layer's name; the layer's other nodes are named after it:
/// `<name>_bias`, `<name>_result_quant`, ...), and what it could not express exactly.
struct OnnxExportResult {
  std::vector<std::string> node_names;
  std::vector<ExportFinding> findings;
};

/// Writes the float model as standard ONNX (opset 13, batch dimension symbolic "N",
/// channels-first like LibTorch): Gemm, Conv, MaxPool/AveragePool, GlobalMaxPool/
/// GlobalAveragePool + Flatten, Flatten, Reshape, BatchNormalization, Identity (dropout), Relu,
/// LeakyRelu, Tanh, Sigmoid, Softmax. Masked weights and biases are written as zero. Precision
/// attributes are ignored. The file is written atomically; throws hlslim::Error when the graph
/// lacks weights or a file cannot be written.
OnnxExportResult write_onnx(const Graph& graph, const std::filesystem::path& path);

/// Writes a quantized graph (precision attributes, read_precision()) as QONNX for hls4ml:
/// `Quant` nodes (domain qonnx.custom_op.general, power-of-two scale, zero point 0) on the
/// input, every weight, bias and layer result; channels-last Conv and pooling (domain
/// qonnx.custom_op.channels_last); MatMul + Add for dense layers; batch 1; every tensor's shape
/// declared; every node named with a C identifier derived from its layer's name. Weights and
/// biases are stored already quantized to their types, so their Quant nodes are exact.
/// `findings` lists (as warnings) every type a Quant node cannot express exactly (rounding
/// modes other than RND_CONV/TRN, overflow modes other than SAT/SAT_SYM, constants wider than
/// float32 holds). Throws hlslim::Error when a precision is missing or the file cannot be
/// written.
OnnxExportResult write_qonnx(const Graph& quantized_graph, const std::filesystem::path& path);

/// Where the values of the QONNX file's input and output come from: entry p is the
/// channels-first (LibTorch, FixedEngine) flat index of the value at flat position p of the
/// channels-last tensor. Identity for flat tensors that were never spatial.
struct QonnxValueOrder {
  std::vector<std::int64_t> input;
  std::vector<std::int64_t> output;
};
QonnxValueOrder qonnx_value_order(const Graph& quantized_graph);

}  // namespace hlslim
