#include "hlslim/train/degradation.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

#include "hlslim/config/options.hpp"
#include "hlslim/train/train_options.hpp"

namespace hlslim {

nlohmann::json Degradation::to_json() const {
  return {{"figure", figure}, {"before", before}, {"after", after},
          {"change", change}, {"limit", limit},   {"exceeded", exceeded}};
}

std::optional<Degradation> compare_figures(const std::map<std::string, double>& before,
                                           const std::map<std::string, double>& after,
                                           const std::string& monitor, double limit) {
  std::string figure;
  for (const std::string& candidate :
       {monitor, std::string("pt_spread"), std::string("accuracy"), std::string("roc_auc")}) {
    if (before.count(candidate) && after.count(candidate)) {
      figure = candidate;
      break;
    }
  }
  if (figure.empty()) return std::nullopt;
  Degradation d;
  d.figure = figure;
  d.before = before.at(figure);
  d.after = after.at(figure);
  const double worse = figure_maximizes(figure) ? d.before - d.after : d.after - d.before;
  d.change = d.before != 0 ? worse / std::abs(d.before) : 0.0;
  d.limit = limit;
  // A model that stops giving a number has degraded; one that starts giving one has not.
  d.exceeded = limit > 0 && (std::isnan(d.after) ? !std::isnan(d.before) : d.change > limit);
  return d;
}

void declare_degradation_warning(OptionTable& table, double& limit) {
  table
      .add_float("degradation_warning", limit, 0.1,
                 "Warn loudly, in the log and the report, when the model's monitored validation "
                 "figure (pt_spread by default) gets worse than before the stage by more than "
                 "this fraction; 0: never.")
      .min(0);
}

void log_degradation(const Degradation& d, const std::string& what) {
  if (d.exceeded) {
    spdlog::warn(
        "*** {} made the model worse: validation {} {:.4g} -> {:.4g} ({:+.1f} %, "
        "warning above {:.0f} %) ***",
        what, d.figure, d.before, d.after, 100.0 * d.change, 100.0 * d.limit);
  } else {
    spdlog::info("{}: validation {} {:.4g} -> {:.4g} ({:+.1f} %)", what, d.figure, d.before,
                 d.after, 100.0 * d.change);
  }
}

void log_unit_removal(double change, double tolerance) {
  if (change > tolerance) {
    spdlog::warn(
        "removing the pruned units moved the model's outputs by up to {:.3g} of their "
        "largest value on the validation set; the selected epoch validated before the "
        "removal",
        change);
  } else {
    spdlog::info(
        "removing the pruned units moved the outputs by at most {:.3g} of their largest "
        "value (rounding)",
        change);
  }
}

}  // namespace hlslim
