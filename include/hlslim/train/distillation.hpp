#pragma once

// Knowledge distillation: losses against a teacher's outputs, the teacher-output cache, and the
// training hook that adds them to a student's training. Includes LibTorch.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "hlslim/train/trainer.hpp"

namespace hlslim {

/// The soft-label loss of classification distillation, scaled by T^2 so that its gradients keep
/// their size as T changes. Several outputs (softmax classes): T^2 * KL(softmax(t/T) ||
/// softmax(s/T)), averaged over samples. One output (a sigmoid logit): T^2 * the binary cross
/// entropy of sigmoid(s/T) against the soft target sigmoid(t/T), averaged over samples.
torch::Tensor soft_label_loss(const torch::Tensor& student_logits,
                              const torch::Tensor& teacher_logits, double temperature);

/// The soft-label loss of several independent sigmoid outputs (loss 'bce'): T^2 * the binary
/// cross entropy of each sigmoid(s/T) against sigmoid(t/T), averaged over samples and outputs.
torch::Tensor binary_soft_label_loss(const torch::Tensor& student_logits,
                                     const torch::Tensor& teacher_logits, double temperature);

/// The regression distillation loss: the mean over samples and outputs of weight_j *
/// loss_j(student_j, teacher_j), with loss_j one of "mae", "mse", "huber" per output.
torch::Tensor regression_distillation_loss(const torch::Tensor& student,
                                           const torch::Tensor& teacher,
                                           const std::vector<Loss>& losses,
                                           const std::vector<double>& weights, double huber_delta);

/// A teacher layer whose output the student learns to reproduce from one of its own layers.
struct HintPair {
  std::size_t teacher_layer = 0;
  std::size_t student_layer = 0;
  double weight = 1.0;
};

/// The teacher's outputs (and hint features), computed once per sample and kept for the whole
/// training. Hint features are cached while they fit in `cache_bytes`; beyond that they are
/// recomputed batch by batch (the outputs are always cached: a few floats per sample).
class TeacherCache {
 public:
  TeacherCache(GraphModule teacher, const BatchSource& source,
               const std::vector<std::size_t>& indices, std::vector<std::size_t> hint_layers,
               std::size_t cache_bytes);

  /// The teacher's outputs for these samples (n x outputs).
  torch::Tensor outputs(const std::vector<std::size_t>& indices) const;
  /// The teacher's output of hint layer `hint` (index into hint_layers) for these samples,
  /// flattened to n x features.
  torch::Tensor features(std::size_t hint, const std::vector<std::size_t>& indices);

  /// Samples the teacher has run so far (each sample once when everything is cached).
  std::int64_t teacher_samples() const { return teacher_samples_; }
  bool features_cached() const { return features_cached_; }

 private:
  // Runs the teacher on `indices`: its outputs, then the flattened outputs of `taps`.
  std::vector<torch::Tensor> run(const std::vector<std::size_t>& indices,
                                 const std::vector<std::size_t>& taps);
  std::int64_t row(std::size_t index) const;

  GraphModule teacher_;
  const BatchSource& source_;
  std::vector<std::size_t> hint_layers_;
  std::vector<std::int64_t> rows_;  // sample index -> row of the cache, -1 when not cached
  torch::Tensor outputs_;
  std::vector<torch::Tensor> features_;
  bool features_cached_ = false;
  std::int64_t teacher_samples_ = 0;
};

/// Options of a distillation.
struct DistillationSettings {
  double alpha = 0.5;        ///< weight of the truth; the teacher's term gets 1 - alpha
  double temperature = 4.0;  ///< classification only
  bool classification = false;
  /// Classification over softmax classes (loss 'ce'): the soft labels are the teacher's softmax
  /// at the temperature; otherwise each output is a sigmoid logit of its own.
  bool softmax = false;
  std::vector<Loss> losses;          ///< regression: per output (mae, mse or huber)
  std::vector<double> loss_weights;  ///< per output; empty: all 1
  double huber_delta = 1.0;
};

/// Adds (1 - alpha) times the distillation loss, and the weighted hint losses, to every batch
/// of the student's training; the trainer weighs its truth loss by alpha. Hint adapters (one
/// linear map per pair, student features to teacher features) are trained with the student.
class DistillationHook : public TrainHook {
 public:
  DistillationHook(TeacherCache& cache, DistillationSettings settings, std::vector<HintPair> hints,
                   const std::vector<std::int64_t>& student_feature_sizes,
                   const std::vector<std::int64_t>& teacher_feature_sizes);

  /// Registers the adapters and the truth weight with the trainer; call before fit().
  void attach(Trainer& trainer);

  torch::Tensor extra_loss(Trainer& trainer, const std::vector<std::size_t>& indices,
                           const torch::Tensor& output) override;

  /// The adapters travel with the trainer's checkpoints.
  void save_state(const std::filesystem::path& dir) override;
  void load_state(const std::filesystem::path& dir) override;

  std::vector<torch::Tensor> adapter_parameters() const;

 private:
  TeacherCache& cache_;
  DistillationSettings settings_;
  std::vector<HintPair> hints_;
  std::vector<torch::nn::Linear> adapters_;
};

}  // namespace hlslim
