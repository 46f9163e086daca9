#pragma once

#include "hlslim/pipeline/stage.hpp"

namespace hlslim {

/// `reference`: the classical, non-ML estimate of pT and eta (a sagitta fit of the station hit
/// positions, docs/simulation.md) on the test and noise-only events, with the same figures of
/// merit as the networks, so reports compare networks against it.
class ReferenceStage : public Stage {
 public:
  const char* type() const override { return "reference"; }
  const char* summary() const override {
    return "Evaluate the classical (sagitta-fit) pT and eta estimate with the figures of merit.";
  }
  void declare(OptionTable& options) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override { return {}; }
  void run(StageContext& context) override;

 private:
  std::int64_t road_columns_ = 32;
  std::int64_t min_station_layers_ = 2;
};

}  // namespace hlslim
