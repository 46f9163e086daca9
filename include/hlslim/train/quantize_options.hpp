#pragma once

// The quantization option block, shared by the quantize stage and the distill stage (which
// quantizes its student while training it). Free of LibTorch: calibration runs a GraphModule
// (defined in quantize_hook.cpp), and the training hook is in quantize_hook.hpp.
#include <yaml-cpp/yaml.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

class GraphModule;  // train/torch_model.hpp

class QuantizeOptions {
 public:
  /// Declares precision, layers, fold_batch_norm and calibration on `t`.
  void declare(OptionTable& t);
  /// Parses the precision strings; `who` prefixes messages ("stage 'quantize': ").
  void configure(const OptionValues& values, Diagnostics& diagnostics, const std::string& who);
  /// Checks the model: every layer quantizable, every key of `layers` a layer or type of it
  /// with roles that layer has.
  void check_model(const Graph& architecture, const std::string& model, const SourcePos& pos,
                   Diagnostics& diagnostics, const std::string& who) const;

  /// Quantization-aware training: `auto` results of activation layers become as wide as the
  /// weights (PrecisionRequest::activation_width). Call after configure().
  void set_quantization_aware(bool quantization_aware);

  const PrecisionRequest& request() const { return request_; }
  bool fold_batch_norm() const { return fold_batch_norm_; }

  /// Calibrates the float model `module` (built from `graph`) on the first calibration events
  /// of `indices` and resolves every precision.
  ModelPrecision calibrate(GraphModule& module, const Graph& graph, const BatchSource& source,
                           std::vector<std::size_t> indices) const;
  /// The same, on the float module of `graph` (built here).
  ModelPrecision calibrate(const Graph& graph, const BatchSource& source,
                           std::vector<std::size_t> indices) const;

 private:
  std::map<std::string, std::string> default_text_;  // role -> precision string
  YAML::Node layers_;
  bool fold_batch_norm_ = true;
  std::int64_t calibration_events_ = 20000;
  double margin_ = 0.1;

  PrecisionRequest request_;
  SourcePos layers_pos_;
  std::map<std::string, SourcePos> layer_key_pos_;
};

/// Ranges of the input and of every layer's output of the float model of `graph` on `indices`
/// (its LibTorch module, built here).
ValueRanges value_ranges(const Graph& graph, const BatchSource& source,
                         const std::vector<std::size_t>& indices);

/// Precisions as JSON (hls4ml strings per layer and role) and back.
nlohmann::json precision_to_json(const ModelPrecision& precision);
ModelPrecision precision_from_json(const nlohmann::json& j);

}  // namespace hlslim
