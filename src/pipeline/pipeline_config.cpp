#include "hlslim/pipeline/pipeline_config.hpp"

#include <set>

#include "hlslim/data/trigger_figures.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/graph/architecture.hpp"
#include "hlslim/import/onnx_import.hpp"
#include "hlslim/pipeline/registry.hpp"
#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/runtime.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

const std::vector<std::string> kSectionKeys = {"models", "stages", "sweep"};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Stage names as the document states them (before validation), for `--set` addressing.
std::vector<std::string> raw_stage_names(const YAML::Node& root) {
  std::vector<std::string> names;
  const YAML::Node stages = root["stages"];
  if (!stages || !stages.IsSequence()) return names;
  for (const auto& item : stages) {
    if (!item.IsMap()) continue;
    if (item["name"] && item["name"].IsScalar()) {
      names.push_back(item["name"].Scalar());
    } else if (item["stage"] && item["stage"].IsScalar()) {
      names.push_back(item["stage"].Scalar());
    }
  }
  return names;
}

// True when a stage's options monitor a figure that depends on the trigger threshold, at any
// depth (`monitor: plateau_eff`, or in a `fine_tune` block).
bool monitors_threshold(const YAML::Node& node) {
  if (!node.IsMap()) return false;
  for (const auto& item : node) {
    if (item.first.Scalar() == "monitor" && item.second.IsScalar() &&
        item.second.Scalar() == "plateau_eff") {
      return true;
    }
    if (monitors_threshold(item.second)) return true;
  }
  return false;
}

std::string emit(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << node;
  return std::string(out.c_str()) + "\n";
}

// Loads every point of a sweep and reports each problem once, with the points it occurs in:
// "sweep point 3: ..." or "sweep points 0-3: ...".
void check_sweep_points(const std::filesystem::path& path,
                        const std::vector<std::string>& overrides, const SweepSpec& spec,
                        const StageRegistry& registry) {
  struct Problem {
    Diagnostic diagnostic;
    std::vector<std::size_t> points;
  };
  std::vector<Problem> problems;
  const auto points = expand_sweep(spec);
  for (const auto& point : points) {
    try {
      PipelineConfig::load_point(path, overrides, sweep_assignments(spec, point), registry);
    } catch (const ConfigError& e) {
      for (const auto& d : e.diagnostics().all()) {
        if (d.severity != Severity::kError) continue;
        auto it = std::find_if(problems.begin(), problems.end(), [&](const Problem& p) {
          return p.diagnostic.message == d.message && p.diagnostic.pos.str() == d.pos.str();
        });
        if (it == problems.end()) {
          problems.push_back({d, {}});
          it = problems.end() - 1;
        }
        it->points.push_back(point.index);
      }
    }
  }
  if (problems.empty()) return;
  Diagnostics diagnostics;
  for (const auto& p : problems) {
    const std::string which = p.points.size() == 1 ? "sweep point " : "sweep points ";
    diagnostics.error(p.diagnostic.pos,
                      which + index_ranges(p.points) + ": " + p.diagnostic.message);
  }
  throw ConfigError(diagnostics);
}

// A model imported from a file: `models.<name>: {from: FILE, input: [...]}`. Problems with the
// file are reported at the `from` key, a shape that does not fit at `input`.
std::optional<Graph> parse_import(const ConfigSource& source, const YAML::Node& node,
                                  const std::string& name, ModelSource& import,
                                  Diagnostics& diagnostics) {
  const std::string path = join_path("models", name);
  OptionTable table;
  table.add_path("from", import.path, "", "ONNX or QONNX file to import (docs/model-import.md).")
      .required();
  table
      .add_int_list("input", import.input, {},
                    "Shape the model reads, without the batch (the data's); empty: the file's.")
      .min(1);
  const std::size_t errors_before = diagnostics.error_count();
  const OptionValues values =
      table.parse(source, node, path, "in model '" + name + "'", {}, diagnostics);
  if (diagnostics.error_count() != errors_before) return std::nullopt;
  import.from = node["from"].Scalar();
  const SourcePos from_pos = values.pos("from");
  std::error_code error;
  if (!std::filesystem::is_regular_file(import.path, error)) {
    diagnostics.error(from_pos, "model '" + name + "': no such file '" + import.from + "'");
    return std::nullopt;
  }
  Graph graph;
  try {
    import.sha256 = sha256_file(import.path);
    graph = import_onnx(import.path, name);
  } catch (const Error& e) {
    diagnostics.error(from_pos, "model '" + name + "': cannot import: " + e.what());
    return std::nullopt;
  } catch (const std::exception& e) {
    // A defect the importer did not name (a malformed file it failed to check): still an
    // error of this file, reported where the config names it.
    diagnostics.error(
        from_pos, "model '" + name + "': cannot import: " + import.path.string() + ": " + e.what());
    return std::nullopt;
  }
  if (const std::string problem = fit_input_shape(graph, import.input, "'input' is");
      !problem.empty()) {
    diagnostics.error(values.pos("input"), "model '" + name + "': " + problem);
    return std::nullopt;
  }
  return graph;
}

}  // namespace

