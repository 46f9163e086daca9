#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/train/runtime.hpp"

namespace hlslim {

/// How the trained models are evaluated (docs/trigger-figures.md). These settings are in no
/// stage's fingerprint: changing them re-evaluates a run without retraining (`--resume`), and
/// sweep points that differ only here share every stage. The one exception: a stage that
/// monitors a figure depending on the threshold (`plateau_eff`) has the first threshold in its
/// fingerprint, because it selects its model by it.
struct EvaluationSettings {
  /// Trigger thresholds on predicted pT, GeV; the first is the one of the figures of merit.
  std::vector<double> thresholds{10.0};
  double turn_on_bin_width = 1.0;     ///< GeV
  double resolution_bin_width = 1.0;  ///< GeV
  double eta_bin_width = 0.075;
  /// The plateau of threshold T starts at T + plateau_offset.
  double plateau_offset = 5.0;
  double crossing_rate_mhz = 40.0;
  double muons_per_crossing = 0.01;
  double spectrum_index = 4.0;

  /// Declares the options into the `evaluation` group.
  void declare(OptionTable& table);
  /// The threshold of the figures of merit.
  double threshold() const { return thresholds.empty() ? 10.0 : thresholds.front(); }
};

/// Settings of a whole run: the top-level keys of a pipeline config besides `models` and
/// `stages`.
struct RunSettings {
  std::string name;
  std::filesystem::path output;  ///< as written; resolve with output_dir()
  std::int64_t seed = 1;
  std::int64_t threads = 0;
  Device device = Device::kCpu;
  EvaluationSettings evaluation;

  /// Declares the settings, bound to this object's fields.
  void declare(OptionTable& table);

  /// The run directory: `output` relative to the config's directory, or runs/<name> under the
  /// current directory when `output` is empty.
  std::filesystem::path output_dir(const std::filesystem::path& config_dir) const;

  /// Number of threads to use: `threads`, or every core when it is 0.
  int thread_count() const;
};

}  // namespace hlslim
