#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace hlslim {

class PipelineConfig;

/// How `hlslim run` uses the run directory.
struct RunOptions {
  std::filesystem::path output;  ///< overrides the config's `output` when not empty
  std::string from;              ///< first stage to run; earlier ones must be complete
  std::string to;                ///< last stage to run
  bool resume = false;           ///< skip stages completed with identical config and inputs
  bool force = false;            ///< clear a previous run directory first
  /// Another run directory (a sweep's shared inputs): its leading stages that completed with
  /// the fingerprints this run computes, and whose files are intact, are linked into this run
  /// directory (relative symlinks) and reused read-only instead of run. Empty: none.
  std::filesystem::path shared;
  /// A completed earlier run directory (`hlslim run --base OLD`): like `shared`, its leading
  /// stages whose fingerprints match this run's are linked read-only, so only the first stage
  /// that differs and those after it run here. Stricter than `shared`: it must be a different
  /// directory holding an hlslim run that ended (completed, or stopped by --to) with at least
  /// one completed stage, and not in use by a run; it is held with a shared lock on its
  /// run.lock for the whole run, so that no run changes it meanwhile. Stages it linked from
  /// elsewhere are linked to where they lie. Never together with `shared`. Empty: none.
  std::filesystem::path base;
};

/// What a run did.
struct RunResult {
  std::filesystem::path run_dir;
  std::vector<std::string> ran;     ///< stages that ran, in order
  std::vector<std::string> reused;  ///< stages skipped because an earlier run completed them
  /// Of `reused`, those linked from RunOptions::shared or RunOptions::base.
  std::vector<std::string> linked;
};

/// Runs the pipeline into its run directory: writes the stamped config, run.log, manifest.json
/// and one numbered directory per stage. Throws hlslim::Error with exit code 3 when the
/// directory cannot be used as asked, hlslim::Interrupted on SIGINT/SIGTERM (the directory is
/// left resumable), hlslim::Error with exit code 3 when RunOptions::base cannot be used (saying
/// why), and hlslim::Error naming the stage when one fails.
RunResult run_pipeline(const PipelineConfig& config, const RunOptions& options);

/// The fingerprint of every stage, as --resume compares them: the stage's configuration and
/// input files, chained with the fingerprint of the stage before. Reads the input files.
std::vector<std::string> stage_fingerprints(const PipelineConfig& config);

/// The directory name of a stage: "01-data".
std::string stage_dir_name(std::size_t index, const std::string& name);

}  // namespace hlslim