std::vector<ConfigAssignment> sweep_assignments(const SweepSpec& spec, const SweepPoint& point) {
  std::vector<ConfigAssignment> out;
  for (std::size_t i = 0; i < spec.parameters.size(); ++i) {
    out.push_back({spec.parameters[i].key, YAML::Clone(point.values[i]), spec.parameters[i].key_pos,
                   point.origins[i]});
  }
  return out;
}

PipelineConfig::PipelineConfig() = default;
PipelineConfig::~PipelineConfig() = default;
PipelineConfig::PipelineConfig(PipelineConfig&&) noexcept = default;
PipelineConfig& PipelineConfig::operator=(PipelineConfig&&) noexcept = default;

void apply_override(ConfigSource& source, const std::string& argument,
                    const std::vector<std::string>& top_keys, Diagnostics& diagnostics) {
  const SourcePos pos{"--set " + argument};
  const std::size_t eq = argument.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == argument.size()) {
    diagnostics.error(pos, "expected --set key.path=value");
    return;
  }
  const std::string path = argument.substr(0, eq);
  const std::string text = argument.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diagnostics.error(pos, "malformed value '" + text + "': " + e.msg);
    return;
  }
  set_config_value(source, {path, value, pos, pos}, top_keys, diagnostics);
}

void set_config_value(ConfigSource& source, const ConfigAssignment& assignment,
                      const std::vector<std::string>& top_keys, Diagnostics& diagnostics) {
  const SourcePos& pos = assignment.key_pos;
  const std::string& path = assignment.path;
  const auto parts = split_path(path);
  for (const auto& part : parts) {
    if (part.empty()) {
      diagnostics.error(pos, "malformed key path '" + path + "'");
      return;
    }
  }
  const YAML::Node& value = assignment.value;

  YAML::Node& root = source.root();
  const auto stage_names = raw_stage_names(root);
  YAML::Node current;
  std::size_t first = 0;
  if (std::find(top_keys.begin(), top_keys.end(), parts[0]) != top_keys.end()) {
    current.reset(root);
  } else if (auto it = std::find(stage_names.begin(), stage_names.end(), parts[0]);
             it != stage_names.end()) {
    current.reset(root["stages"][static_cast<std::size_t>(it - stage_names.begin())]);
    first = 1;
  } else {
    auto candidates = top_keys;
    candidates.insert(candidates.end(), stage_names.begin(), stage_names.end());
    diagnostics.error(pos, "path '" + path + "' does not exist: no setting or stage named '" +
                               parts[0] + "'" + did_you_mean(parts[0], candidates));
    return;
  }
  if (first == parts.size()) {
    diagnostics.error(pos, "path '" + path + "' names a whole stage; set one of its keys");
    return;
  }
  // A block the config reaches through a YAML alias is one node used at several places: setting
  // a key in it would change every use, which is never what a --set or a sweep point means.
  const auto shared_block = [&](const YAML::Node& node, std::size_t parts_used) {
    if (!source.shared(node)) return false;
    const std::string block =
        join(std::vector<std::string>(parts.begin(), parts.begin() + parts_used), ".");
    const std::string where =
        block == path ? "'" + path + "' is a value" : "'" + path + "' lies in '" + block + "'";
    diagnostics.error(pos, "path " + where +
                               ", which the config uses at more than one place through a "
                               "YAML alias (anchored at " +
                               source.pos(node, "").str() +
                               "); setting it would change every use, so write the block out "
                               "where it differs");
    return true;
  };
  if (shared_block(current, first)) return;

  for (std::size_t i = first; i + 1 < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (current.IsSequence()) {
      std::size_t index = 0;
      try {
        index = std::stoul(part);
      } catch (const std::exception&) {
        index = current.size();
      }
      if (index >= current.size()) {
        diagnostics.error(pos, "path '" + path + "' does not exist: '" + part +
                                   "' is not an index of a list of " +
                                   std::to_string(current.size()) + " elements");
        return;
      }
      YAML::Node child = current[index];
      current.reset(child);
    } else if (current.IsMap()) {
      if (!current[part]) current[part] = YAML::Node(YAML::NodeType::Map);
      YAML::Node child = current[part];
      current.reset(child);
    } else {
      diagnostics.error(pos,
                        "path '" + path + "' does not exist: '" +
                            join(std::vector<std::string>(parts.begin(), parts.begin() + i), ".") +
                            "' is not a mapping");
      return;
    }
    if (shared_block(current, i + 1)) return;
  }
  if (current.IsSequence()) {
    diagnostics.error(pos, "path '" + path + "' does not exist: cannot set a key of a list");
    return;
  }
  if (!current.IsMap()) {
    diagnostics.error(pos, "path '" + path + "' does not exist: its parent is not a mapping");
    return;
  }
  // Assigning to a key whose value is shared would overwrite that one node for every use.
  const YAML::Node& parent = current;
  if (const YAML::Node target = parent[parts.back()]; target && source.shared(target)) {
    shared_block(target, parts.size());
    return;
  }
  current[parts.back()] = value;
  source.mark_override(path, assignment.value_pos);
}

