#include <CLI/CLI.hpp>
#include <iostream>

#include "hlslim/cli/cli.hpp"
#include "hlslim/sweep/collect.hpp"

namespace hlslim {

void add_collect_command(CLI::App& app, CliContext&) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "collect", "Gather a sweep's points into SWEEP_DIR/sweep.csv, sweep.json and sweep.html.");
  cmd->add_option("sweep_dir", *dir, "Sweep directory (holds plan.json).")->required();
  cmd->callback([dir] {
    const SweepTable table = collect_sweep(*dir);
    write_sweep_reports(table, *dir);
    std::size_t completed = 0, missing = 0;
    for (const auto& row : table.rows) {
      if (row.status == PointStatus::kCompleted) ++completed;
      if (row.status == PointStatus::kMissing) ++missing;
    }
    const std::size_t failed = table.rows.size() - completed - missing;
    std::cout << *dir << ": " << table.rows.size() << " point(s): " << completed << " completed, "
              << failed << " failed or unfinished, " << missing
              << " missing; wrote sweep.csv, sweep.json, sweep.html"
              << (table.groups.empty() ? "" : ", seeds.csv") << "\n";
    for (const auto& row : table.rows) {
      if (row.status == PointStatus::kCompleted) continue;
      std::cout << "  point " << row.index << ": " << point_status_name(row.status)
                << (row.failed_stage.empty() ? "" : " in stage '" + row.failed_stage + "'")
                << (row.error.empty() ? "" : ": " + row.error) << "\n";
    }
    if (!table.groups.empty()) std::cout << "\n" << seed_groups_markdown(table);
  });
}

}  // namespace hlslim
