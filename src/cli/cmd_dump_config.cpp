#include <CLI/CLI.hpp>
#include <iostream>

#include "hlslim/cli/cli.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"

namespace hlslim {

void add_dump_config_command(CLI::App& app, CliContext& context) {
  auto config_path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "dump-config", "Print the fully resolved config: defaults filled in, overrides applied.");
  cmd->add_option("config", *config_path, "Pipeline config (YAML).")->required();
  cmd->add_option("--set", *overrides, "Override a config key (repeatable).");
  cmd->callback([config_path, overrides, &context] {
    const PipelineConfig config = PipelineConfig::load(*config_path, *overrides, *context.registry);
    std::cout << config.dump();
  });
}

}  // namespace hlslim
