#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/util/status.hpp"

namespace hlslim {

/// One file a stage wrote, relative to the run directory.
struct ArtifactRecord {
  std::string path;
  std::string sha256;
  std::uint64_t bytes = 0;
};

/// The record of one stage in manifest.json.
struct StageRecord {
  std::string name;
  std::string type;
  std::string dir;          ///< relative to the run directory, e.g. "01-data"
  std::string fingerprint;  ///< hash of the stage's configuration and everything before it
  StageStatus status = StageStatus::kPending;
  std::string started;
  std::string ended;
  double seconds = 0;
  std::string error;
  /// When the stage was linked from another run directory (RunOptions::shared or ::base): that
  /// directory, relative to this run directory; its artifacts are reached through the link.
  std::string shared;
  std::vector<ArtifactRecord> artifacts;
};

/// manifest.json: what a run directory holds and how each stage ended. Written atomically after
/// every change, so it always describes the directory truthfully.
struct Manifest {
  std::string hlslim_version;
  std::string git_commit;
  std::string config = "config.yaml";
  std::string created;
  std::string updated;
  /// The run directory given as --base (relative to this run directory): the run whose matching
  /// stages this one links (each such record names it in `shared`). Empty: none.
  std::string base;
  RunStatus status = RunStatus::kRunning;
  std::vector<StageRecord> stages;

  StageRecord* find(const std::string& name);

  /// Throws hlslim::FileFormatError naming the file when it is not a valid manifest.
  static Manifest load(const std::filesystem::path& path);
  void save(const std::filesystem::path& path) const;
};

}  // namespace hlslim
