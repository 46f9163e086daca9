#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hlslim/pipeline/stage.hpp"

namespace hlslim {

struct HlsProjectOptions;
struct Hls4mlOptions;
struct ModelEstimate;
struct ExportFinding;

/// `export`: hands a quantized model over to FPGA tools, without retraining anything. Writes
/// into the stage's directory, as `formats` selects: the float model as standard ONNX (for ONNX
/// Runtime), QONNX with the hls4ml configuration and test vectors, and hlslim's own Vitis HLS
/// project (docs/export-hls.md); always the hls4ml readiness findings and the resource and
/// latency estimates of the HLS design (docs/estimates.md). Test vectors are the first test-set
/// events and the fixed-point engine's outputs for them. Reuse factors resolve by layer name >
/// layer type > model and are checked against hls4ml's rule before anything runs.
class ExportStage : public Stage {
 public:
  const char* type() const override { return "export"; }
  const char* summary() const override {
    return "Export a quantized model: ONNX, QONNX + hls4ml config, an HLS C++ project, and "
           "resource and latency estimates.";
  }
  void declare(OptionTable& options) override;
  void configure(const OptionValues& values, Diagnostics& diagnostics) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override { return {model_}; }
  void run(StageContext& context) override;

 private:
  bool wants(const std::string& format) const;
  HlsProjectOptions hls_options() const;
  Hls4mlOptions hls4ml_options() const;
  /// Sets the "reuse_factors" entries as "reuse_factor" attributes of `graph` (layer names on
  /// the layers, layer types as type attributes); the model-wide value travels in the options.
  void apply_reuse_factors(Graph& graph) const;
  /// The same for "parallelization_factors" ("parallelization_factor" attributes).
  void apply_parallelization_factors(Graph& graph) const;
  void configure_parallelization_factors(const SourcePos& block, Diagnostics& diagnostics);
  void check_parallelization_factors(const Graph& architecture, const Shape& input,
                                     Diagnostics& diagnostics) const;
  // export_options.cpp: `multiplication`.
  /// adder_graph with io_stream is an error at the option.
  void configure_multiplication(const OptionValues& values, Diagnostics& diagnostics);
  /// One note per layer that keeps csd products under adder_graph (from the estimate's notes).
  std::vector<ExportFinding> multiplication_findings(const ModelEstimate& estimate) const;

  std::string model_;
  std::string project_;
  std::string backend_;
  std::string part_;
  double clock_period_ = 2.5;
  std::string io_type_;
  std::string strategy_;
  std::string multiplication_;  ///< "csd" or "adder_graph"
  std::string softmax_;         ///< "drop" or "hls4ml" (refused by configure)
  std::int64_t reuse_factor_ = 1;
  YAML::Node reuse_factors_node_;
  YAML::Node parallelization_factors_node_;
  std::int64_t test_vectors_ = 1000;
  std::vector<std::string> formats_;
  std::int64_t conv_latency_target_ = 0;   ///< estimates: cycles per convolution, 0: none
  std::int64_t conv_interval_target_ = 0;  ///< estimates: interval per convolution, 0: none

  std::map<std::string, std::int64_t> reuse_factors_;            ///< layer name or type -> value
  std::map<std::string, SourcePos> reuse_factor_pos_;            ///< position of each entry's value
  std::map<std::string, SourcePos> reuse_key_pos_;               ///< position of each entry's key
  SourcePos reuse_factors_pos_;                                  ///< the reuse_factors block
  SourcePos model_reuse_factor_pos_;                             ///< the model-wide reuse_factor
  std::map<std::string, std::int64_t> parallelization_factors_;  ///< conv name or type -> value
  std::map<std::string, SourcePos> parallelization_pos_;         ///< position of each value
  std::map<std::string, SourcePos> parallelization_key_pos_;     ///< position of each key
};

}  // namespace hlslim
