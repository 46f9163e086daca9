#include "hlslim/sweep/collect.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "hlslim/results/results.hpp"
#include "hlslim/sweep/pareto.hpp"
#include "hlslim/sweep/slurm.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/status.hpp"
#include "hlslim/util/text.hpp"
#include "sweep_detail.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

using json = nlohmann::json;
using sweep_detail::csv_field;
using sweep_detail::value_json;

// Figures of merit of a model on the test set, in table order; roc_auc and accuracy for
// classification. Then the trigger figures at the first threshold (docs/trigger-figures.md);
// those at every threshold ("rate_khz_thr15") follow them in the table.
const std::vector<std::string> kFigures = {
    "pt_spread", "plateau_eff", "fake_rate",     "eff_at_thr_15", "pt_mae",
    "eta_mae",   "roc_auc",     "accuracy",      "pt_resolution", "eta_resolution",
    "pt50",      "pt90",        "turn_on_width", "rate_khz",      "rate_error_khz"};

// The trigger figures at one threshold of several: "<name>_thr<T>".
bool threshold_figure(const std::string& name) {
  return name.find("_thr") != std::string::npos && name != "eff_at_thr_15";
}

// The figures of one binary head of a multi-output 'bce' model: "<head>/roc_auc",
// "<head>/accuracy".
bool head_figure(const std::string& name) {
  const auto slash = name.rfind('/');
  if (slash == std::string::npos || slash == 0) return false;
  const std::string figure = name.substr(slash + 1);
  return figure == "roc_auc" || figure == "accuracy";
}

// The trigger figures drawn as Pareto fronts against LUTs (lower is better). Not the rate: a
// model that stops firing has none, so a front of rate alone would reward losing efficiency.
const std::vector<std::string> kTriggerFronts = {"pt_resolution"};
const std::vector<std::string> kEstimates = {"lut",        "ff",         "dsp", "bram_18k",
                                             "latency_ns", "multiplies", "bops"};

