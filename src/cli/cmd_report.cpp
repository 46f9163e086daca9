#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "hlslim/cli/cli.hpp"
#include "hlslim/report/report.hpp"

namespace hlslim {

void add_report_command(CLI::App& app, CliContext& /*context*/) {
  struct Args {
    std::string run_dir;
    std::string output;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write the HTML report of a run directory (self-contained, readable offline).");
  cmd->add_option("run_dir", args->run_dir, "Run directory (holds manifest.json).")->required();
  cmd->add_option("-o,--output", args->output, "Report file (default: RUN_DIR/report/index.html).");
  cmd->callback([args] {
    const report::ReportResult result = report::write_report(args->run_dir, args->output);
    if (result.notes > 0) {
      spdlog::warn("{} file(s) of the run could not be used; the report's Notes section lists them",
                   result.notes);
    }
    std::cout << result.markdown << std::flush;
  });
}

}  // namespace hlslim
