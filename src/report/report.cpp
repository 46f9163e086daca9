#include "hlslim/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "hlslim/report/svg.hpp"
#include "hlslim/util/atomic_file.hpp"
#include "sections.hpp"

namespace fs = std::filesystem;

namespace hlslim::report {
namespace {

const char* const kStyle = R"(
body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:1220px;margin:0 auto;padding:8px 24px 48px}
header{background:#1f2d3d;color:#fff;padding:18px 24px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;font-size:13px;color:#c9d3de}
nav{font-size:13px;padding:8px 24px;background:#e9edf2;border-bottom:1px solid #d5dbe3}
nav a{margin-right:14px;color:#1f4e79;text-decoration:none}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;margin:16px 0;padding:4px 18px 14px}
h2{font-size:18px;margin:14px 0 8px;color:#1f2d3d}
h3{font-size:14px;margin:14px 0 6px;color:#333}
p.alarm{color:#fff;background:#b3261e;padding:8px 12px;font-weight:bold;border-radius:4px}
p.note{color:#8a5a00;background:#fff7e0;border-left:3px solid #e6a700;padding:4px 8px;font-size:13px}
p.caption,ul.caption{font-size:12px;color:#555;margin:4px 0 10px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.charts svg{border:1px solid #eceff3;border-radius:4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 10px}
th,td{border-bottom:1px solid #e3e7ec;padding:3px 9px;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.trigger-fits td,table.trigger-resolution td{white-space:nowrap}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.status-completed{color:#137333}.status-failed{color:#b3261e;font-weight:bold}
.status-interrupted,.status-running,.status-pending{color:#8a5a00}
pre{background:#f4f6f8;border:1px solid #e1e5ea;padding:10px;font-size:12px;overflow:auto;max-height:520px}
code{font-size:12px}
)";

// Which design the LUT and latency columns describe (models of one design listed together
// when they differ: the exported model follows the export's io_type), and hls4ml's design of
// the exported model beside it: the two differ where hls4ml builds another schedule
// (docs/estimates.md).
std::string estimates_note(const RunSummary& summary) {
  std::vector<std::pair<std::string, std::vector<std::string>>> designs;  // design -> models
  std::string hls4ml;
  for (const Compression& c : summary.compression) {
    if (!c.lut) continue;
    const std::string design = c.design.empty() ? "hlslim io_parallel" : c.design;
    auto it = std::find_if(designs.begin(), designs.end(),
                           [&](const auto& d) { return d.first == design; });
    if (it == designs.end()) it = designs.insert(designs.end(), {design, {}});
    it->second.push_back("'" + c.model + "'");
    if (!c.hls4ml_lut || !c.hls4ml_latency_ns) continue;
    hls4ml += " hls4ml's design of '" + c.model + "'" +
              (c.hls4ml_design.empty() ? "" : " (" + c.hls4ml_design + ")") + ": " +
              format_number(static_cast<double>(*c.hls4ml_lut), 6) + " LUT, " +
              format_number(*c.hls4ml_latency_ns, 4) + " ns (" + c.estimates_file + ").";
  }
  if (designs.empty()) return "";
  std::string which = designs.front().first;
  if (designs.size() > 1) {
    which.clear();
    for (const auto& [design, models] : designs) {
      std::string names;
      for (const std::string& m : models) names += (names.empty() ? "" : ", ") + m;
      which += (which.empty() ? "" : "; ") + design + " for " + names;
    }
  }
  return "\nLUT and latency: the estimate of hlslim's own HLS project (" + which + ")." + hls4ml +
         "\n";
}

std::string summary_section(const RunSummary& summary) {
  std::string body;
  if (summary.finals.empty() && summary.compression.empty()) {
    return section("summary", "Summary",
                   note("No stage of this run has test figures or models yet."));
  }
  const std::vector<std::string> columns = figure_columns(summary.finals);
  std::vector<std::string> header = {"model"};
  for (const auto& c : columns) header.push_back(c.rfind("pt_", 0) == 0 ? c + " [GeV]" : c);
  for (const char* c : {"parameters", "non-zero", "multiplies", "LUT", "DSP", "latency [ns]"}) {
    header.push_back(c);
  }
  HtmlTable table(header, "key-figures");
  for (const Evaluation& e : summary.finals) {
    std::vector<std::string> cells = {"<span class=\"swatch\" style=\"background:" +
                                      role_color(e.role) + "\"></span>" + xml_escape(e.label)};
    for (const auto& column : columns) {
      const double v = figure(e.test, column);
      cells.push_back("<span data-model=\"" + xml_escape(e.label) + "\" data-key=\"" +
                      xml_escape(column) + "\" data-value=\"" +
                      (std::isnan(v) ? std::string("null") : nlohmann::json(v).dump()) + "\">" +
                      cell(v) + "</span>");
    }
    const Compression* c = nullptr;
    for (const Compression& candidate : summary.compression) {
      if (candidate.model == e.label) c = &candidate;
    }
    auto opt = [](const auto& value) {
      return value ? cell(static_cast<double>(*value)) : "&ndash;";
    };
    if (c) {
      cells.push_back(cell(static_cast<double>(c->parameters)));
      cells.push_back(cell(static_cast<double>(c->nonzero_parameters)));
      cells.push_back(opt(c->multiplies));
      cells.push_back(opt(c->lut));
      cells.push_back(opt(c->dsp));
      cells.push_back(opt(c->latency_ns));
    } else {
      for (int i = 0; i < 6; ++i) cells.push_back("&ndash;");
    }
    table.raw_row(cells);
  }
  body += table.html();
  body +=
      "<p class=\"caption\">Final test figures of each model (the last stage that evaluated "
      "it) and the compression figures of the final models; details below." +
      xml_escape(estimates_note(summary)) + "</p>";
  return section("summary", "Summary", body);
}

// Compression that cost more than its stage's warning threshold: first thing on the page.
std::string degraded_section(const RunSummary& summary) {
  if (summary.degraded.empty()) return "";
  std::string body;
  for (const Degraded& d : summary.degraded) {
    body += "<p class=\"alarm\" data-stage=\"" + xml_escape(d.stage) + "\">" +
            xml_escape(degraded_text(d)) + "</p>";
  }
  body +=
      "<p class=\"caption\">Figures on the validation set, before and after the stage; "
      "the threshold is the stage's <code>degradation_warning</code>. Later stages "
      "inherit the damage.</p>";
  return section("degraded", "Compression made a model worse", body);
}

std::string notes_section(const RunData& run, const RunSummary& summary) {
  std::vector<Note> notes = run.notes;
  notes.insert(notes.end(), summary.notes.begin(), summary.notes.end());
  if (notes.empty()) return "";
  std::string body = "<ul>";
  for (const Note& n : notes) {
    const std::string text = n.text.rfind(n.file, 0) == 0 ? n.text : n.file + ": " + n.text;
    body += "<li><code>" + xml_escape(text) + "</code></li>";
  }
  body += "</ul>";
  return section("notes", "Notes", note("Some files of this run could not be used.") + body);
}

std::string json_string(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "?";
}

}  // namespace

HtmlTable::HtmlTable(std::vector<std::string> header, std::string css_class)
    : header_(std::move(header)), class_(std::move(css_class)) {}

HtmlTable& HtmlTable::row(std::vector<std::string> cells) {
  for (auto& c : cells) c = xml_escape(c);
  return raw_row(std::move(cells));
}

HtmlTable& HtmlTable::raw_row(std::vector<std::string> cells) {
  std::string html = "<tr>";
  for (const std::string& c : cells) {
    // Numbers (and n/a, dashes) align right.
    const bool numeric =
        !c.empty() && (std::isdigit(static_cast<unsigned char>(c[0])) || c[0] == '-' ||
                       c == "n/a" || c == "&ndash;" || c.rfind("<span data-", 0) == 0);
    html += numeric ? "<td class=\"num\">" : "<td>";
    html += c + "</td>";
  }
  rows_.push_back(html + "</tr>");
  return *this;
}

std::string HtmlTable::html() const {
  std::string html = class_.empty() ? "<table>" : "<table class=\"" + class_ + "\">";
  html += "<thead><tr>";
  for (const std::string& h : header_) html += "<th>" + xml_escape(h) + "</th>";
  html += "</tr></thead><tbody>";
  for (const std::string& r : rows_) html += r;
  return html + "</tbody></table>";
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section id=\"" + id + "\"><h2>" + xml_escape(title) + "</h2>" + body + "</section>\n";
}

std::string note(const std::string& text) {
  return "<p class=\"note\">" + xml_escape(text) + "</p>";
}

std::string cell(double value) {
  // Large figures (BOPs) read better whole than as 6.702e+06.
  if (std::isfinite(value) && std::abs(value) >= 1e4) value = std::round(value);
  return format_number(value, 4);
}

bool is_head_figure(const std::string& key) {
  const auto slash = key.rfind('/');
  if (slash == std::string::npos || slash == 0) return false;
  const std::string figure = key.substr(slash + 1);
  return figure == "roc_auc" || figure == "accuracy";
}

std::vector<std::string> figure_columns(const std::vector<Evaluation>& evaluations) {
  static const char* const kTrigger[] = {"pt_mae",        "pt_spread",     "eta_mae",
                                         "plateau_eff",   "eff_at_thr_15", "fake_rate",
                                         "pt_resolution", "rate_khz"};
  static const char* const kClassification[] = {"roc_auc", "accuracy"};
  std::vector<std::string> columns;
  auto present = [&](const std::string& key) {
    for (const Evaluation& e : evaluations) {
      if (e.test.contains(key)) return true;
    }
    return false;
  };
  for (const char* key : kTrigger) {
    if (present(key)) columns.push_back(key);
  }
  for (const char* key : kClassification) {
    if (present(key)) columns.push_back(key);
  }
  // The heads of a multi-output 'bce' model: "<head>/roc_auc", "<head>/accuracy".
  std::set<std::string> heads;
  for (const Evaluation& e : evaluations) {
    for (const auto& [key, value] : e.test.items()) {
      if (is_head_figure(key) && value.is_number()) heads.insert(key);
    }
  }
  columns.insert(columns.end(), heads.begin(), heads.end());
  return columns;
}

fs::path default_report_path(const fs::path& run_dir) {
  return run_dir / "report" / "index.html";
}

std::string render_report(const RunData& run, const RunSummary& summary) {
  const nlohmann::json& m = run.manifest;
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>hlslim report: " +
      xml_escape(run.name) + "</title><style>" + kStyle + "</style></head><body>\n";
  html += "<header><h1>hlslim run report: " + xml_escape(run.name) + "</h1><p>status <b>" +
          xml_escape(json_string(m, "status")) + "</b> &middot; created " +
          xml_escape(json_string(m, "created")) + " &middot; hlslim " +
          xml_escape(json_string(m, "hlslim_version")) + " (commit " +
          xml_escape(json_string(m, "git_commit")) + ") &middot; " +
          xml_escape(fs::absolute(run.dir).lexically_normal().string()) + "</p></header>\n";
  // Runs without trigger figures have no such section, and no link to it.
  const std::string trigger = trigger_section(run, summary);
  std::vector<std::pair<std::string, std::string>> links = {{"summary", "Summary"},
                                                            {"training", "Training"},
                                                            {"turn-on", "Turn-on"},
                                                            {"residuals", "Residuals"}};
  if (!trigger.empty()) links.emplace_back("trigger", "Trigger figures");
  const std::string classes = classes_section(summary);
  if (!classes.empty()) links.emplace_back("classes", "Classes");
  links.insert(links.end(), {{"figures", "Figures of merit"},
                             {"models", "Models"},
                             {"compression", "Compression"},
                             {"overflows", "Overflows"},
                             {"provenance", "Provenance"},
                             {"config", "Config"}});
  html += "<nav>";
  for (const auto& [id, title] : links) html += "<a href=\"#" + id + "\">" + title + "</a>";
  html += "</nav><main>\n";
  html += degraded_section(summary);
  html += notes_section(run, summary);
  html += summary_section(summary);
  html += training_section(run, summary);
  html += turn_on_section(summary);
  html += residuals_section(summary);
  html += trigger;
  html += classes;
  html += figures_section(summary);
  html += models_section(run, summary);
  html += compression_section(summary);
  html += overflow_section(run);
  html += provenance_section(run);
  html += config_section(run);
  html += "</main></body></html>\n";
  return html;
}

std::string markdown_summary(const RunSummary& summary, const fs::path& report) {
  const std::vector<std::string> all = figure_columns(summary.finals);
  std::vector<std::string> columns;
  for (const char* key :
       {"pt_spread", "plateau_eff", "fake_rate", "rate_khz", "roc_auc", "accuracy"}) {
    for (const auto& c : all) {
      if (c == key) columns.push_back(c);
    }
  }
  for (const auto& c : all) {
    if (is_head_figure(c)) columns.push_back(c);
  }
  std::string md = "| model |";
  for (const auto& c : columns) md += " " + c + " |";
  md += " params | multiplies | LUT | latency [ns] |\n|---|";
  for (std::size_t i = 0; i < columns.size() + 4; ++i) md += "---:|";
  md += "\n";
  auto opt = [](const auto& value) {
    return value ? format_number(static_cast<double>(*value), 4) : "-";
  };
  std::vector<std::string> listed;
  for (const Evaluation& e : summary.finals) {
    md += "| " + e.label + " |";
    for (const auto& c : columns) md += " " + format_number(figure(e.test, c), 4) + " |";
    const Compression* comp = nullptr;
    for (const Compression& c : summary.compression) {
      if (c.model == e.label) comp = &c;
    }
    if (comp) {
      md += " " + format_number(static_cast<double>(comp->parameters), 6) + " | " +
            opt(comp->multiplies) + " | " + opt(comp->lut) + " | " + opt(comp->latency_ns) + " |\n";
      listed.push_back(comp->model);
    } else {
      md += " - | - | - | - |\n";
    }
  }
  for (const Compression& c : summary.compression) {
    if (std::find(listed.begin(), listed.end(), c.model) != listed.end()) continue;
    md += "| " + c.model + " |";
    for (std::size_t i = 0; i < columns.size(); ++i) md += " - |";
    md += " " + format_number(static_cast<double>(c.parameters), 6) + " | " + opt(c.multiplies) +
          " | " + opt(c.lut) + " | " + opt(c.latency_ns) + " |\n";
  }
  md += estimates_note(summary);
  for (const Degraded& d : summary.degraded) md += "\nWARNING: " + degraded_text(d) + "\n";
  md += "\nReport: " + report.string() + "\n";
  return md;
}

ReportResult write_report(const fs::path& run_dir, const fs::path& output) {
  const RunData run = load_run(run_dir);
  const RunSummary summary = summarize(run);
  ReportResult result;
  result.path = output.empty() ? default_report_path(run_dir) : output;
  const std::string html = render_report(run, summary);
  AtomicFile file(result.path);
  file.write(html.data(), html.size());
  file.commit();
  result.markdown = markdown_summary(summary, result.path);
  result.notes = run.notes.size() + summary.notes.size();
  return result;
}

}  // namespace hlslim::report
