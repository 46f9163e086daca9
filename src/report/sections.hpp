#pragma once

// The sections of the run report, each rendering one <section> of HTML (internal to
// hlslim_report; report.cpp assembles them).

#include <string>
#include <vector>

#include "hlslim/report/run_data.hpp"
#include "hlslim/report/summary.hpp"

namespace hlslim::report {

/// A plain HTML table; cells are escaped unless added with raw().
class HtmlTable {
 public:
  explicit HtmlTable(std::vector<std::string> header, std::string css_class = "");
  HtmlTable& row(std::vector<std::string> cells);
  /// Cells that are HTML already.
  HtmlTable& raw_row(std::vector<std::string> cells);
  std::string html() const;

 private:
  std::vector<std::string> header_;
  std::string class_;
  std::vector<std::string> rows_;
};

/// <section id=ID><h2>TITLE</h2>BODY</section>
std::string section(const std::string& id, const std::string& title, const std::string& body);
/// <p class="note">TEXT</p>, escaped.
std::string note(const std::string& text);
/// A number for a table cell (format_number with 4 digits; "n/a" for NaN).
std::string cell(double value);

std::string training_section(const RunData& run, const RunSummary& summary);
std::string turn_on_section(const RunSummary& summary);
std::string residuals_section(const RunSummary& summary);
/// The trigger figures (distributions["trigger"]) of the final evaluations: turn-on curves and
/// fits per threshold, resolution, efficiency against eta and hits, rates, and the rate model's
/// assumptions from run.evaluation_settings. Empty when no final evaluation has them.
std::string trigger_section(const RunData& run, const RunSummary& summary);
std::string figures_section(const RunSummary& summary);
/// For classifiers over several classes (evaluations with a "confusion" matrix): the confusion
/// matrix and per-class ROC curves of each final model. Empty when no final evaluation has them.
std::string classes_section(const RunSummary& summary);
std::string models_section(const RunData& run, const RunSummary& summary);
std::string compression_section(const RunSummary& summary);
std::string overflow_section(const RunData& run);
std::string provenance_section(const RunData& run);
std::string config_section(const RunData& run);

/// The figure columns shown for a set of evaluations: the trigger figures present in any of
/// them, then the classification figures, then those of the binary heads of multi-output 'bce'
/// models ("<head>/roc_auc", "<head>/accuracy").
std::vector<std::string> figure_columns(const std::vector<Evaluation>& evaluations);

/// True for a figure of one binary head: "<head>/roc_auc" or "<head>/accuracy".
bool is_head_figure(const std::string& key);

}  // namespace hlslim::report
