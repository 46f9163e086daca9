#include <CLI/CLI.hpp>
#include <iostream>

#include "hlslim/cli/cli.hpp"

namespace hlslim {

void add_stages_command(CLI::App& app, CliContext& context) {
  auto markdown = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "stages", "List every stage with its options, and the run settings and layer types.");
  cmd->add_flag("--markdown", *markdown, "Print the reference as Markdown (docs/stages.md).");
  cmd->callback([markdown, &context] {
    std::cout << (*markdown ? stages_markdown(*context.registry) : stages_text(*context.registry));
  });
}

}  // namespace hlslim
