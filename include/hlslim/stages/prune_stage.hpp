#pragma once

#include <yaml-cpp/yaml.h>

#include "hlslim/stages/stage.hpp"
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

 private:
  /// Target fraction of every pruned layer (name > type > `sparsity`; "exclude" leaves a layer
  /// out). With method 'structured', layers whose units cannot be removed are left out too.
  std::map<std::string, double> targets(const Graph& graph) const;

  std::string model_;
  std::string method_;
  std::string criterion_;
  double sparsity_ = 0.5;
  std::string scope_;
  YAML::Node layers_;
  std::string schedule_;
  double initial_sparsity_ = 0.0;
  std::int64_t begin_step_ = 0;
  std::int64_t end_step_ = -1;
  std::int64_t frequency_ = 100;
  double power_ = 3.0;
  TrainOptions fine_tune_;
  SourcePos layers_pos_;
};

}  // namespace hlslim
