#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/graph/tensor.hpp"
#include "hlslim/pipeline/state.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

class PipelineConfig;
struct RunSettings;

/// What the pipeline will hold when a stage starts, worked out before anything runs so that
/// every stage's preconditions are checked up front.
struct PipelineSketch {
  struct Model {
    Model() = default;
    Model(Shape input_shape, bool trained, bool quantized, std::string loss)
        : input_shape(std::move(input_shape)),
          trained(trained),
          quantized(quantized),
          loss(std::move(loss)) {}

    Shape input_shape;
    bool trained = false;
    /// Carries precisions: quantized by a quantize stage or a distill stage with
    /// quantize.enabled, or imported from a QONNX file.
    bool quantized = false;
    /// The loss of the stage that trained it ("ce", "mae", ... as configs write it; "ce" for a
    /// model imported as a classifier), which a fine-tuning with a defaulted loss inherits when
    /// it is "ce"; "" when no stage trained it.
    std::string loss;
    /// Set by a stage that learned the model's bit widths under a LUT budget; empty otherwise.
    struct WidthBudget {
      /// The `multiplication` of the design its estimates priced, which the export compares
      /// with its own ("" when no budget priced the widths).
      std::string multiplication;
      std::string stage;  ///< the stage that set it, for the message
    };
    WidthBudget width_budget;
  };
  /// The dataset a data stage provides.
  struct Data {
    Shape input_shape;                 ///< what networks read, without the batch; empty if unknown
    std::vector<std::string> targets;  ///< label columns networks predict, in output order
    bool simulated = false;            ///< made by the simulation (its geometry is known)
  };
  const PipelineConfig* config = nullptr;
  std::map<std::string, Model> models;  ///< models present in the state
  std::set<std::string> artifacts;      ///< named artifacts present in the state
  std::optional<Data> data;             ///< set once a data stage has run
};

/// Everything a running stage may use. A stage writes only inside dir().
class StageContext {
 public:
  StageContext(PipelineState& state, const PipelineConfig& config, std::string stage_name,
               std::filesystem::path dir, std::filesystem::path run_dir, bool resuming);

  PipelineState& state() { return state_; }
  const PipelineConfig& config() const { return config_; }
  const RunSettings& settings() const;
  const std::string& stage_name() const { return stage_name_; }
  /// The stage's own directory (created, empty unless resuming()).
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& run_dir() const { return run_dir_; }
  /// True when this stage was interrupted earlier with the same configuration and inputs; its
  /// directory was kept, so it may continue from a checkpoint of its own.
  bool resuming() const { return resuming_; }
  /// Figures the stage reports; written to its metrics.json when it completes. They depend only
  /// on the configuration and inputs, so a rerun writes the same file byte for byte.
  nlohmann::json& metrics() { return metrics_; }
  const nlohmann::json& metrics() const { return metrics_; }
  /// How long the stage's work took (seconds, samples per second): written to its
  /// timings.json, apart from the figures, when not empty.
  nlohmann::json& timings() { return timings_; }
  const nlohmann::json& timings() const { return timings_; }
  /// What the stage reports in the shared schema (evaluations, sizes, estimates, ...):
  /// written to its results.json, which the summary, the report and `collect` read.
  StageResults& results() { return results_; }
  const StageResults& results() const { return results_; }

 private:
  PipelineState& state_;
  const PipelineConfig& config_;
  std::string stage_name_;
  std::filesystem::path dir_;
  std::filesystem::path run_dir_;
  bool resuming_;
  nlohmann::json metrics_ = nlohmann::json::object();
  nlohmann::json timings_ = nlohmann::json::object();
  StageResults results_;
};

/// A pipeline stage: a pass over the shared model graph. Lifecycle: declare() once, then
/// configure() with the parsed options, check() for every stage before any stage runs, and
/// run(). configure() and check() report problems into the diagnostics and never throw.
class Stage {
 public:
  virtual ~Stage() = default;

  /// Registry name, as written after `stage:` in configs.
  virtual const char* type() const = 0;
  /// One line for `hlslim stages`.
  virtual const char* summary() const = 0;

  /// Declares the options, bound to members of this stage.
  virtual void declare(OptionTable& options) = 0;

  /// Cross-option checks after the options were stored into the members.
  virtual void configure(const OptionValues& values, Diagnostics& diagnostics) {
    (void)values;
    (void)diagnostics;
  }

  /// Checks the stage's preconditions on the incoming state and records what it produces.
  /// `pos` is the position of the stage's entry in the config.
  virtual void check(PipelineSketch& sketch, const SourcePos& pos,
                     Diagnostics& diagnostics) const = 0;

  /// Names of the model architectures (under `models:`) the stage reads; they are part of its
  /// fingerprint, so changing one architecture reruns only the stages from the first that reads
  /// it. The default, every model, is always safe.
  virtual std::vector<std::string> models_read(const PipelineConfig& config) const;

  /// Files outside the run directory that the stage reads; their contents are part of its
  /// fingerprint, so a changed input file makes `--resume` run the stage again.
  virtual std::vector<std::filesystem::path> input_files() const { return {}; }

  /// Does the work. Throws hlslim::Error (or any std::exception) on failure; long loops call
  /// throw_if_interrupted() at safe points.
  virtual void run(StageContext& context) = 0;
};

}  // namespace hlslim
