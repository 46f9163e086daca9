#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hlslim {

class StageRegistry;

/// Runs the command line against a stage registry and returns the process exit code (see
/// ExitCode). Never throws: every error is printed to stderr.
int cli_main(int argc, const char* const* argv, const StageRegistry& registry);

/// State shared by the subcommands while one command line runs.
struct CliContext {
  const StageRegistry* registry = nullptr;
  int exit_code = 0;
};

// One subcommand per file (src/cli/cmd_*.cpp); each adds itself to the app.
void add_run_command(CLI::App& app, CliContext& context);
void add_validate_command(CLI::App& app, CliContext& context);
void add_dump_config_command(CLI::App& app, CliContext& context);
void add_stages_command(CLI::App& app, CliContext& context);
void add_simulate_command(CLI::App& app, CliContext& context);
void add_report_command(CLI::App& app, CliContext& context);
void add_sweep_command(CLI::App& app, CliContext& context);
void add_collect_command(CLI::App& app, CliContext& context);

/// Reference documentation of every stage, run setting and layer type, as Markdown
/// (the content of docs/stages.md).
std::string stages_markdown(const StageRegistry& registry);

/// The same as plain text for the terminal.
std::string stages_text(const StageRegistry& registry);

}  // namespace hlslim
