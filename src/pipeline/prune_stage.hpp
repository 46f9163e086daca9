#pragma once

#include <yaml-cpp/yaml.h>

#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/prune_options.hpp"
#include "hlslim/train/train_options.hpp"

namespace hlslim {

/// `prune`: pruning of a trained model's dense and convolution layers while it is fine-tuned
/// with the training engine, one-shot or on a schedule (constant, or polynomial decay from an
/// initial to a final fraction). Method 'magnitude' masks single weights, per layer or globally;
/// method 'structured' masks whole neurons and filters by their L1 or L2 norm and removes them
/// at the end, so the model leaving the stage has smaller layers. Masks keep pruned weights
/// exactly zero during fine-tuning. Reports sparsity, units, parameters and multiplies per layer
/// and the figures of merit before and after.
class PruneStage : public Stage {
 public:
  const char* type() const override { return "prune"; }
  const char* summary() const override {
    return "Prune a model's weights or whole units on a schedule while fine-tuning it.";
  }
  void declare(OptionTable& options) override;
  void configure(const OptionValues& values, Diagnostics& diagnostics) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override { return {model_}; }
  void run(StageContext& context) override;

  const std::string& model() const { return model_; }
  /// Method 'structured': the model leaving the stage has fewer units than it had.
  bool structured() const { return prune_.structured(); }

 private:
  std::string model_;
  PruneOptions prune_;
  TrainOptions fine_tune_;
  double degradation_warning_ = 0.1;
};

}  // namespace hlslim
