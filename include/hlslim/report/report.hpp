#pragma once

// The run report (docs/report.md): one self-contained HTML file, report/index.html in the run
// directory, with inline SVG charts and CSS, no script and nothing fetched, readable offline.

#include <filesystem>
#include <string>

#include "hlslim/report/run_data.hpp"
#include "hlslim/report/summary.hpp"

namespace hlslim::report {

/// report/index.html under `run_dir`.
std::filesystem::path default_report_path(const std::filesystem::path& run_dir);

/// The whole HTML document of a loaded run. Sections whose data the run lacks say so instead
/// of failing; every note of `run` and `summary` is listed in a "Notes" section.
std::string render_report(const RunData& run, const RunSummary& summary);

/// A short Markdown summary for the console: one table row per final model (pt_spread,
/// plateau_eff, fake_rate, or roc_auc and accuracy for classification runs; parameters,
/// multiplies, LUT, latency) and the path of the report.
std::string markdown_summary(const RunSummary& summary, const std::filesystem::path& report);

/// What write_report() did.
struct ReportResult {
  std::filesystem::path path;  ///< the file written
  std::string markdown;        ///< markdown_summary() of the run
  std::size_t notes = 0;       ///< problems listed in the report's Notes section
};

/// Loads `run_dir`, renders its report and writes it atomically (hlslim::AtomicFile) to
/// `output` (default: default_report_path(run_dir)), creating parent directories. Throws as
/// load_run() does, and hlslim::Error naming the file when it cannot be written.
ReportResult write_report(const std::filesystem::path& run_dir,
                          const std::filesystem::path& output = {});

}  // namespace hlslim::report