std::optional<json> read_json(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  try {
    return json::parse(read_file(path));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The figures a model has (a figure that could not be computed is NaN: it is left out).
void take_figures(const std::map<std::string, double>& from, std::map<std::string, double>& into) {
  for (const auto& [name, value] : from) {
    const bool known = std::find(kFigures.begin(), kFigures.end(), name) != kFigures.end();
    if ((known || threshold_figure(name) || head_figure(name)) && std::isfinite(value))
      into[name] = value;
  }
}

std::map<std::string, double> estimate_values(const EstimateTotals& e) {
  return {{"lut", static_cast<double>(e.lut)},
          {"ff", static_cast<double>(e.ff)},
          {"dsp", static_cast<double>(e.dsp)},
          {"bram_18k", static_cast<double>(e.bram_18k)},
          {"latency_ns", e.latency_ns},
          {"multiplies", static_cast<double>(e.multiplies)},
          {"bops", e.bops}};
}

// What one stage measured of its models, from its results: each evaluation but a teacher's (it
// restates the stage that made the teacher), labelled with the stage's name (and the role of a
// student or baseline), and the export's estimates.
void stage_figures(const std::string& name, const StageResults& results,
                   std::vector<StageFigures>& into) {
  for (const Evaluation& e : results.evaluations) {
    if (e.role == ModelRole::kTeacher) continue;
    const bool by_role = e.role == ModelRole::kStudent || e.role == ModelRole::kBaseline;
    StageFigures figures{by_role ? name + "." + model_role_name(e.role) : name, {}};
    take_figures(e.figures, figures.values);
    if (!figures.values.empty()) into.push_back(std::move(figures));
  }
  if (results.estimates) into.push_back({name, estimate_values(*results.estimates)});
}

// The last line of a job log that reports an error, for points that failed before their run
// directory had a manifest (an unusable directory, a lost node...).
std::string log_error(const fs::path& log) {
  std::ifstream in(log);
  std::string line, found;
  while (std::getline(in, line)) {
    if (line.find("error") != std::string::npos || line.find("CANCELLED") != std::string::npos)
      found = line;
  }
  return found;
}

}  // namespace

const char* point_status_name(PointStatus status) {
  switch (status) {
    case PointStatus::kCompleted:
      return "completed";
    case PointStatus::kFailed:
      return "failed";
    case PointStatus::kInterrupted:
      return "interrupted";
    case PointStatus::kRunning:
      return "running";
    case PointStatus::kMissing:
      return "missing";
  }
  return "?";
}

namespace {

void read_point_files(const fs::path& sweep_dir, SweepRow& row);

// A point whose files are damaged in any way is reported as such; the others are collected.
void read_point(const fs::path& sweep_dir, SweepRow& row) {
  try {
    read_point_files(sweep_dir, row);
  } catch (const nlohmann::json::exception&) {
    SweepRow damaged;
    damaged.index = row.index;
    damaged.dir = row.dir;
    damaged.values = row.values;
    row = std::move(damaged);
    row.status = PointStatus::kFailed;
    row.error = "its manifest.json is damaged (not an hlslim manifest); run the point again";
  }
}

void read_point_files(const fs::path& sweep_dir, SweepRow& row) {
  const fs::path dir = sweep_dir / row.dir;
  const auto manifest = read_json(dir / "manifest.json");
  std::error_code ec;
  if ((!manifest || !manifest->contains("stages") || !manifest->at("stages").is_array()) &&
      fs::exists(dir / "manifest.json", ec)) {
    // Damaged (a full disk, an edit by hand): this point is reported, the others collected.
    row.status = PointStatus::kFailed;
    row.error = "its manifest.json is damaged (not an hlslim manifest); run the point again";
    return;
  }
  if (!manifest || !manifest->contains("stages")) {
    fs::path log = latest_point_log(sweep_dir / "logs", row.index);
    // An older hlslim named the log after the task only.
    if (log.empty()) log = sweep_dir / "logs" / ("point-" + std::to_string(row.index) + ".out");
    const std::string error = log_error(log);
    row.status = error.empty() ? PointStatus::kMissing : PointStatus::kFailed;
    row.error = error;
    return;
  }
  const json& stages = manifest->at("stages");
  // A run that is partial (stopped by --to) or still going, or whose status is unknown, counts as
  // running.
  const auto run_status = parse_run_status(manifest->value("status", "running"));
  row.status = run_status == RunStatus::kCompleted     ? PointStatus::kCompleted
               : run_status == RunStatus::kFailed      ? PointStatus::kFailed
               : run_status == RunStatus::kInterrupted ? PointStatus::kInterrupted
                                                       : PointStatus::kRunning;
  for (const auto& stage : stages) {
    const auto status = parse_stage_status(stage.value("status", ""));
    if (status == StageStatus::kFailed || status == StageStatus::kInterrupted) {
      const bool interrupted = status == StageStatus::kInterrupted;
      row.status = interrupted ? PointStatus::kInterrupted : PointStatus::kFailed;
      row.failed_stage = stage.value("name", "");
      row.error = stage.value("error", interrupted ? "interrupted" : "");
      break;
    }
  }
  if (row.status != PointStatus::kCompleted) return;

  // The final model is the exported one; its figures come from the last stage that tested it,
  // at the point's evaluation settings (evaluation.json) where the point has them.
  std::optional<RunEvaluation> evaluation;
  try {
    evaluation = RunEvaluation::load(dir);
  } catch (const Error& e) {
    row.error = e.what();
  }
  std::vector<std::optional<StageResults>> results;
  for (const auto& stage : stages) {
    const std::string stage_dir = stage.value("dir", "");
    try {
      results.push_back(StageResults::load(dir / stage_dir, stage_dir + "/results.json"));
      if (results.back() && evaluation) {
        evaluation->apply(stage_dir, stage.value("fingerprint", ""), *results.back());
      }
      if (!results.back() && row.error.empty()) {
        row.error = "stage '" + stage.value("name", "") +
                    "' has no results.json (an older hlslim ran it): run the point again";
      }
    } catch (const Error& e) {
      results.push_back(std::nullopt);  // the stage's figures are left out
      if (row.error.empty()) row.error = e.what();
    }
  }
  for (std::size_t i = results.size(); i-- > 0;) {
    if (!results[i] || !results[i]->estimates) continue;
    row.model = results[i]->estimates->model;
    row.estimates = estimate_values(*results[i]->estimates);
    break;
  }
  bool found = false;
  for (std::size_t i = results.size(); i-- > 0 && !found;) {
    if (!results[i]) continue;
    const auto& evaluations = results[i]->evaluations;
    for (std::size_t k = evaluations.size(); k-- > 0 && !found;) {
      const Evaluation& e = evaluations[k];
      if (e.role == ModelRole::kBaseline || e.role == ModelRole::kReference) continue;
      if (!row.model.empty() && e.model != row.model) continue;
      take_figures(e.figures, row.figures);
      // As stage_figures() labels it.
      row.model_label = stages[i].value("name", "");
      if (e.role == ModelRole::kStudent)
        row.model_label += std::string(".") + model_role_name(e.role);
      row.multiclass = e.distributions.is_object() && e.distributions.contains("confusion");
      found = true;
    }
  }
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (results[i]) stage_figures(stages[i].value("name", ""), *results[i], row.stages);
  }
}

}  // namespace

