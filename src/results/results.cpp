#include "hlslim/results/results.hpp"

#include <limits>

#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

using json = nlohmann::json;

constexpr ModelRole kRoles[] = {ModelRole::kReference, ModelRole::kTeacher, ModelRole::kStudent,
                                ModelRole::kBaseline, ModelRole::kModel};

json figures_json(const std::map<std::string, double>& figures) {
  json out = json::object();
  for (const auto& [name, value] : figures) out[name] = value;
  return out;
}

// The JSON of `path`; nullopt when there is no such file. Throws FileFormatError naming `where`
// when it does not parse.
std::optional<json> read_if_present(const std::filesystem::path& path, const std::string& where) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw FileFormatError(where + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

// Reads a number that JSON stores as null when it is not finite.
double number(const json& j, const char* key) {
  const json& value = j.at(key);
  return value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
}

}  // namespace

namespace {

json evaluation_to_json(const Evaluation& e) {
  json out = {{"model", e.model},
              {"role", model_role_name(e.role)},
              {"arithmetic", e.fixed_point ? "fixed" : "float"},
              {"figures", figures_json(e.figures)},
              {"distributions", e.distributions}};
  if (!e.predictions.empty()) out["predictions"] = e.predictions;
  return out;
}

Evaluation evaluation_from_json(const json& e, const std::string& where) {
  Evaluation evaluation;
  evaluation.model = e.at("model").get<std::string>();
  const std::string role = e.at("role").get<std::string>();
  const auto parsed = parse_model_role(role);
  if (!parsed) throw FileFormatError(where + ": unknown model role '" + role + "'");
  evaluation.role = *parsed;
  evaluation.fixed_point = e.at("arithmetic").get<std::string>() == "fixed";
  evaluation.distributions = e.value("distributions", json::object());
  evaluation.predictions = e.value("predictions", std::string());
  for (const auto& [name, value] : e.at("figures").items()) {
    evaluation.figures[name] =
        value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
  }
  return evaluation;
}

}  // namespace

const char* model_role_name(ModelRole role) {
  switch (role) {
    case ModelRole::kReference:
      return "reference";
    case ModelRole::kTeacher:
      return "teacher";
    case ModelRole::kStudent:
      return "student";
    case ModelRole::kBaseline:
      return "baseline";
    case ModelRole::kModel:
      return "model";
  }
  return "?";
}

std::optional<ModelRole> parse_model_role(const std::string& name) {
  for (ModelRole role : kRoles) {
    if (name == model_role_name(role)) return role;
  }
  return std::nullopt;
}

bool StageResults::empty() const {
  return evaluations.empty() && sizes.empty() && !estimates && overflows.empty() && !degradation;
}

json StageResults::to_json() const {
  json out = {{"schema_version", kResultsSchemaVersion}};
  json evaluations_json = json::array();
  for (const Evaluation& e : evaluations) evaluations_json.push_back(evaluation_to_json(e));
  out["evaluations"] = evaluations_json;
  json sizes_json = json::array();
  for (const ModelSize& s : sizes) {
    json entry = {{"model", s.model},
                  {"parameters", s.parameters},
                  {"nonzero_parameters", s.nonzero_parameters},
                  {"macs", s.macs}};
    if (s.weight_bits) entry["weight_bits"] = *s.weight_bits;
    sizes_json.push_back(entry);
  }
  out["sizes"] = sizes_json;
  if (estimates) {
    const EstimateTotals& e = *estimates;
    out["estimates"] = {{"model", e.model},
                        {"part", e.part},
                        {"clock_period_ns", e.clock_period_ns},
                        {"lut", e.lut},
                        {"ff", e.ff},
                        {"dsp", e.dsp},
                        {"bram_18k", e.bram_18k},
                        {"latency_cycles", e.latency_cycles},
                        {"latency_ns", e.latency_ns},
                        {"initiation_interval", e.initiation_interval},
                        {"multiplies", e.multiplies},
                        {"bops", e.bops}};
  }
  if (!overflows.empty()) {
    json overflows_json = json::array();
    for (const OverflowCounts& o : overflows) {
      json layers = json::object();
      for (const auto& [layer, count] : o.layers) layers[layer] = count;
      overflows_json.push_back({{"model", o.model}, {"input", o.input}, {"layers", layers}});
    }
    out["overflows"] = overflows_json;
  }
  if (degradation) {
    const DegradationResult& d = *degradation;
    out["degradation"] = {{"model", d.model},      {"figure", d.figure}, {"before", d.before},
                          {"after", d.after},      {"change", d.change}, {"limit", d.limit},
                          {"exceeded", d.exceeded}};
  }
  return out;
}

