#pragma once

// The quantization option block, shared by the quantize stage and the distill stage (which
// quantizes its student while training it).
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/graph/torch_model.hpp"
#include "hlslim/quantize/precision_plan.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

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

  const PrecisionRequest& request() const { return request_; }
  bool fold_batch_norm() const { return fold_batch_norm_; }

  /// Calibrates the float model `module` (built from `graph`) on the first calibration events
  /// of `indices` and resolves every precision.
  ModelPrecision calibrate(GraphModule& module, const Graph& graph, const BatchSource& source,
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

/// Ranges of the input and of every layer's output of a float model on `indices`.
ValueRanges value_ranges(GraphModule& module, const BatchSource& source,
                         const std::vector<std::size_t>& indices);

}  // namespace hlslim
