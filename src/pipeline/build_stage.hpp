#pragma once

#include "hlslim/pipeline/stage.hpp"

namespace hlslim {

/// `build`: instantiates models from their architecture in `models:` with LibTorch's initial
/// weights (seeded by the run's seed), adds them to the pipeline state, and reports their size
/// per layer (parameters, multiply-accumulates). A model imported from a file (`from:`) keeps
/// the file's weights and precisions, reads the data's input shape when it can, and counts as
/// trained for the stages after it.
class BuildStage : public Stage {
 public:
  const char* type() const override { return "build"; }
  const char* summary() const override {
    return "Instantiate models from their architecture with initial weights (or as imported); "
           "report their size.";
  }
  void declare(OptionTable& options) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig& config) const override {
    return selected(config);
  }
  void run(StageContext& context) override;

 private:
  std::vector<std::string> selected(const PipelineConfig& config) const;

  std::vector<std::string> models_;
};

}  // namespace hlslim
