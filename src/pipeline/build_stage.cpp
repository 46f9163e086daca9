#include "build_stage.hpp"

#include <spdlog/spdlog.h>

#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

void BuildStage::declare(OptionTable& options) {
  options.add_string_list("models", models_, {},
                          "Models (names under `models:`) to build; empty: every model.");
}

std::vector<std::string> BuildStage::selected(const PipelineConfig& config) const {
  if (!models_.empty()) return models_;
  std::vector<std::string> all;
  for (const auto& graph : config.models) all.push_back(graph.name);
  return all;
}

void BuildStage::check(PipelineSketch& sketch, const SourcePos& pos,
                       Diagnostics& diagnostics) const {
  const PipelineConfig& config = *sketch.config;
  std::vector<std::string> defined;
  for (const auto& graph : config.models) defined.push_back(graph.name);
  if (defined.empty()) {
    diagnostics.error(pos, "stage 'build' has nothing to build: the config defines no 'models'");
    return;
  }
  for (const auto& name : selected(config)) {
    const Graph* graph = config.model(name);
    if (!graph) {
      diagnostics.error(pos, "stage 'build': no model named '" + name + "'" +
                                 did_you_mean(name, defined) + "; defined: " + join(defined, ", "));
      continue;
    }
    Shape input = graph->input_shape;
    if (input.empty() && sketch.data) {
      input = sketch.data->input_shape;
      // The data stage already reported why its shape is unknown.
      if (input.empty()) continue;
    }
    if (input.empty()) {
      diagnostics.error(pos, "stage 'build': model '" + name +
                                 "' needs an 'input' shape (no earlier stage provides data)");
      continue;
    }
    Graph shaped = *graph;
    shaped.input_shape = input;
    try {
      shaped.shapes();
    } catch (const Error& e) {
      diagnostics.error(pos, std::string("stage 'build': ") + e.what());
      continue;
    }
    sketch.models[name] = {input, false};
  }
}

void BuildStage::run(StageContext& context) {
  const PipelineConfig& config = context.config();
  seed_torch(static_cast<std::uint64_t>(context.settings().seed));
  for (const auto& name : selected(config)) {
    Graph graph = *config.model(name);
    if (graph.input_shape.empty()) graph.input_shape = context.state().dataset().input_shape();
    initialize_weights(graph);
    const std::string table = graph.summary_table();
    write_file_atomic(context.dir() / (name + "_summary.txt"), table);
    spdlog::info("model '{}':\n{}", name, table);

    nlohmann::json layers = nlohmann::json::array();
    for (const auto& row : graph.summary()) {
      layers.push_back({{"name", row.name},
                        {"type", row.type},
                        {"output_shape", row.output_shape},
                        {"parameters", row.parameters},
                        {"macs", row.macs}});
    }
    const LayerSummary total = graph.totals();
    context.metrics()[name] = {
        {"parameters", total.parameters}, {"macs", total.macs}, {"layers", layers}};
    context.state().models[name] = std::move(graph);
  }
}

}  // namespace hlslim
