#include <CLI/CLI.hpp>
#include <iostream>

#include "hlslim/cli/cli.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/stage.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

void add_validate_command(CLI::App& app, CliContext& context) {
  auto config_path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Check a pipeline config completely (keys, types, ranges, stage order); run "
      "nothing.");
  cmd->add_option("config", *config_path, "Pipeline config (YAML).")->required();
  cmd->add_option("--set", *overrides, "Override a config key (repeatable).");
  cmd->callback([config_path, overrides, &context] {
    const PipelineConfig config = PipelineConfig::load(*config_path, *overrides, *context.registry);
    std::vector<std::string> names;
    for (const auto& entry : config.stages) names.push_back(entry.name);
    std::cout << *config_path << ": valid; " << config.stages.size()
              << " stage(s): " << join(names, ", ") << "\n";
    // What was understood of each imported model, layer by layer.
    for (const auto& graph : config.models) {
      const ModelSource* import = config.import_of(graph.name);
      if (!import) continue;
      std::cout << "\nmodel '" << graph.name << "' imported from " << import->from << " (input "
                << shape_str(graph.input_shape) << (has_precision(graph) ? ", quantized" : "")
                << "):\n"
                << graph.summary_table();
    }
  });
}

}  // namespace hlslim
