#pragma once

// The training engine itself; includes LibTorch. Stages train through training.hpp, which
// does not.
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hlslim/train/batches.hpp"
#include "hlslim/train/evaluation.hpp"
#include "hlslim/train/torch_model.hpp"
#include "hlslim/train/train_options.hpp"
#include "hlslim/train/training.hpp"

namespace hlslim {

class Trainer;

/// Extension points of the training loop, so that pruning, quantization-aware training and
/// distillation plug into the same loop instead of copying it.
class TrainHook {
 public:
  virtual ~TrainHook() = default;
  /// Before the first step (also when resuming).
  virtual void on_train_begin(Trainer& trainer) { (void)trainer; }
  /// An extra term added to the batch loss (e.g. distillation); undefined tensor for none.
  /// `indices` are the samples of the batch, `output` the network's output for them.
  virtual torch::Tensor extra_loss(Trainer& trainer, const std::vector<std::size_t>& indices,
                                   const torch::Tensor& output) {
    (void)trainer;
    (void)indices;
    (void)output;
    return {};
  }
  /// After every optimizer step (e.g. re-apply pruning masks, advance a schedule).
  virtual void after_step(Trainer& trainer) { (void)trainer; }
  /// After every epoch's validation.
  virtual void on_epoch_end(Trainer& trainer, EpochRecord& record) {
    (void)trainer;
    (void)record;
  }
  /// Writes the hook's own state (adapters, schedules, ...) into a checkpoint being written in
  /// `dir`, and reads it back when training resumes from that checkpoint, so that a resumed
  /// training ends exactly where an uninterrupted one would.
  virtual void save_state(const std::filesystem::path& dir) { (void)dir; }
  virtual void load_state(const std::filesystem::path& dir) { (void)dir; }
};

/// A predictor running `module` in eval mode without gradients.
BatchPredictor torch_predictor(GraphModule module);

/// Trains a GraphModule: deterministic shuffling per epoch from the seed, the configured loss,
/// optimizer and schedule, early stopping on a validation metric keeping the best weights,
/// gradient clipping, L1/L2 penalties per layer, NaN detection, and checkpoints from which an
/// interrupted training resumes to exactly the result of an uninterrupted one.
class Trainer {
 public:
  Trainer(GraphModule module, TrainOptions options, std::uint64_t seed);

  void add_hook(TrainHook* hook) { hooks_.push_back(hook); }

  /// Weight of the loss against the true targets in the batch loss (distillation mixes it
  /// with its own term); 1 by default. The reported loss stays the unweighted truth loss.
  void set_truth_weight(double weight) { truth_weight_ = weight; }

  /// Trains these tensors too (e.g. a hook's adapters), with the same optimizer and learning
  /// rate; call before fit() so that a checkpoint restores their optimizer state.
  void add_parameters(const std::vector<torch::Tensor>& parameters);

  /// Trains. `checkpoint_dir` (may be empty) holds the training checkpoint: if it holds one,
  /// training continues from it. Every epoch is logged with an ETA. Throws hlslim::Error
  /// when the loss becomes NaN or infinite (naming epoch and step; the last checkpoint stays),
  /// hlslim::Interrupted on a signal (after writing a checkpoint).
  TrainResult fit(const TrainData& data, const std::filesystem::path& checkpoint_dir);

  GraphModule& module() { return module_; }
  const TrainOptions& options() const { return options_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  /// Optimizer steps taken so far (over all epochs).
  std::int64_t global_step() const { return global_step_; }

  /// The batch loss of `output` against `target` (mean over samples and outputs of
  /// weight * elementwise loss); exposed for tests and hooks.
  static torch::Tensor loss(const TrainOptions& options, const torch::Tensor& output,
                            const torch::Tensor& target);

  /// The L1/L2 penalty of the current weights.
  torch::Tensor penalty();

  /// A predictor running this module in eval mode without gradients.
  BatchPredictor predictor();

 private:
  struct LoopState;
  struct StepBuffers;
  // The parts of fit(): one epoch of optimizer steps (from state.step on), the validation of
  // the epoch's weights, the best-epoch selection with early stopping and the plateau
  // schedule, and the result with the selected weights back in the module.
  void train_epoch(const TrainData& data, LoopState& state, StepBuffers& buffers,
                   const std::filesystem::path& checkpoint_dir);
  EpochRecord validate(const TrainData& data, const LoopState& state);
  void select(const EpochRecord& record, LoopState& state);
  TrainResult finish(const LoopState& state);
  void save_checkpoint(const std::filesystem::path& dir, const LoopState& state);
  bool load_checkpoint(const std::filesystem::path& dir, LoopState& state);
  double learning_rate_for(std::int64_t epoch, double current) const;
  void set_learning_rate(double lr);

  GraphModule module_;
  TrainOptions options_;
  std::uint64_t seed_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<TrainHook*> hooks_;
  std::vector<std::pair<torch::Tensor, std::pair<double, double>>> penalties_;  // weight, l1, l2
  std::int64_t global_step_ = 0;
  double truth_weight_ = 1.0;
};

/// Keeps masked weights (and masked biases) at exactly zero after every optimizer step, for
/// trainings of a pruned model that prune nothing further themselves.
class MaskHook : public TrainHook {
 public:
  void after_step(Trainer& trainer) override { trainer.module()->apply_masks(); }
};

}  // namespace hlslim
