#include "hlslim/report/summary.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "hlslim/engine/precision.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/report/svg.hpp"

namespace hlslim::report {
namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_figures(const nlohmann::json& value) {
  return value.is_object() && !value.empty();
}

void add_evaluation(RunSummary& summary, const StageData& stage, std::string label, Role role,
                    const nlohmann::json& test, const std::string& path) {
  if (!is_figures(test)) return;
  summary.evaluations.push_back(
      {stage.name, std::move(label), role, stage.dir + "/metrics.json: " + path, test});
}

std::optional<std::int64_t> int_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(it->get<double>()));
}

std::optional<double> double_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

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

// The export stage's target, so the teacher is estimated for the same part and clock.
HlsProjectOptions export_options(const RunData& run) {
  HlsProjectOptions options;
  const StageData* exported = run.find_stage_of_type("export");
  if (!exported) return options;
  std::error_code ec;
  const auto path = run.dir / exported->dir / "estimates.json";
  if (!std::filesystem::exists(path, ec)) return options;
  try {
    const nlohmann::json estimates = read_json_file(path);
    if (auto part = string_field(estimates, "part"); !part.empty()) options.part = part;
    if (auto clock = double_field(estimates, "clock_period_ns")) options.clock_period_ns = *clock;
  } catch (const std::exception&) {
    // Defaults then; the export stage's own figures are still read from its metrics.json.
  }
  return options;
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

RunSummary summarize(const RunData& run) {
  RunSummary summary;
  const StageData* distill = run.find_stage_of_type("distill");
  const StageData* exported = run.find_stage_of_type("export");
  if (distill && distill->metrics) {
    summary.teacher = string_field(*distill->metrics, "teacher_model");
    summary.student = string_field(*distill->metrics, "student_model");
  }
  if (summary.student.empty() && exported && exported->metrics) {
    summary.student = string_field(*exported->metrics, "model");
  }

  for (const StageData& stage : run.stages) {
    if (!stage.metrics) continue;
    const nlohmann::json& m = *stage.metrics;
    if (const auto d = m.find("degradation");
        d != m.end() && d->is_object() && d->value("exceeded", false)) {
      const auto number = [&](const char* key) {
        const auto it = d->find(key);
        return it != d->end() && it->is_number() ? it->get<double>() : NAN;
      };
      summary.degraded.push_back({stage.name, string_field(m, "model"),
                                  d->value("figure", std::string("?")), number("before"),
                                  number("after"), number("change"), number("limit")});
    }
    if (stage.type == "reference") {
      add_evaluation(summary, stage, "classical reference", Role::classical, m, "(top level)");
    } else if (stage.type == "distill") {
      const std::string teacher = string_field(m, "teacher_model");
      const std::string student = string_field(m, "student_model");
      for (const char* key : {"teacher", "student", "baseline"}) {
        if (!m.contains(key) || !m[key].is_object() || !m[key].contains("test")) continue;
        const std::string k = key;
        const std::string label = k == "teacher"   ? teacher
                                  : k == "student" ? student
                                                   : student + " baseline";
        const Role role = k == "teacher"   ? Role::teacher
                          : k == "student" ? Role::student
                                           : Role::baseline;
        add_evaluation(summary, stage, label.empty() ? k : label, role, m[key]["test"],
                       k + ".test");
      }
    } else if (m.contains("test") && m["test"].is_object()) {
      const std::string model = string_field(m, "model");
      const std::string label = model.empty() ? stage.name : model;
      add_evaluation(summary, stage, label, role_of(summary, model), m["test"], "test");
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

  const HlsProjectOptions options = export_options(run);
  const std::string exported_model =
      exported && exported->metrics ? string_field(*exported->metrics, "model") : "";
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
      } catch (const std::exception& e) {
        c.source = std::string("no estimates: ") + e.what();
        summary.notes.push_back({model.file, c.source});
      }
    } else {
      c.source = "not quantized: no fixed-point estimates";
    }
    if (model.name == exported_model && exported->metrics->contains("estimates")) {
      const nlohmann::json& e = (*exported->metrics)["estimates"];
      c.multiplies = int_field(e, "multiplies");
      c.bops = double_field(e, "bops");
      c.lut = int_field(e, "lut");
      c.ff = int_field(e, "ff");
      c.dsp = int_field(e, "dsp");
      c.bram_18k = int_field(e, "bram_18k");
      c.latency_cycles = int_field(e, "latency_cycles");
      c.latency_ns = double_field(e, "latency_ns");
      c.source = exported->dir + "/metrics.json: estimates";
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
