#pragma once

// Learned bit widths (HGQ-style) for quantization-aware training: the `learn_widths` option
// block of the quantize stage (method: qat) and of the distill stage's `quantize` block, and a
// LibTorch-free handle on the training that learns them (train/learned_widths.hpp has the
// LibTorch side). docs/quantization.md, "Learned bit widths".
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hlslim/config/options.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

class TrainHook;  // trainer.hpp
struct TrainResult;

/// Which values share one learned number of fraction bits: a whole weight tensor, each output
/// channel (unit or filter), or each weight. Activations always learn one per layer.
enum class WidthGranularity { kLayer, kChannel, kWeight };
const EnumNames<WidthGranularity>& width_granularity_names();

/// The `learn_widths` block.
class LearnWidthsOptions {
 public:
  /// Declares enabled, granularity, min/max_fraction_bits, penalty, budget.lut,
  /// budget.multiplication and learning_rate on `t` (the `learn_widths` group).
  void declare(OptionTable& t);
  /// Checks the values among themselves; `who` prefixes messages and `values` is the group's.
  void configure(const OptionValues& values, Diagnostics& diagnostics, const std::string& who);
  /// With learning enabled: every layer of `graph` with a "reuse_factor" attribute other than 1
  /// is an error at `pos` (the resource model is that of constant weights).
  void check_model(const Graph& graph, const std::string& model, const SourcePos& pos,
                   Diagnostics& diagnostics, const std::string& who) const;

  bool enabled() const { return enabled_; }
  WidthGranularity granularity() const { return granularity_; }
  int min_fraction_bits() const { return static_cast<int>(min_fraction_bits_); }
  int max_fraction_bits() const { return static_cast<int>(max_fraction_bits_); }
  /// Weight of the resource term (the starting weight when a budget is set).
  double penalty() const { return penalty_; }
  /// LUT target of the estimate; 0: none (the penalty stays fixed).
  std::int64_t budget_lut() const { return budget_lut_; }
  /// The design every LUT estimate of the training prices (the budget's, the log's and the
  /// report's): "csd" or "adder_graph", as the export stage's `multiplication`.
  const std::string& budget_multiplication() const { return budget_multiplication_; }
  /// The options of the design the estimates price: hlslim's io_parallel project at reuse
  /// factor 1 with budget_multiplication().
  HlsProjectOptions estimate_options() const;
  double learning_rate() const { return learning_rate_; }
  /// Position of `enabled` (for errors of the stage that holds the block).
  const SourcePos& enabled_pos() const { return enabled_pos_; }

 private:
  bool enabled_ = false;
  WidthGranularity granularity_ = WidthGranularity::kChannel;
  std::int64_t min_fraction_bits_ = -8;
  std::int64_t max_fraction_bits_ = 12;
  double penalty_ = 0.05;
  std::int64_t budget_lut_ = 0;
  std::string budget_multiplication_ = "csd";
  double learning_rate_ = 0.01;
  SourcePos enabled_pos_;
};

/// The penalty weight's rule under a LUT budget B, after each epoch that trained with learned
/// widths and whose estimate is L: weight * 2^clamp(8 (L / B - 1), -1, 1), kept within
/// [1e-8, 1e8].
double adapted_penalty(double penalty, std::int64_t lut, std::int64_t budget);

/// A training that learns bit widths, seen without LibTorch. It starts once `calibrated` (owned
/// by the caller) holds the calibrated precision: at the start of training when it already
/// does (the quantize stage), else at the end of the epoch that calibrated (the distill stage's
/// QuantizeDuringTraining, which must run before hook()).
class WidthLearning {
 public:
  virtual ~WidthLearning() = default;
  /// The hook to add to the trainer (after the one that calibrates, if any).
  virtual TrainHook* hook() = 0;
  /// After training: takes the widths of the selected epoch, writes the weights and biases of
  /// `graph` (the trained weights) quantized onto their learned grids, masks the weights that
  /// became zero, and returns the precision: learned result and input types per layer, one
  /// weight and bias type per layer wide enough for every learned grid (so the values are
  /// exact in it), accumulators resolved as the request asks. Throws hlslim::Error when
  /// learning never started.
  virtual ModelPrecision finish(const TrainResult& result, Graph& graph) = 0;
  /// The learned widths per layer and role (fraction bits min/mean/max, mean total bits,
  /// type), the LUT estimates at calibration and at the end, the budget, and the penalty
  /// weight and estimate of every epoch.
  virtual nlohmann::json report() const = 0;
  /// report() as a table for the log.
  virtual std::string table() const = 0;
};

/// Makes the training for `options` (enabled), resolving accumulators as `request` asks.
/// `options`, `request` and `calibrated` must outlive it.
std::unique_ptr<WidthLearning> make_width_learning(const LearnWidthsOptions& options,
                                                   const PrecisionRequest& request,
                                                   const std::optional<ModelPrecision>* calibrated);

}  // namespace hlslim