namespace sweep_detail {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Integers without a fraction ("1100"), other numbers in their shortest exact form.
std::string number_cell(double value) {
  if (value == std::floor(value) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  return format_double(value);
}

// A value as JSON: a number when the text is one, else the text.
json value_json(const std::string& text) {
  try {
    std::size_t used = 0;
    const double number = std::stod(text, &used);
    if (used == text.size() && std::isfinite(number)) return number;
  } catch (const std::exception&) {
  }
  return text;
}

}  // namespace sweep_detail

namespace {

using sweep_detail::number_cell;

std::string number_text(const std::map<std::string, double>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? "" : number_cell(it->second);
}

double get_or_nan(const std::map<std::string, double>& values, const std::string& key) {
  auto it = values.find(key);
  return it == values.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

}  // namespace

SweepTable collect_sweep(const fs::path& sweep_dir) {
  const auto plan = read_json(sweep_dir / "plan.json");
  if (!plan || plan->value("format", "") != "hlslim-sweep-plan") {
    throw Error("'" + sweep_dir.string() +
                    "' is not a sweep directory: it holds no valid plan.json (written by "
                    "hlslim sweep CONFIG --plan, --submit or --point)",
                kExitRunDir);
  }
  SweepTable table;
  table.name = plan->value("name", "");
  table.method = plan->value("method", "");
  table.keys = plan->value("keys", std::vector<std::string>());
  if (auto shared = plan->find("shared"); shared != plan->end())
    table.shared_stages = shared->value("stages", std::vector<std::string>());
  for (const auto& point : plan->at("points")) {
    SweepRow row;
    row.index = point.at("index").get<std::size_t>();
    row.dir = point.at("dir").get<std::string>();
    for (const auto& key : table.keys) row.values.push_back(point.at("values").value(key, ""));
    read_point(sweep_dir, row);
    table.rows.push_back(std::move(row));
  }

  for (const auto& name : kFigures) {
    for (const auto& row : table.rows) {
      if (row.figures.count(name)) {
        table.figure_columns.push_back(name);
        break;
      }
    }
  }
  std::set<std::string> per_threshold;
  for (const auto& row : table.rows) {
    for (const auto& [name, value] : row.figures)
      if (threshold_figure(name)) per_threshold.insert(name);
  }
  table.figure_columns.insert(table.figure_columns.end(), per_threshold.begin(),
                              per_threshold.end());
  std::set<std::string> per_head;
  for (const auto& row : table.rows) {
    for (const auto& [name, value] : row.figures)
      if (head_figure(name)) per_head.insert(name);
  }
  table.figure_columns.insert(table.figure_columns.end(), per_head.begin(), per_head.end());
  for (const auto& name : kEstimates) {
    for (const auto& row : table.rows) {
      if (row.estimates.count(name)) {
        table.estimate_columns.push_back(name);
        break;
      }
    }
  }
  const auto has = [&](const std::string& name) {
    return std::find(table.figure_columns.begin(), table.figure_columns.end(), name) !=
           table.figure_columns.end();
  };
  const bool multiclass = std::any_of(table.rows.begin(), table.rows.end(),
                                      [](const SweepRow& row) { return row.multiclass; });
  if (has("pt_spread")) {
    table.physics = "pt_spread";
  } else if (multiclass && has("accuracy")) {
    // Several classes: the top-1 accuracy, as the hls4ml papers quote their taggers.
    table.physics = "accuracy";
    table.physics_lower_better = false;
  } else if (has("roc_auc")) {
    table.physics = "roc_auc";
    table.physics_lower_better = false;
  } else if (has("accuracy")) {
    table.physics = "accuracy";
    table.physics_lower_better = false;
  }
  if (!table.physics.empty()) {
    std::vector<double> physics, lut, latency;
    for (const auto& row : table.rows) {
      const double value = row.status == PointStatus::kCompleted
                               ? get_or_nan(row.figures, table.physics)
                               : std::numeric_limits<double>::quiet_NaN();
      physics.push_back(table.physics_lower_better ? value : -value);
      lut.push_back(get_or_nan(row.estimates, "lut"));
      latency.push_back(get_or_nan(row.estimates, "latency_ns"));
    }
    table.front_lut = pareto_front(lut, physics);
    table.front_latency = pareto_front(latency, physics);
    for (auto i : table.front_lut) table.rows[i].front_lut = true;
    for (auto i : table.front_latency) table.rows[i].front_latency = true;
  }
  for (const auto& figure : kTriggerFronts) {
    if (std::find(table.figure_columns.begin(), table.figure_columns.end(), figure) ==
        table.figure_columns.end()) {
      continue;
    }
    std::vector<double> values, lut;
    for (const auto& row : table.rows) {
      values.push_back(row.status == PointStatus::kCompleted
                           ? get_or_nan(row.figures, figure)
                           : std::numeric_limits<double>::quiet_NaN());
      lut.push_back(get_or_nan(row.estimates, "lut"));
    }
    table.trigger_fronts.push_back({figure, "lut", pareto_front(lut, values)});
  }
  sweep_detail::group_by_seed(table);
  sweep_detail::seed_fronts(table);
  return table;
}

std::string sweep_csv(const SweepTable& table) {
  std::ostringstream out;
  std::vector<std::string> header = {"index", "status"};
  header.insert(header.end(), table.keys.begin(), table.keys.end());
  header.insert(header.end(), {"failed_stage", "error"});
  header.insert(header.end(), table.figure_columns.begin(), table.figure_columns.end());
  header.insert(header.end(), table.estimate_columns.begin(), table.estimate_columns.end());
  header.insert(header.end(), {"pareto_lut", "pareto_latency"});
  for (const ParetoFront& front : table.trigger_fronts)
    header.push_back("pareto_" + front.figure + "_" + front.resource);
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_field(header[i]);
  out << "\n";
  for (const auto& row : table.rows) {
    std::vector<std::string> cells = {std::to_string(row.index), point_status_name(row.status)};
    for (const auto& value : row.values) cells.push_back(value);
    cells.push_back(row.failed_stage);
    cells.push_back(row.error);
    for (const auto& name : table.figure_columns) cells.push_back(number_text(row.figures, name));
    for (const auto& name : table.estimate_columns)
      cells.push_back(number_text(row.estimates, name));
    cells.push_back(row.front_lut ? "1" : "0");
    cells.push_back(row.front_latency ? "1" : "0");
    const std::size_t row_index = static_cast<std::size_t>(&row - table.rows.data());
    for (const ParetoFront& front : table.trigger_fronts) {
      const bool on =
          std::find(front.rows.begin(), front.rows.end(), row_index) != front.rows.end();
      cells.push_back(on ? "1" : "0");
    }
    for (std::size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_field(cells[i]);
    out << "\n";
  }
  return out.str();
}

json sweep_json(const SweepTable& table) {
  json points = json::array();
  json failed = json::array();
  json missing = json::array();
  for (const auto& row : table.rows) {
    json values = json::object();
    for (std::size_t i = 0; i < table.keys.size(); ++i)
      values[table.keys[i]] = value_json(row.values[i]);
    json point = {{"index", row.index},
                  {"dir", row.dir},
                  {"status", point_status_name(row.status)},
                  {"values", values},
                  {"figures", row.figures},
                  {"estimates", row.estimates},
                  {"pareto", {{"lut", row.front_lut}, {"latency", row.front_latency}}}};
    const std::size_t row_index = static_cast<std::size_t>(&row - table.rows.data());
    for (const ParetoFront& front : table.trigger_fronts) {
      point["pareto"][front.figure + "_" + front.resource] =
          std::find(front.rows.begin(), front.rows.end(), row_index) != front.rows.end();
    }
    if (!row.model.empty()) point["model"] = row.model;
    if (!row.failed_stage.empty()) point["failed_stage"] = row.failed_stage;
    if (!row.error.empty()) point["error"] = row.error;
    points.push_back(point);
    if (row.status == PointStatus::kMissing)
      missing.push_back(row.index);
    else if (row.status != PointStatus::kCompleted)
      failed.push_back(row.index);
  }
  json out = {{"name", table.name},       {"method", table.method},
              {"keys", table.keys},       {"shared_stages", table.shared_stages},
              {"physics", table.physics}, {"physics_lower_better", table.physics_lower_better},
              {"points", points},         {"not_completed", failed},
              {"missing", missing}};
  if (!table.groups.empty()) out["seed_groups"] = sweep_detail::seed_groups_json(table);
  return out;
}

void write_sweep_reports(const SweepTable& table, const fs::path& sweep_dir) {
  write_file_atomic(sweep_dir / "sweep.csv", sweep_csv(table));
  write_file_atomic(sweep_dir / "sweep.json", sweep_json(table).dump(2) + "\n");
  write_file_atomic(sweep_dir / "sweep.html", sweep_html(table));
  if (!table.groups.empty()) write_file_atomic(sweep_dir / "seeds.csv", seed_groups_csv(table));
}

}  // namespace hlslim
