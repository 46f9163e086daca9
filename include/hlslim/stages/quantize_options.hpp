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
#include "hlslim/train/trainer.hpp"
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

/// Quantization while a model trains: float for the first `float_epochs` epochs, then
/// calibrated on the current weights and fake-quantized for the rest. Epochs before that are
/// not selectable as the result. The resolved precision travels with checkpoints.
class QuantizeDuringTraining : public TrainHook {
 public:
  QuantizeDuringTraining(const QuantizeOptions& options, const BatchSource& source,
                         std::vector<std::size_t> calibration, std::int64_t float_epochs);

  void on_train_begin(Trainer& trainer) override;
  void on_epoch_end(Trainer& trainer, EpochRecord& record) override;
  void save_state(const std::filesystem::path& dir) override;
  void load_state(const std::filesystem::path& dir) override;

  /// The precision once quantization started.
  const std::optional<ModelPrecision>& precision() const { return precision_; }

 private:
  const QuantizeOptions& options_;
  const BatchSource& source_;
  std::vector<std::size_t> calibration_;
  std::int64_t float_epochs_;
  std::optional<ModelPrecision> precision_;
};

/// Precisions as JSON (hls4ml strings per layer and role) and back.
nlohmann::json precision_to_json(const ModelPrecision& precision);
ModelPrecision precision_from_json(const nlohmann::json& j);

/// Ranges of the input and of every layer's output of a float model on `indices`.
ValueRanges value_ranges(GraphModule& module, const BatchSource& source,
                         const std::vector<std::size_t>& indices);

}  // namespace hlslim
