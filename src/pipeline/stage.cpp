#include "hlslim/pipeline/stage.hpp"

#include "hlslim/pipeline/pipeline_config.hpp"

namespace hlslim {

StageContext::StageContext(PipelineState& state, const PipelineConfig& config,
                           std::string stage_name, std::filesystem::path dir,
                           std::filesystem::path run_dir, bool resuming)
    : state_(state),
      config_(config),
      stage_name_(std::move(stage_name)),
      dir_(std::move(dir)),
      run_dir_(std::move(run_dir)),
      resuming_(resuming) {}

const RunSettings& StageContext::settings() const {
  return config_.settings;
}

std::vector<std::string> Stage::models_read(const PipelineConfig& config) const {
  std::vector<std::string> names;
  for (const auto& graph : config.models) names.push_back(graph.name);
  return names;
}

}  // namespace hlslim