PipelineConfig PipelineConfig::load(const std::filesystem::path& path,
                                    const std::vector<std::string>& overrides,
                                    const StageRegistry& registry) {
  PipelineConfig config = parse(path, overrides, nullptr, registry);
  if (config.sweep) check_sweep_points(path, overrides, *config.sweep, registry);
  return config;
}

PipelineConfig PipelineConfig::load_point(const std::filesystem::path& path,
                                          const std::vector<std::string>& overrides,
                                          const std::vector<ConfigAssignment>& assignments,
                                          const StageRegistry& registry) {
  return parse(path, overrides, &assignments, registry);
}

PipelineConfig PipelineConfig::parse(const std::filesystem::path& path,
                                     const std::vector<std::string>& overrides,
                                     const std::vector<ConfigAssignment>* assignments,
                                     const StageRegistry& registry) {
  Diagnostics diagnostics;
  PipelineConfig config;
  config.source = ConfigSource::load_file(path, diagnostics);
  if (!config.source.readable()) throw ConfigError(diagnostics);
  ConfigSource& source = config.source;
  if (!source.root().IsMap()) {
    diagnostics.error(
        source.pos(source.root(), ""),
        "a pipeline config must be a mapping with 'stages', got " + describe_node(source.root()));
    throw ConfigError(diagnostics);
  }

  config.settings.declare(config.settings_table_);
  std::vector<std::string> top_keys = config.settings_table_.keys();
  top_keys.insert(top_keys.end(), kSectionKeys.begin(), kSectionKeys.end());
  for (const auto& argument : overrides) apply_override(source, argument, top_keys, diagnostics);
  if (assignments) {
    // A sweep point: the sweep block is not part of it, and its values come last.
    source.root().remove("sweep");
    for (const auto& assignment : *assignments)
      set_config_value(source, assignment, top_keys, diagnostics);
  } else if (const YAML::Node sweep = source.root()["sweep"]; sweep && !sweep.IsNull()) {
    config.sweep = parse_sweep(source, sweep, "sweep", diagnostics);
  }

  const YAML::Node& root = source.root();
  config.settings_values_ =
      config.settings_table_.parse(source, root, "", "", kSectionKeys, diagnostics);
  if (config.settings_values_.defaulted("name")) {
    config.settings.name = path.stem().string();
  }
  if (const std::string problem = device_problem(config.settings.device); !problem.empty()) {
    diagnostics.error(config.settings_values_.pos("device"), problem);
  }
  if (config.settings_values_.has("evaluation")) {
    const OptionValues& evaluation = config.settings_values_.group("evaluation");
    const std::vector<double>& thresholds = config.settings.evaluation.thresholds;
    if (thresholds.empty()) {
      diagnostics.error(evaluation.pos("thresholds"),
                        "'evaluation.thresholds' needs at least one threshold");
    }
    for (std::size_t i = 1; i < thresholds.size(); ++i) {
      if (std::find(thresholds.begin(), thresholds.begin() + static_cast<std::ptrdiff_t>(i),
                    thresholds[i]) != thresholds.begin() + static_cast<std::ptrdiff_t>(i)) {
        diagnostics.error(
            evaluation.pos("thresholds"),
            "'evaluation.thresholds' lists " + data::threshold_text(thresholds[i]) + " GeV twice");
        break;
      }
    }
  }

  // Models.
  const YAML::Node models = root["models"];
  if (models && !models.IsNull()) {
    if (!models.IsMap()) {
      diagnostics.error(source.pos(models, "models"),
                        "'models' must be a mapping from model names to architectures, got " +
                            describe_node(models));
    } else {
      for (const auto& item : models) {
        const std::string name = item.first.Scalar();
        if (!is_c_identifier(name)) {
          diagnostics.error(source.pos(item.first, join_path("models", name)),
                            "model name '" + name + "' must be a C identifier");
        }
        if (item.second.IsMap() && item.second["from"]) {
          ModelSource import;
          if (auto graph = parse_import(source, item.second, name, import, diagnostics)) {
            config.models.push_back(std::move(*graph));
            config.imports[name] = import;
          } else {
            Graph placeholder;
            placeholder.name = name;
            config.models.push_back(std::move(placeholder));
          }
          continue;
        }
        config.models.push_back(parse_architecture(source, item.second, name, diagnostics));
      }
    }
  }

  // Stages.
  const YAML::Node stages = root["stages"];
  if (!stages || !stages.IsSequence() || stages.size() == 0) {
    diagnostics.error(source.pos(stages ? stages : root, "stages"),
                      "the config needs a non-empty list 'stages'; available stages: " +
                          join(registry.types(), ", "));
  } else {
    std::map<std::string, SourcePos> seen;
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const YAML::Node item = stages[i];
      const std::string item_path = "stages." + std::to_string(i);
      const SourcePos item_pos = source.pos(item, item_path);
      if (!item.IsMap() || !item["stage"] || !item["stage"].IsScalar()) {
        diagnostics.error(item_pos, "stage " + std::to_string(i + 1) +
                                        " must be a mapping with a key 'stage' naming its type; "
                                        "available: " +
                                        join(registry.types(), ", "));
        continue;
      }
      StageEntry entry;
      entry.type = item["stage"].Scalar();
      entry.name = entry.type;
      entry.pos = item_pos;
      if (const YAML::Node name = item["name"]) {
        if (!name.IsScalar() || !is_c_identifier(name.Scalar())) {
          diagnostics.error(source.pos(name, item_path + ".name"),
                            "stage name " + describe_node(name) +
                                " must be a C identifier (letters, digits, '_')");
          continue;
        }
        entry.name = name.Scalar();
      }
      entry.stage = registry.create(entry.type);
      if (!entry.stage) {
        diagnostics.error(source.pos(item["stage"], item_path + ".stage"),
                          "unknown stage '" + entry.type + "'" +
                              did_you_mean(entry.type, registry.types()) +
                              "; available stages: " + join(registry.types(), ", "));
        continue;
      }
      if (std::find(top_keys.begin(), top_keys.end(), entry.name) != top_keys.end()) {
        diagnostics.error(item_pos, "stage name '" + entry.name +
                                        "' is also a top-level key; give the stage another "
                                        "'name'");
      }
      if (auto [it, inserted] = seen.emplace(entry.name, item_pos); !inserted) {
        diagnostics.error(item_pos, "duplicate stage name '" + entry.name + "' (first at " +
                                        it->second.str() + "); give each a distinct 'name'");
      }
      entry.options = std::make_unique<OptionTable>();
      entry.stage->declare(*entry.options);
      const std::size_t errors_before = diagnostics.error_count();
      std::vector<std::string> not_options = {"stage", "name"};
      if (entry.type == "data" && item["threshold"]) {
        // The threshold was a data option once, and in every stage's fingerprint.
        diagnostics.error(source.pos(item["threshold"], item_path + ".threshold"),
                          "'threshold' is no longer an option of the data stage: set the "
                          "thresholds of the figures in the top-level block 'evaluation: "
                          "{thresholds: [...]}', where changing them re-evaluates a run "
                          "without retraining");
        not_options.push_back("threshold");
      }
      entry.values = entry.options->parse(source, item, entry.name, "in stage '" + entry.name + "'",
                                          not_options, diagnostics);
      if (diagnostics.error_count() == errors_before) {
        entry.stage->configure(entry.values, diagnostics);
      }
      config.stages.push_back(std::move(entry));
    }
  }

  // Preconditions, in pipeline order, once every stage is known to be well-formed.
  if (!diagnostics.has_errors()) {
    PipelineSketch sketch;
    sketch.config = &config;
    bool fitted = false;
    for (const auto& entry : config.stages) {
      entry.stage->check(sketch, entry.pos, diagnostics);
      if (fitted || !sketch.data || sketch.data->input_shape.empty()) continue;
      // Once the data's shape is known, imported models read it where they can (a flatten in
      // front), so that every later check sees the model the build stage will make; the build
      // stage reports a model that cannot.
      fitted = true;
      for (Graph& graph : config.models) {
        if (config.import_of(graph.name) && config.import_of(graph.name)->input.empty()) {
          Graph copy = graph;
          if (fit_input_shape(copy, sketch.data->input_shape).empty()) graph = std::move(copy);
        }
      }
    }
  }
  if (diagnostics.has_errors()) throw ConfigError(diagnostics);
  return config;
}

