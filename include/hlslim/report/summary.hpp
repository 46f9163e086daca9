#pragma once

// What the run report says about each model, derived from a loaded run directory: the figures
// of merit of every evaluation, the final figures per model, and the compression figures
// (sizes, multiplies, weight bits, BOPs, resource and latency estimates) of the final models.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/report/run_data.hpp"

namespace hlslim::report {

/// The part a model plays in the run; it fixes the model's colour in every chart.
enum class Role { teacher, student, baseline, classical, other };

/// "teacher", "student", "baseline", "classical", "model".
const char* role_name(Role role);
/// The CSS colour of a role (other: the palette colour of `index`).
std::string role_color(Role role, std::size_t index = 0);

/// One set of test figures of merit found in a stage's metrics.json.
struct Evaluation {
  std::string stage;  ///< stage name
  std::string label;  ///< model name, "<student> baseline" or "classical reference"
  Role role = Role::other;
  std::string source;   ///< "06-distill/metrics.json: student.test"
  nlohmann::json test;  ///< the figures object (trigger or classification metrics)
};

/// Resource and size figures of one final model.
struct Compression {
  std::string model;
  Role role = Role::other;
  std::int64_t parameters = 0;
  std::int64_t nonzero_parameters = 0;
  bool quantized = false;  ///< carries precisions: the rest is known
  std::optional<std::int64_t> multiplies, weight_bits, lut, ff, dsp, bram_18k, latency_cycles;
  std::optional<double> bops, latency_ns;
  std::string source;  ///< where the estimates come from, or why there are none
  /// The design the estimates describe: "hlslim io_parallel" (hlslim's own HLS project) unless
  /// the export stage's estimates.json says otherwise.
  std::string design;
  /// For the exported model: hls4ml's design of the same configuration, from the export
  /// stage's estimates.json ("hls4ml"), when it has one.
  std::string hls4ml_design;
  std::optional<std::int64_t> hls4ml_lut;
  std::optional<double> hls4ml_latency_ns;
  std::string estimates_file;  ///< that estimates.json, relative to the run directory
};

/// A compression stage that made its model worse than its `degradation_warning` allows
/// (metrics.json "degradation" with "exceeded": true).
struct Degraded {
  std::string stage;
  std::string model;
  std::string figure;  ///< on the validation set
  double before = 0, after = 0, change = 0, limit = 0;
};

/// Everything the report and the console summary show about the models.
struct RunSummary {
  std::string teacher, student;          ///< model names with those roles (empty: none)
  std::vector<Evaluation> evaluations;   ///< in stage order
  std::vector<Evaluation> finals;        ///< the last evaluation of each label, teacher first
  std::vector<Compression> compression;  ///< one per final model, teacher and student first
  std::vector<Note> notes;               ///< estimates that could not be computed
  std::vector<Degraded> degraded;        ///< compression stages past their warning
};

/// One line per degraded stage: "stage 'prune_teacher' made 'teacher' worse: validation
/// pt_spread 0.88 -> 1.1 (+25.0 %, warning above 10 %)".
std::string degraded_text(const Degraded& d);

/// Reads the evaluations and computes the compression figures. The teacher's (and any other
/// quantized model's) estimates are computed with estimate_resources() using the part and clock
/// of the export stage's estimates.json (defaults without one); the exported model's come from
/// the export stage's metrics.json "estimates". Never throws for content problems: they become
/// notes.
RunSummary summarize(const RunData& run);

/// A figure from a test object: a number, or NaN when absent or null.
double figure(const nlohmann::json& test, const std::string& key);

/// Role of a model name in `summary` (teacher, student or other).
Role role_of(const RunSummary& summary, const std::string& model);

}  // namespace hlslim::report