StageResults StageResults::from_json(const json& j, const std::string& where) {
  StageResults r;
  try {
    const int version = j.at("schema_version").get<int>();
    if (version != kResultsSchemaVersion) {
      throw FileFormatError(where + ": results schema version " + std::to_string(version) +
                            "; this hlslim reads version " + std::to_string(kResultsSchemaVersion));
    }
    for (const json& e : j.at("evaluations"))
      r.evaluations.push_back(evaluation_from_json(e, where));
    for (const json& s : j.at("sizes")) {
      ModelSize size;
      size.model = s.at("model").get<std::string>();
      size.parameters = s.at("parameters").get<std::int64_t>();
      size.nonzero_parameters = s.at("nonzero_parameters").get<std::int64_t>();
      size.macs = s.at("macs").get<std::int64_t>();
      if (s.contains("weight_bits")) size.weight_bits = s.at("weight_bits").get<std::int64_t>();
      r.sizes.push_back(size);
    }
    if (j.contains("estimates")) {
      const json& e = j.at("estimates");
      EstimateTotals t;
      t.model = e.at("model").get<std::string>();
      t.part = e.at("part").get<std::string>();
      t.clock_period_ns = number(e, "clock_period_ns");
      t.lut = e.at("lut").get<std::int64_t>();
      t.ff = e.at("ff").get<std::int64_t>();
      t.dsp = e.at("dsp").get<std::int64_t>();
      t.bram_18k = e.at("bram_18k").get<std::int64_t>();
      t.latency_cycles = e.at("latency_cycles").get<std::int64_t>();
      t.latency_ns = number(e, "latency_ns");
      t.initiation_interval = e.at("initiation_interval").get<std::int64_t>();
      t.multiplies = e.at("multiplies").get<std::int64_t>();
      t.bops = number(e, "bops");
      r.estimates = t;
    }
    if (j.contains("overflows")) {
      for (const json& o : j.at("overflows")) {
        OverflowCounts counts;
        counts.model = o.at("model").get<std::string>();
        counts.input = o.at("input").get<std::int64_t>();
        for (const auto& [layer, count] : o.at("layers").items())
          counts.layers[layer] = count.get<std::int64_t>();
        r.overflows.push_back(counts);
      }
    }
    if (j.contains("degradation")) {
      const json& d = j.at("degradation");
      r.degradation = DegradationResult{d.at("model").get<std::string>(),
                                        d.at("figure").get<std::string>(),
                                        number(d, "before"),
                                        number(d, "after"),
                                        number(d, "change"),
                                        number(d, "limit"),
                                        d.at("exceeded").get<bool>()};
    }
  } catch (const json::exception& e) {
    throw FileFormatError(where + ": not valid results (" + std::string(e.what()) + ")");
  }
  return r;
}

std::optional<StageResults> StageResults::load(const std::filesystem::path& stage_dir,
                                               const std::string& where) {
  const auto j = read_if_present(stage_dir / "results.json", where);
  if (!j) return std::nullopt;
  return from_json(*j, where);
}

json RunEvaluation::to_json() const {
  json stages_json = json::object();
  for (const auto& [dir, stage] : stages) {
    json evaluations = json::array();
    for (const Evaluation& e : stage.evaluations) evaluations.push_back(evaluation_to_json(e));
    stages_json[dir] = {{"fingerprint", stage.fingerprint}, {"evaluations", evaluations}};
  }
  return {{"format", "hlslim-evaluation"},
          {"schema_version", kEvaluationSchemaVersion},
          {"settings", settings},
          {"stages", stages_json}};
}

RunEvaluation RunEvaluation::from_json(const json& j, const std::string& where) {
  RunEvaluation r;
  try {
    if (j.at("format").get<std::string>() != "hlslim-evaluation") {
      throw FileFormatError(where + ": not an hlslim evaluation");
    }
    const int version = j.at("schema_version").get<int>();
    if (version != kEvaluationSchemaVersion) {
      throw FileFormatError(where + ": evaluation schema version " + std::to_string(version) +
                            "; this hlslim reads version " +
                            std::to_string(kEvaluationSchemaVersion));
    }
    r.settings = j.at("settings");
    for (const auto& [dir, stage] : j.at("stages").items()) {
      Stage s;
      s.fingerprint = stage.at("fingerprint").get<std::string>();
      for (const json& e : stage.at("evaluations"))
        s.evaluations.push_back(evaluation_from_json(e, where));
      r.stages[dir] = std::move(s);
    }
  } catch (const json::exception& e) {
    throw FileFormatError(where + ": not a valid evaluation (" + std::string(e.what()) + ")");
  }
  return r;
}

std::optional<RunEvaluation> RunEvaluation::load(const std::filesystem::path& run_dir) {
  const auto j = read_if_present(run_dir / "evaluation.json", "evaluation.json");
  if (!j) return std::nullopt;
  return from_json(*j, "evaluation.json");
}

void RunEvaluation::apply(const std::string& dir, const std::string& fingerprint,
                          StageResults& results) const {
  const auto it = stages.find(dir);
  if (fingerprint.empty() || it == stages.end() || it->second.fingerprint != fingerprint) return;
  for (Evaluation& e : results.evaluations) {
    for (const Evaluation& current : it->second.evaluations) {
      if (current.model == e.model && current.role == e.role) {
        e.figures = current.figures;
        e.distributions = current.distributions;
      }
    }
  }
}

}  // namespace hlslim
