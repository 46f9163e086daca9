// The hls4ml configuration that goes with a QONNX export, and its test vectors.

#include "hlslim/export/hls4ml_config.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>

#include "export_common.hpp"
#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "qonnx_model.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

// hls4ml resolves paths from where it runs; written relative to the YAML's directory when they
// lie below it, so that the files move together and hls4ml runs from there.
std::string config_path(const fs::path& path, const fs::path& yaml_path) {
  const fs::path target = fs::weakly_canonical(fs::absolute(path));
  const fs::path dir = fs::weakly_canonical(fs::absolute(yaml_path)).parent_path();
  const fs::path relative = target.lexically_relative(dir);
  if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
  return target.generic_string();
}

// The shortest decimal that reads back as this float's value in double precision. Nine
// significant digits would be exact only for float32 readers: np.loadtxt reads float64, and a
// value on a half step of the input type would then round differently. The decimal chosen is
// within a double's rounding of the float, so float32 readers get the float back too.
std::string format_float(float value) {
  char text[32];
  const std::to_chars_result r =
      std::to_chars(text, text + sizeof text, static_cast<double>(value));
  return std::string(text, r.ptr);
}

void write_rows(const fs::path& path, const float* values, std::size_t n, std::size_t width,
                const std::vector<std::int64_t>& order) {
  std::string text;
  text.reserve(n * width * 8);
  for (std::size_t e = 0; e < n; ++e) {
    const float* row = values + e * width;
    for (std::size_t p = 0; p < width; ++p) {
      if (p) text += ' ';
      text += format_float(row[order[p]]);
    }
    text += '\n';
  }
  write_file_atomic(path, text);
}

}  // namespace

void write_hls4ml_config(const Graph& quantized_graph, const OnnxExportResult& qonnx,
                         const Hls4mlOptions& options, const fs::path& onnx_path,
                         const fs::path& input_data, const fs::path& output_predictions,
                         const fs::path& yaml_path) {
  const onnx_export::QonnxModel built = onnx_export::build_qonnx(quantized_graph);
  if (built.result.node_names != qonnx.node_names) {
    throw Error("model '" + quantized_graph.name + "': the QONNX export result passed to " +
                "write_hls4ml_config() was not written from this graph");
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "OutputDir" << YAML::Value << options.project + "_prj";
  out << YAML::Key << "ProjectName" << YAML::Value << options.project;
  out << YAML::Key << "Backend" << YAML::Value << options.backend;
  out << YAML::Key << "Part" << YAML::Value << options.part;
  out << YAML::Key << "ClockPeriod" << YAML::Value << options.clock_period_ns;
  out << YAML::Key << "IOType" << YAML::Value << options.io_type;
  out << YAML::Key << "OnnxModel" << YAML::Value << config_path(onnx_path, yaml_path);
  if (!input_data.empty()) {
    out << YAML::Key << "InputData" << YAML::Value << config_path(input_data, yaml_path);
  }
  if (!output_predictions.empty()) {
    out << YAML::Key << "OutputPredictions" << YAML::Value
        << config_path(output_predictions, yaml_path);
  }
  out << YAML::Key << "HLSConfig" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "Model" << YAML::Value << YAML::BeginMap;
  // Every type hls4ml's templates read is set per layer below (docs/export.md has the table);
  // hls4ml requires a default all the same, and none of the exported layers falls back to it.
  out << YAML::Key << "Precision" << YAML::Value << YAML::BeginMap << YAML::Key << "default"
      << YAML::Value << "fixed<16,6>" << YAML::EndMap;
  out << YAML::Key << "ReuseFactor" << YAML::Value << options.reuse_factor;
  out << YAML::Key << "Strategy" << YAML::Value << options.strategy;
  out << YAML::EndMap;
  out << YAML::Key << "LayerName" << YAML::Value << YAML::BeginMap;
  for (const onnx_export::NodeConfig& node : built.configs) {
    out << YAML::Key << node.name << YAML::Value << YAML::BeginMap;
    if (!node.precision.empty()) {
      out << YAML::Key << "Precision" << YAML::Value << YAML::BeginMap;
      for (const auto& [role, type] : node.precision) {
        out << YAML::Key << role << YAML::Value << type;
      }
      out << YAML::EndMap;
    }
    for (const auto& [key, type] : node.types) out << YAML::Key << key << YAML::Value << type;
    const std::int64_t rf =
        node.layer < 0
            ? options.reuse_factor
            : onnx_export::layer_reuse_factor(quantized_graph, quantized_graph.layers[node.layer],
                                              options.reuse_factor);
    out << YAML::Key << "ReuseFactor" << YAML::Value << rf;
    // A convolution's output positions per step of hls4ml's io_parallel loop; stated for every
    // convolution, since hls4ml's default of 1 builds a different design from the estimate's.
    // io_stream convolutions read one pixel per step and ignore it.
    if (options.io_type == "io_parallel" && node.layer >= 0 &&
        node.name == built.result.node_names[node.layer]) {
      const Layer& layer = quantized_graph.layers[node.layer];
      if (layer.kind == LayerKind::kConv1d || layer.kind == LayerKind::kConv2d) {
        out << YAML::Key << "ParallelizationFactor" << YAML::Value
            << layer_parallelization_factor(quantized_graph, layer);
      }
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;  // LayerName
  out << YAML::EndMap;  // HLSConfig
  out << YAML::EndMap;
  if (!out.good()) {
    throw Error("cannot write the hls4ml configuration '" + yaml_path.string() +
                "': " + out.GetLastError());
  }
  write_file_atomic(yaml_path, std::string(out.c_str()) + "\n");
}

void write_hls4ml_test_vectors(const Graph& quantized_graph, const float* inputs,
                               const float* outputs, std::size_t n, const fs::path& input_data,
                               const fs::path& output_predictions) {
  const QonnxValueOrder order = qonnx_value_order(quantized_graph);
  write_rows(input_data, inputs, n, order.input.size(), order.input);
  write_rows(output_predictions, outputs, n, order.output.size(), order.output);
}

}  // namespace hlslim
