#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/config/source.hpp"
#include "hlslim/graph/architecture.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/pipeline/settings.hpp"
#include "hlslim/sweep/spec.hpp"

namespace hlslim {

class Stage;
class StageRegistry;

/// One entry of the `stages:` list: the stage instance, configured, with its options.
struct StageEntry {
  std::string name;  ///< unique within the pipeline; `--set NAME.key=value` addresses it
  std::string type;  ///< registry name
  SourcePos pos;
  std::unique_ptr<Stage> stage;
  std::unique_ptr<OptionTable> options;  ///< bound to `stage`'s members
  OptionValues values;
};

/// A value set into a config document by the program rather than by the file or `--set` (a
/// sweep point's value): a dotted path as `--set` takes it, the value, and where the path and
/// the value were stated, which diagnostics point to.
struct ConfigAssignment {
  std::string path;
  YAML::Node value;
  SourcePos key_pos;
  SourcePos value_pos;
};

/// A fully resolved pipeline configuration: defaults < config file < `--set` overrides.
class PipelineConfig {
 public:
  PipelineConfig();
  ~PipelineConfig();
  PipelineConfig(PipelineConfig&&) noexcept;
  PipelineConfig& operator=(PipelineConfig&&) noexcept;

  /// Loads and validates a config file, applies `--set key.path=value` overrides, configures
  /// every stage and checks the whole pipeline (each stage's preconditions against what the
  /// stages before it produce). Throws hlslim::ConfigError with every problem found.
  static PipelineConfig load(const std::filesystem::path& path,
                             const std::vector<std::string>& overrides,
                             const StageRegistry& registry);

  /// One point of a sweep: the config at `path` without its `sweep` block, with `overrides`
  /// and then `assignments` applied, validated like load(). Diagnostics about an assigned value
  /// point to where it was stated. Throws hlslim::ConfigError.
  static PipelineConfig load_point(const std::filesystem::path& path,
                                   const std::vector<std::string>& overrides,
                                   const std::vector<ConfigAssignment>& assignments,
                                   const StageRegistry& registry);

  ConfigSource source;
  RunSettings settings;
  /// Architectures from `models:`, in file order, without weights; a model imported from a
  /// file (`from:`) holds the file's weights (and QONNX precisions) and is listed in `imports`.
  std::vector<Graph> models;
  std::map<std::string, ModelSource> imports;  ///< by model name
  std::vector<StageEntry> stages;
  /// The `sweep:` block, when the config has one; load() has then also validated every point.
  std::optional<SweepSpec> sweep;

  /// Finds an architecture by name, or nullptr.
  const Graph* model(const std::string& name) const;

  /// Where an imported model came from, or nullptr for a model built from its layer list.
  const ModelSource* import_of(const std::string& name) const;

  /// Index of the stage with this name, or -1.
  int stage_index(const std::string& name) const;

  /// The resolved config as YAML text: every default filled in, overrides applied. Paths are
  /// as written (relative to the config file), or absolute when `absolute_paths` is set. The
  /// text validates and dumps again to itself.
  /// When `run_dir` is given, `output` is set to it.
  std::string dump(bool absolute_paths = false, const std::filesystem::path& run_dir = {}) const;

  /// Canonical text of everything a stage's result depends on in the config: its type, name
  /// and options, the seed and device, and the architectures of the models it reads.
  std::string stage_fingerprint_text(std::size_t index) const;

 private:
  static PipelineConfig parse(const std::filesystem::path& path,
                              const std::vector<std::string>& overrides,
                              const std::vector<ConfigAssignment>* assignments,
                              const StageRegistry& registry);

  OptionTable settings_table_;
  OptionValues settings_values_;
};

/// Applies one `--set key.path=value` argument to a document. Reports a malformed argument or a
/// path whose first component names neither a setting, `models`, nor a stage.
void apply_override(ConfigSource& source, const std::string& argument,
                    const std::vector<std::string>& top_keys, Diagnostics& diagnostics);

/// The assignments that turn a config into one point of its sweep.
std::vector<ConfigAssignment> sweep_assignments(const SweepSpec& spec, const SweepPoint& point);

/// Sets one value into a document at a `--set` path (a setting, `models...`, or a stage's name
/// followed by its keys). Reports a path that does not exist at `assignment.key_pos`; later
/// diagnostics about the value point to `assignment.value_pos`.
void set_config_value(ConfigSource& source, const ConfigAssignment& assignment,
                      const std::vector<std::string>& top_keys, Diagnostics& diagnostics);

}  // namespace hlslim
