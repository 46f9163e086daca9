#pragma once

// The guard of the compression stages: how much worse a model's validation figure became.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace hlslim {

class OptionTable;

/// One figure of merit on the validation set before and after a compression step.
struct Degradation {
  std::string figure;  ///< e.g. "pt_spread"
  double before = 0;
  double after = 0;
  /// Relative worsening: (after - before) / before for a figure where lower is better,
  /// (before - after) / before where higher is better; negative when the model improved.
  double change = 0;
  double limit = 0;  ///< the warning threshold; 0: never warns
  bool exceeded = false;

  nlohmann::json to_json() const;
};

/// The figure judged: `monitor` when both maps have it, else the first of pt_spread,
/// accuracy, roc_auc that both have; nullopt when they share none of these.
std::optional<Degradation> compare_figures(const std::map<std::string, double>& before,
                                           const std::map<std::string, double>& after,
                                           const std::string& monitor, double limit);

/// Declares the stage option `degradation_warning` (default 0.1) into `limit`.
void declare_degradation_warning(OptionTable& table, double& limit);

/// Logs the comparison: one info line, or a loud warning naming both figures when the limit
/// is exceeded. `what` says what changed the model ("pruning 'teacher'").
void log_degradation(const Degradation& degradation, const std::string& what);

/// Logs how far removing pruned units moved a model's outputs (relative_output_difference());
/// a warning when more than `tolerance`, which rounding alone does not explain.
void log_unit_removal(double change, double tolerance);

}  // namespace hlslim
