#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "hlslim/cli/cli.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/report/report.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/interrupt.hpp"

namespace hlslim {
namespace {

// Writes RUN_DIR/report/index.html and prints its summary. The report is a by-product: a
// failure to write it is a warning, never the run's failure.
void write_run_report(const std::filesystem::path& run_dir, bool print_summary) {
  try {
    const report::ReportResult result = report::write_report(run_dir);
    if (print_summary && spdlog::get_level() <= spdlog::level::info) {
      std::cout << "\n" << result.markdown << std::flush;
    }
  } catch (const std::exception& e) {
    spdlog::warn("the run report was not written: {}", e.what());
  }
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& context) {
  struct Args {
    std::string config;
    std::vector<std::string> overrides;
    std::string output;
    std::string from;
    std::string to;
    std::string base;
    bool resume = false;
    bool force = false;
    int threads = -1;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run", "Run a pipeline config into its run directory.");
  cmd->add_option("config", args->config, "Pipeline config (YAML).")->required();
  cmd->add_option("--set", args->overrides,
                  "Override a config key: --set train.epochs=5 (repeatable).")
      ->allow_extra_args(false);
  cmd->add_option("--output", args->output, "Run directory (overrides the config's 'output').");
  cmd->add_option("--from", args->from, "Start at this stage; earlier ones must be complete.");
  cmd->add_option("--to", args->to, "Stop after this stage.");
  cmd->add_option("--base", args->base,
                  "An earlier run directory: link its stages that match this configuration "
                  "(read-only) and run the rest here.");
  auto* resume = cmd->add_flag("--resume", args->resume,
                               "Continue a run directory: skip stages completed with the same "
                               "configuration and inputs.");
  cmd->add_flag("--force", args->force, "Clear a previous run directory and start over.")
      ->excludes(resume);
  cmd->add_option("--threads", args->threads, "CPU threads (same as --set threads=N).")
      ->check(CLI::Range(0, 1024));
  cmd->callback([args, &context] {
    auto overrides = args->overrides;
    if (args->threads >= 0) overrides.push_back("threads=" + std::to_string(args->threads));
    const PipelineConfig config = PipelineConfig::load(args->config, overrides, *context.registry);
    RunOptions options;
    options.output = args->output;
    options.from = args->from;
    options.to = args->to;
    options.base = args->base;
    options.resume = args->resume;
    options.force = args->force;
    install_interrupt_handlers();
    RunResult result;
    try {
      result = run_pipeline(config, options);
    } catch (const Error& e) {
      // A failed or interrupted stage leaves a partial run: report what it has. Errors before
      // any stage ran (configuration, run directory) leave nothing to report.
      if (e.exit_code() == kExitRuntime || dynamic_cast<const Interrupted*>(&e)) {
        const std::filesystem::path run_dir =
            args->output.empty() ? config.settings.output_dir(config.source.base_dir())
                                 : std::filesystem::path(args->output);
        if (std::filesystem::exists(run_dir / "manifest.json")) write_run_report(run_dir, false);
      }
      throw;
    }
    spdlog::info("done: {} stage(s) ran, {} reused; outputs in {}", result.ran.size(),
                 result.reused.size(), result.run_dir.string());
    write_run_report(result.run_dir, true);
  });
}

}  // namespace hlslim
