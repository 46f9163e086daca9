#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hlslim {

/// The test figures one stage measured in a point (estimates for an export stage).
struct StageFigures {
  std::string label;  ///< the stage's name, "NAME.student" / "NAME.baseline" for distill roles
  std::map<std::string, double> values;
};

/// A Pareto front of a trigger figure against LUTs (the pT resolution), besides the fronts of
/// the physics figure.
struct ParetoFront {
  std::string figure;  ///< "pt_resolution"
  std::string resource = "lut";
  std::vector<std::size_t> rows;  ///< row indices on the front, by increasing resource
};

/// Where a point of a sweep stands.
enum class PointStatus { kCompleted, kFailed, kInterrupted, kRunning, kMissing };

/// "completed", "failed", "interrupted", "running", "missing" (as in points.csv and sweep.json).
const char* point_status_name(PointStatus status);

/// One point of a collected sweep.
struct SweepRow {
  std::size_t index = 0;
  std::string dir;                  ///< relative to the sweep directory
  std::vector<std::string> values;  ///< one per SweepTable::keys
  PointStatus status = PointStatus::kMissing;
  std::string failed_stage;  ///< the stage that failed, when known
  std::string error;         ///< the error message, from the manifest or the job log
  std::string model;         ///< the final (exported) model
  /// The stage label of the final model's figures ("distill.student", as in SweepRow::stages).
  std::string model_label;
  std::map<std::string, double> figures;    ///< test figures of the final model
  std::map<std::string, double> estimates;  ///< export estimates (lut, latency_ns, ...)
  bool front_lut = false;                   ///< on the Pareto front of the physics figure vs LUTs
  bool front_latency = false;               ///< ... vs latency
  /// The final model classifies into several softmax classes (its test figures come with a
  /// confusion matrix): its headline figure is the top-1 accuracy.
  bool multiclass = false;
  /// Every model's figures, in stage order: the classical reference, each trained, pruned and
  /// quantized model, the distilled student and its baseline, the export's estimates.
  std::vector<StageFigures> stages;
};

/// Mean and sample standard deviation of one figure over the completed points of a group.
struct Spread {
  std::size_t n = 0;
  double mean = 0;
  double std = 0;  ///< sample standard deviation (n - 1); NaN for a single point
};

/// The points that differ only in `seed`: one per combination of the other swept keys.
struct SweepGroup {
  std::vector<std::string> values;  ///< one per SweepTable::keys other than seed
  std::vector<std::size_t> points;  ///< row indices
  std::vector<std::string> seeds;   ///< of the completed points
  /// stage label -> figure -> spread over the completed points, labels in stage order.
  std::vector<std::pair<std::string, std::map<std::string, Spread>>> figures;
  /// Over the completed points: the final model's physics figure (SweepTable::physics), the
  /// export's estimated LUTs and latency [ns]; n = 0 where no point has it.
  Spread physics, lut, latency;
  /// The physics figure of the distilled student's baseline (SweepTable::baseline_label), when
  /// the final model is that student; n = 0 otherwise.
  Spread baseline;
  /// On the Pareto front of the group means: no other group has a mean physics figure at least
  /// as good and a mean LUT count (latency) at least as low, better in one of the two.
  bool front_lut = false;
  bool front_latency = false;
};

/// Every point of a sweep directory, as `hlslim collect` reports them.
struct SweepTable {
  std::string name;
  std::string method;
  std::vector<std::string> keys;
  std::vector<std::string> shared_stages;
  std::vector<SweepRow> rows;
  std::vector<std::string> figure_columns;    ///< figures present in at least one row
  std::vector<std::string> estimate_columns;  ///< estimates present in at least one row
  std::string physics;  ///< the figure of the Pareto plots ("pt_spread"); "" if none
  bool physics_lower_better = true;
  std::vector<std::size_t> front_lut;      ///< row indices, by increasing LUTs
  std::vector<std::size_t> front_latency;  ///< row indices, by increasing latency
  /// Fronts of the trigger figures against LUTs (lower is better), for the figures present:
  /// pt_resolution.
  std::vector<ParetoFront> trigger_fronts;
  /// When `seed` is a swept key: the groups of points that differ only in it, with every
  /// figure's mean and spread over seeds.
  std::vector<std::string> group_keys;  ///< the swept keys other than seed
  std::vector<SweepGroup> groups;
  std::string model_label;     ///< the final model's stage label in the groups ("distill.student")
  std::string baseline_label;  ///< its baseline's ("distill.baseline"); "" without one
  std::vector<std::size_t> group_front_lut;      ///< group indices, by increasing mean LUTs
  std::vector<std::size_t> group_front_latency;  ///< group indices, by increasing mean latency
};

/// Reads SWEEP_DIR/plan.json and every point's manifest, metrics and job log. A point without a
/// manifest is `failed` when its job log (logs/point-K.out) reports an error, else `missing`.
/// Throws hlslim::Error (exit code 3) when the directory holds no plan.json.
SweepTable collect_sweep(const std::filesystem::path& sweep_dir);

/// The table as CSV: index, status, the swept keys, failed_stage, error, figures, estimates,
/// the two Pareto flags and one per trigger front ("pareto_pt_resolution_lut").
std::string sweep_csv(const SweepTable& table);

/// The table as JSON, with the lists of failed and missing points, and the seed groups with
/// their `pareto_lut` and `pareto_latency` flags.
nlohmann::json sweep_json(const SweepTable& table);

/// A self-contained HTML page (inline SVG, no script): the Pareto fronts of the physics figure
/// against LUTs and against latency, the table of every point, and the failed and missing ones;
/// with several seed groups, also the fronts of their means with error bars (the spread over
/// seeds) and the table of seed_fronts_markdown().
std::string sweep_html(const SweepTable& table);

/// The seed groups as CSV, one row per group, stage and figure: the other swept keys, stage,
/// figure, n, mean, std. Empty when `seed` is not swept.
std::string seed_groups_csv(const SweepTable& table);

/// The seed groups as a Markdown table per group (the headline figures of every stage as
/// mean +- std), for the console and for documents, followed by seed_fronts_markdown().
std::string seed_groups_markdown(const SweepTable& table);

/// One Markdown table of every seed group, by increasing mean LUTs (groups without them last):
/// the group's values (shortened by short_group_values()), the number of seeds, the physics
/// figure of the final model and of its baseline, LUTs and latency as mean +- std, and the
/// fronts of the group means the group is on. Empty with fewer than two groups or without a
/// physics figure.
std::string seed_fronts_markdown(const SweepTable& table);

/// Each group's values for one key (SweepTable::group_keys[key]) as a label: the value itself
/// when every value of the key has at most 24 bytes; else the value's 1-based position among
/// the key's values in the plan ("#2"), which seed_fronts_markdown() and the HTML table follow
/// with a legend of the full values.
std::vector<std::string> short_group_values(const SweepTable& table, std::size_t key);

/// Writes sweep.csv, sweep.json and sweep.html into the sweep directory (atomically), and
/// seeds.csv when `seed` is swept.
void write_sweep_reports(const SweepTable& table, const std::filesystem::path& sweep_dir);

}  // namespace hlslim
