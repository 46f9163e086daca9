#pragma once

// The base run of `hlslim run --base OLD`: an earlier run directory whose matching stages a new
// run links instead of running them again. Only read, never written (except that an empty
// run.lock is created in it if missing, to lock it).
#include <filesystem>
#include <vector>

#include "hlslim/pipeline/manifest.hpp"
#include "hlslim/util/file_lock.hpp"

namespace hlslim {

/// An opened base run: its absolute directory, its manifest and the locks that keep other runs
/// from changing it and the runs it links stages from.
struct BaseRun {
  std::filesystem::path dir;
  Manifest manifest;
  /// Shared flock()s on the run.lock of the base and of each run its stages are linked from:
  /// runs that only read a directory share them, while a run that writes there (which takes
  /// it exclusively) is refused. Released when destroyed.
  std::vector<FileLock> locks;
};

/// Opens `base` for a run into `run_dir` (both absolute). Throws hlslim::Error (exit code 3)
/// saying why and what to do when it cannot serve as a base: missing or not a directory; the
/// same directory as `run_dir`, or one inside the other; no valid hlslim manifest; in use by
/// another run; a run that did not end cleanly (a stage running, interrupted or failed);
/// nothing completed. Each run the base links stages from (a variant of a variant reads them
/// directly) is locked the same way and refused when one of the stages linked from it that it
/// still holds is not completed there; how that run ended otherwise does not matter (it may
/// have failed since at a later stage). One deleted since is skipped (the stages linked from it
/// no longer match and run again). A run directory without run.lock gets one; one that is not
/// writable is read unlocked, after a warning.
BaseRun open_base_run(const std::filesystem::path& base, const std::filesystem::path& run_dir);

/// Takes a shared lock on each run that the stages of `manifest`, the manifest of `run_dir`
/// (absolute) that a run continues, are linked from (those that still exist), so that no run
/// writes there while this one reads them. Throws hlslim::Error (exit code 3) naming the first
/// one that another run holds.
std::vector<FileLock> lock_linked_runs(const Manifest& manifest,
                                       const std::filesystem::path& run_dir);

}  // namespace hlslim