const Graph* PipelineConfig::model(const std::string& name) const {
  for (const auto& graph : models)
    if (graph.name == name) return &graph;
  return nullptr;
}

const ModelSource* PipelineConfig::import_of(const std::string& name) const {
  const auto it = imports.find(name);
  return it == imports.end() ? nullptr : &it->second;
}

int PipelineConfig::stage_index(const std::string& name) const {
  for (std::size_t i = 0; i < stages.size(); ++i)
    if (stages[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string PipelineConfig::dump(bool absolute_paths, const std::filesystem::path& run_dir) const {
  const std::filesystem::path base = absolute_paths ? source.base_dir() : std::filesystem::path();
  YAML::Node root = settings_values_.to_yaml(settings_table_, base);
  root["name"] = settings.name;
  if (!run_dir.empty()) root["output"] = run_dir.string();
  if (!models.empty()) {
    YAML::Node models_node(YAML::NodeType::Map);
    for (const auto& graph : models) {
      const ModelSource* import = import_of(graph.name);
      models_node[graph.name] =
          import ? import_to_yaml(*import, absolute_paths, false) : architecture_to_yaml(graph);
    }
    root["models"] = models_node;
  }
  YAML::Node stages_node(YAML::NodeType::Sequence);
  for (const auto& entry : stages) {
    YAML::Node item(YAML::NodeType::Map);
    item["stage"] = entry.type;
    item["name"] = entry.name;
    for (const auto& kv : entry.values.to_yaml(*entry.options, base)) item[kv.first] = kv.second;
    stages_node.push_back(item);
  }
  root["stages"] = stages_node;
  if (sweep) root["sweep"] = sweep->node;
  return emit(root);
}

std::string PipelineConfig::stage_fingerprint_text(std::size_t index) const {
  const StageEntry& entry = stages.at(index);
  YAML::Node node(YAML::NodeType::Map);
  node["stage"] = entry.type;
  node["name"] = entry.name;
  node["options"] = entry.values.to_yaml(*entry.options, source.base_dir());
  node["seed"] = settings.seed;
  node["device"] = enum_name(device_names(), settings.device);
  YAML::Node models_node(YAML::NodeType::Map);
  for (const auto& name : entry.stage->models_read(*this)) {
    if (const ModelSource* import = import_of(name)) {
      models_node[name] = import_to_yaml(*import, false, true);
    } else if (const Graph* graph = model(name)) {
      models_node[name] = architecture_to_yaml(*graph);
    }
  }
  node["models"] = models_node;
  if (entry.type == "quantize" || entry.type == "distill") {
    node["precision_rules"] = kPrecisionRulesRevision;
  }
  // A stage that selects its model by a figure depending on the threshold (and where its plateau
  // starts) depends on them; every other evaluation setting stays out of the fingerprints.
  if (monitors_threshold(node["options"])) {
    node["threshold"] = settings.evaluation.threshold();
    node["plateau_offset"] = settings.evaluation.plateau_offset;
  }
  return emit(node);
}

}  // namespace hlslim
