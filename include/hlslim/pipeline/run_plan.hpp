#pragma once

// What `hlslim run` will do with a run directory, decided before anything is touched: pure
// functions of what the directory holds (its manifest) and what the config asks, so that every
// rule of --resume, --from, --to, --force and shared stages is tested without a file system.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "hlslim/pipeline/manifest.hpp"

namespace hlslim {

/// What the run directory is, as far as the policy cares.
struct DirectoryFacts {
  bool exists = false;
  bool is_directory = false;
  bool empty = true;
  bool has_manifest = false;
  /// Why its manifest.json is not a valid hlslim manifest; empty when it is (or is absent).
  std::string manifest_problem;
};

/// How a run uses its directory.
enum class DirectoryUse {
  kStart,     ///< new or empty: start from the first stage
  kClear,     ///< --force on an hlslim run directory: clear it, then start
  kContinue,  ///< --resume or --from: reuse what its manifest records
};

/// The directory policy. Throws hlslim::Error (exit code 3, naming `dir`) when the directory
/// cannot be used as asked: not a directory; not empty without --resume, --from or --force;
/// not empty and not an hlslim run directory (no valid hlslim manifest) while asked to clear or
/// resume it.
DirectoryUse decide_directory_use(const DirectoryFacts& facts, bool resume, bool force,
                                  bool from_given, const std::string& dir);

/// One stage of the config as the plan compares it with records.
struct PlannedStage {
  std::string name;
  std::string type;
  std::string fingerprint;
};

/// Everything the plan depends on.
struct RunPlanInput {
  std::string dir;  ///< the run directory, for messages
  std::vector<PlannedStage> stages;
  std::size_t first = 0;               ///< --from (0 when not given)
  std::size_t last = 0;                ///< --to (the last stage when not given)
  bool from_given = false;             ///< --from was given: stages before `first` must be reusable
  bool reuse = false;                  ///< --resume or --from: completed stages may be reused
  const Manifest* previous = nullptr;  ///< this directory's manifest, unless starting over
  const Manifest* shared = nullptr;    ///< the manifest of RunOptions::shared or ::base, if any
  /// `shared` is a base run (--base): a stage it linked from elsewhere may be linked too (to
  /// where it lies). A sweep's shared directory never links, so a link there is not followed.
  bool follow_links = false;
  /// Whether the files a completed record lists are all present and unchanged (`shared`: the
  /// record is the shared directory's).
  std::function<bool(const StageRecord& record, bool shared)> intact;
};

/// The plan: stages [0, linked) are linked from the shared directory, [linked, start) are
/// reused from this directory's earlier run, and [start, last] run.
struct RunPlan {
  std::size_t linked = 0;
  std::size_t start = 0;
  std::size_t last = 0;
  /// Per stage: it was interrupted earlier with the same fingerprint, so it continues from its
  /// own checkpoint when its directory is still there.
  std::vector<bool> continues;
};

/// Plans a run. Throws hlslim::Error (exit code 3) when --from names a stage that some stage
/// before it blocks (not completed with the current configuration).
RunPlan plan_run(const RunPlanInput& input);

}  // namespace hlslim
