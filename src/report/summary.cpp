#include "hlslim/report/summary.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <string>

#include "hlslim/engine/precision.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/report/svg.hpp"

namespace hlslim::report {
namespace {

int role_rank(Role role) {
  switch (role) {
    case Role::teacher:
      return 0;
    case Role::student:
      return 1;
    case Role::baseline:
      return 2;
    case Role::other:
      return 3;
    case Role::classical:
      return 4;
  }
  return 5;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::teacher:
      return "teacher";
    case Role::student:
      return "student";
    case Role::baseline:
      return "baseline";
    case Role::classical:
      return "classical";
    case Role::other:
      return "model";
  }
  return "model";
}

std::string role_color(Role role, std::size_t index) {
  switch (role) {
    case Role::teacher:
      return "#0072B2";  // blue
    case Role::student:
      return "#D55E00";  // vermillion
    case Role::baseline:
      return "#009E73";  // green
    case Role::classical:
      return "#444444";  // dark grey
    case Role::other:
      break;
  }
  static const char* const kOthers[] = {"#CC79A7", "#E69F00", "#56B4E9", "#8C564B"};
  return kOthers[index % 4];
}

double figure(const nlohmann::json& test, const std::string& key) {
  const auto it = test.find(key);
  return it != test.end() && it->is_number() ? it->get<double>()
                                             : std::numeric_limits<double>::quiet_NaN();
}

Role role_of(const RunSummary& summary, const std::string& model) {
  if (!summary.teacher.empty() && model == summary.teacher) return Role::teacher;
  if (!summary.student.empty() && model == summary.student) return Role::student;
  return Role::other;
}

std::string degraded_text(const Degraded& d) {
  char numbers[160];
  std::snprintf(numbers, sizeof(numbers), "%.4g -> %.4g (%+.1f %%, warning above %.3g %%)",
                d.before, d.after, 100.0 * d.change, 100.0 * d.limit);
  return "stage '" + d.stage + "' made '" + d.model + "' worse: validation " + d.figure + " " +
         numbers;
}

namespace {

// The figures object the charts and tables read: figures and their distributions.
nlohmann::json figures_json(const hlslim::Evaluation& e) {
  nlohmann::json out = e.distributions.is_object() ? e.distributions : nlohmann::json::object();
  for (const auto& [name, value] : e.figures) out[name] = value;
  return out;
}

}  // namespace

namespace {

// The designs the export stage's estimates.json describes: its own ("design") and hls4ml's
// ("hls4ml"). A file that is missing or of another shape leaves them unknown: the figures
// themselves come from results.json.
void read_exported_designs(const std::filesystem::path& path, Compression& c) {
  std::ifstream in(path);
  if (!in) return;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;
  if (j.contains("design") && j["design"].is_string()) c.design = j["design"];
  if (!j.contains("hls4ml") || !j["hls4ml"].is_object()) return;
  const nlohmann::json& h = j["hls4ml"];
  if (!h.contains("total") || !h["total"].is_object()) return;
  const nlohmann::json& t = h["total"];
  if (t.contains("lut") && t["lut"].is_number_integer())
    c.hls4ml_lut = t["lut"].get<std::int64_t>();
  if (t.contains("latency_ns") && t["latency_ns"].is_number()) {
    c.hls4ml_latency_ns = t["latency_ns"].get<double>();
  }
  if (h.contains("design") && h["design"].is_string()) c.hls4ml_design = h["design"];
}

}  // namespace

RunSummary summarize(const RunData& run) {
  RunSummary summary;
  // The distillation's teacher and student, else the last exported model as the student. Each
  // exported model keeps the estimates of its own (last) export stage: a run may export several
  // models, each with its own io_type, part and clock.
  struct Exported {
    const EstimateTotals* estimates = nullptr;
    std::string dir;
  };
  std::map<std::string, Exported> exports;
  const EstimateTotals* exported = nullptr;
  for (const StageData& stage : run.stages) {
    if (!stage.results) continue;
    for (const hlslim::Evaluation& e : stage.results->evaluations) {
      if (e.role == ModelRole::kTeacher) summary.teacher = e.model;
      if (e.role == ModelRole::kStudent) summary.student = e.model;
    }
    if (stage.results->estimates) {
      exported = &*stage.results->estimates;
      exports[exported->model] = {exported, stage.dir};
    }
  }
  if (summary.student.empty() && exported) summary.student = exported->model;

  for (const StageData& stage : run.stages) {
    if (!stage.results) continue;
    const StageResults& results = *stage.results;
    if (const auto& d = results.degradation; d && d->exceeded) {
      summary.degraded.push_back(
          {stage.name, d->model, d->figure, d->before, d->after, d->change, d->limit});
    }
    for (std::size_t i = 0; i < results.evaluations.size(); ++i) {
      const hlslim::Evaluation& e = results.evaluations[i];
      if (e.figures.empty()) continue;
      std::string label = e.model.empty() ? stage.name : e.model;
      Role role = role_of(summary, e.model);
      switch (e.role) {
        case ModelRole::kReference:
          label = "classical reference";
          role = Role::classical;
          break;
        case ModelRole::kTeacher:
          role = Role::teacher;
          break;
        case ModelRole::kStudent:
          role = Role::student;
          break;
        case ModelRole::kBaseline:
          label += " baseline";
          role = Role::baseline;
          break;
        case ModelRole::kModel:
          break;
      }
      summary.evaluations.push_back(
          {stage.name, label, role,
           stage.dir + "/results.json: evaluations[" + std::to_string(i) + "] (" + e.model + ")",
           figures_json(e)});
    }
  }
  for (const Evaluation& evaluation : summary.evaluations) {
    bool replaced = false;
    for (Evaluation& final_one : summary.finals) {
      if (final_one.label == evaluation.label) {
        final_one = evaluation;
        replaced = true;
      }
    }
    if (!replaced) summary.finals.push_back(evaluation);
  }
  std::stable_sort(summary.finals.begin(), summary.finals.end(),
                   [](const Evaluation& a, const Evaluation& b) {
                     return role_rank(a.role) < role_rank(b.role);
                   });

  HlsProjectOptions options;
  // The export's target, so that the other models are estimated for the same part and clock.
  if (exported && !exported->part.empty()) options.part = exported->part;
  if (exported && exported->clock_period_ns > 0)
    options.clock_period_ns = exported->clock_period_ns;
  for (const ModelData& model : run.models) {
    Compression c;
    c.model = model.name;
    c.role = role_of(summary, model.name);
    const LayerSummary totals = model.graph.totals();
    c.parameters = totals.parameters;
    c.nonzero_parameters = totals.nonzero_parameters;
    c.quantized = has_precision(model.graph);
    if (c.quantized) {
      try {
        const ModelEstimate estimate = estimate_resources(model.graph, options);
        std::int64_t bits = 0;
        for (const LayerEstimate& layer : estimate.layers)
          bits += layer.nonzero_weights * layer.weight_bits;
        c.weight_bits = bits;
        c.multiplies = estimate.multiplies;
        c.bops = estimate.bops;
        c.lut = estimate.lut;
        c.ff = estimate.ff;
        c.dsp = estimate.dsp;
        c.bram_18k = estimate.bram_18k;
        c.latency_cycles = estimate.latency_cycles;
        c.latency_ns = estimate.latency_ns;
        c.source = "estimated here (" + options.part + ", " +
                   format_number(options.clock_period_ns) + " ns clock)";
        c.design = estimate.design;
      } catch (const std::exception& e) {
        c.source = std::string("no estimates: ") + e.what();
        summary.notes.push_back({model.file, c.source});
      }
    } else {
      c.source = "not quantized: no fixed-point estimates";
    }
    if (const auto it = exports.find(model.name); it != exports.end()) {
      const EstimateTotals& own = *it->second.estimates;
      const std::string& dir = it->second.dir;
      c.multiplies = own.multiplies;
      c.bops = own.bops;
      c.lut = own.lut;
      c.ff = own.ff;
      c.dsp = own.dsp;
      c.bram_18k = own.bram_18k;
      c.latency_cycles = own.latency_cycles;
      c.latency_ns = own.latency_ns;
      c.source = dir + "/results.json: estimates";
      read_exported_designs(run.dir / dir / "estimates.json", c);
      c.estimates_file = dir + "/estimates.json";
    }
    summary.compression.push_back(std::move(c));
  }
  std::stable_sort(summary.compression.begin(), summary.compression.end(),
                   [](const Compression& a, const Compression& b) {
                     return role_rank(a.role) < role_rank(b.role);
                   });
  return summary;
}

}  // namespace hlslim::report
