#pragma once

// What a stage reports, in one versioned schema (docs/results-schema.md): the models it
// evaluated with their roles and figures, their sizes, the export's estimates, overflow counts
// and the degradation guard. Stages fill it through their context; the console summary, the
// report and `hlslim collect` read it from each stage's results.json. metrics.json keeps the
// stage's own details for people and jq.
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hlslim {

/// The version of results.json this build writes and reads.
inline constexpr int kResultsSchemaVersion = 1;

/// The part a model plays in a run.
enum class ModelRole {
  kReference,  ///< the classical (non-network) estimator
  kTeacher,    ///< the model a distillation learns from
  kStudent,    ///< the distilled model
  kBaseline,   ///< the student trained on the truth alone, for comparison
  kModel,      ///< any other model (trained, pruned, quantized by its own stage)
};

/// "reference", "teacher", "student", "baseline", "model".
const char* model_role_name(ModelRole role);
std::optional<ModelRole> parse_model_role(const std::string& name);

/// One model evaluated on the test set.
struct Evaluation {
  std::string model;  ///< the model's name; "classical" for the reference estimator
  ModelRole role = ModelRole::kModel;
  bool fixed_point = false;               ///< computed by the fixed-point engine (else float)
  std::map<std::string, double> figures;  ///< figures of merit (docs/muon-trigger.md)
  /// The distributions behind them, as the figures of merit are computed (turn-on bins,
  /// residual histograms, event counts): an object, empty when there are none.
  nlohmann::json distributions = nlohmann::json::object();
  /// The file of its test predictions in the stage directory (see with_predictions() in the
  /// pipeline), from which the run's evaluation step recomputes the figures; empty: none.
  std::string predictions{};
};

/// A model's size when the stage finished with it.
struct ModelSize {
  std::string model;
  std::int64_t parameters = 0;
  std::int64_t nonzero_parameters = 0;
  std::int64_t macs = 0;
  /// Non-zero weights and biases times their widths, for a quantized model.
  std::optional<std::int64_t> weight_bits;
};

/// The export's estimates of the design it wrote (docs/estimates.md).
struct EstimateTotals {
  std::string model;
  std::string part;
  double clock_period_ns = 0;
  std::int64_t lut = 0;
  std::int64_t ff = 0;
  std::int64_t dsp = 0;
  std::int64_t bram_18k = 0;
  std::int64_t latency_cycles = 0;
  double latency_ns = 0;
  std::int64_t initiation_interval = 0;
  std::int64_t multiplies = 0;
  double bops = 0;
};

/// Values the fixed-point engine had to saturate or wrap, on the test set.
struct OverflowCounts {
  std::string model;
  std::int64_t input = 0;                      ///< input values outside the input type
  std::map<std::string, std::int64_t> layers;  ///< layer -> accumulator and result overflows
};

/// The guard of a compression stage: a validation figure before and after it.
struct DegradationResult {
  std::string model;
  std::string figure;
  double before = 0;
  double after = 0;
  double change = 0;  ///< relative worsening; negative when the model improved
  double limit = 0;   ///< the warning threshold
  bool exceeded = false;
};

/// Everything one stage reports.
struct StageResults {
  std::vector<Evaluation> evaluations;
  std::vector<ModelSize> sizes;
  std::optional<EstimateTotals> estimates;
  std::vector<OverflowCounts> overflows;
  std::optional<DegradationResult> degradation;

  bool empty() const;
  nlohmann::json to_json() const;
  /// Throws hlslim::FileFormatError naming `where` when `j` is not results of this schema
  /// version.
  static StageResults from_json(const nlohmann::json& j, const std::string& where);
  /// Reads a stage's results.json; nullopt when it has none. Throws as from_json().
  static std::optional<StageResults> load(const std::filesystem::path& stage_dir,
                                          const std::string& where);
};

/// The version of evaluation.json this build writes and reads.
inline constexpr int kEvaluationSchemaVersion = 1;

/// A run's evaluation.json: the figures of every model at the run's current evaluation
/// settings, computed from the test predictions its stages saved (docs/trigger-figures.md).
/// They take the place of the figures in the stages' results.json, computed when each stage
/// ran, so that changing a threshold re-evaluates a run without retraining it.
struct RunEvaluation {
  /// One stage's evaluations, and the fingerprint of the stage they were computed for.
  struct Stage {
    std::string fingerprint;
    std::vector<Evaluation> evaluations;
  };
  nlohmann::json settings = nlohmann::json::object();  ///< the evaluation settings used
  std::map<std::string, Stage> stages;                 ///< by stage directory name

  nlohmann::json to_json() const;
  /// Throws hlslim::FileFormatError naming `where` when `j` is not an evaluation of this
  /// schema version.
  static RunEvaluation from_json(const nlohmann::json& j, const std::string& where);
  /// Reads RUN_DIR/evaluation.json; nullopt when there is none. Throws as from_json().
  static std::optional<RunEvaluation> load(const std::filesystem::path& run_dir);

  /// Gives the evaluations of `results`, the results of stage directory `dir` whose manifest
  /// fingerprint is `fingerprint`, the figures and distributions of this evaluation (matched by
  /// model and role). Results of a stage evaluated under another fingerprint, or without one,
  /// stay as they are.
  void apply(const std::string& dir, const std::string& fingerprint, StageResults& results) const;
};

}  // namespace hlslim
