#pragma once

// The hls4ml configuration (YAML) and test vectors that go with a QONNX export.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "hlslim/export/onnx_export.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// Project-wide hls4ml settings. A layer's reuse factor is its resolved "reuse_factor"
/// attribute (name > type > model, an integer) when it has one, else `reuse_factor`.
struct Hls4mlOptions {
  std::string project = "hlslim_model";
  std::string backend = "Vitis";
  std::string part = "xcvu13p-flga2577-2-e";
  std::string io_type = "io_parallel";
  std::string strategy = "Latency";
  double clock_period_ns = 2.5;
  std::int64_t reuse_factor = 1;
};

/// Writes (atomically) the hls4ml configuration for the QONNX file `onnx_path` written by
/// write_qonnx() from the same graph (`qonnx` is its result; a mismatch throws hlslim::Error):
/// OutputDir, ProjectName, Backend, Part, ClockPeriod, IOType, OnnxModel, InputData,
/// OutputPredictions and HLSConfig {Model {Precision, ReuseFactor, Strategy}, LayerName}. The
/// LayerName keys are exactly the graph input's name and the QONNX node names; each holds the
/// ReuseFactor of its layer and, where hls4ml reads one, the exact precision of each role
/// (weight, bias, accum, result, scale, param), the input's result being the input type. Paths
/// are written relative to the YAML file's directory when they lie below it.
void write_hls4ml_config(const Graph& quantized_graph, const OnnxExportResult& qonnx,
                         const Hls4mlOptions& options, const std::filesystem::path& onnx_path,
                         const std::filesystem::path& input_data,
                         const std::filesystem::path& output_predictions,
                         const std::filesystem::path& yaml_path);

/// Writes hls4ml test vectors: one event per line, values separated by single spaces, in the
/// QONNX file's channels-last order (qonnx_value_order()). `inputs` holds n events of the
/// graph's input size and `outputs` n events of its output size, both channels-first as
/// FixedEngine::run() takes and gives them. Floats are printed so they read back exactly.
void write_hls4ml_test_vectors(const Graph& quantized_graph, const float* inputs,
                               const float* outputs, std::size_t n,
                               const std::filesystem::path& input_data,
                               const std::filesystem::path& output_predictions);

}  // namespace hlslim
