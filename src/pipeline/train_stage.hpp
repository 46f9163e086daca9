#pragma once

#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/train_options.hpp"

namespace hlslim {

/// `train`: trains a model (built by an earlier stage, or from its architecture here) on the
/// dataset, keeps the best epoch's weights, and evaluates it on the test and noise-only events
/// with the figures of merit. Writes history.jsonl (one line per epoch) and metrics.json.
class TrainStage : public Stage {
 public:
  const char* type() const override { return "train"; }
  const char* summary() const override {
    return "Train a model on the dataset (e.g. the teacher) and evaluate it on the test set.";
  }
  void declare(OptionTable& options) override;
  void configure(const OptionValues& values, Diagnostics& diagnostics) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override { return {model_}; }
  void run(StageContext& context) override;

 private:
  // Records the model as trained by this stage; a quantized model keeps its learned widths'
  // budget (PipelineSketch::Model::width_budget).
  void set_trained(PipelineSketch& sketch, const Shape& input, bool quantized) const;

  std::string model_;
  TrainOptions train_;
};

}  // namespace hlslim
