#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"

namespace hlslim {

/// Training losses: mean absolute or squared error, Huber, binary cross-entropy on logits (one
/// 0/1 target per output), and softmax cross-entropy on the logits of K classes (one label
/// column of class indices, or K one-hot columns).
enum class Loss { kMae, kMse, kHuber, kBce, kCe };
enum class Optimizer { kAdam, kAdamW, kSgd };
enum class LrSchedule { kConstant, kStep, kCosine, kPlateau };

/// Config names of every loss ("mae", ..., "ce").
const EnumNames<Loss>& loss_names();

/// Everything the training engine does, as options. The train stage exposes them at its top
/// level; stages that fine-tune (prune, quantize, distill) declare the same table as a group.
struct TrainOptions {
  Loss loss = Loss::kMae;
  double label_smoothing = 0.0;      ///< ce: the targets are (1 - s) one-hot + s / K
  std::vector<double> loss_weights;  ///< one per output; empty: all 1
  double huber_delta = 1.0;
  Optimizer optimizer = Optimizer::kAdam;
  double learning_rate = 1e-3;
  double momentum = 0.9;
  double weight_decay = 0.0;
  LrSchedule schedule = LrSchedule::kConstant;
  std::int64_t step_epochs = 10;
  double gamma = 0.5;
  std::int64_t plateau_patience = 3;
  double min_learning_rate = 1e-6;
  std::int64_t batch_size = 256;
  std::int64_t epochs = 20;
  std::int64_t early_stopping = 0;  ///< patience in epochs; 0: off
  std::string monitor = "val_loss";
  double clip_norm = 0.0;
  double l1 = 0.0;
  double l2 = 0.0;
  YAML::Node regularization;  ///< per layer name or type: {l1: x, l2: y}
  std::int64_t checkpoint_every = 1;
  /// Where `loss` and `monitor` were given (or the table's mapping when defaulted), set by
  /// configure() for the stages' checks, and whether `loss` was left at its default.
  SourcePos loss_pos;
  SourcePos monitor_pos;
  bool loss_defaulted = true;

  /// Declares the options, bound to this object's fields.
  void declare(OptionTable& table);

  /// Checks between options (loss weights against outputs happen in the stage's check()) and
  /// records the positions of `loss` and `monitor`.
  void configure(const OptionValues& values, Diagnostics& diagnostics);

  /// True when a larger value of the monitored metric is better.
  bool monitor_maximizes() const;

  /// True for the classification losses (bce, ce), whose targets are not standardised.
  bool is_classification() const { return loss == Loss::kBce || loss == Loss::kCe; }
};

/// True when a larger value of this figure of merit is better (efficiencies, roc_auc,
/// accuracy).
bool figure_maximizes(const std::string& figure);

/// Metrics early stopping can monitor: val_loss and the figures of merit on the validation set.
const std::vector<std::string>& monitorable_metrics();

}  // namespace hlslim
