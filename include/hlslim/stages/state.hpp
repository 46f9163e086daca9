#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// What flows from stage to stage: the model graphs and the named artifacts (files or
/// directories inside the run directory, such as a dataset).
struct PipelineState {
  std::map<std::string, Graph> models;
  std::map<std::string, std::filesystem::path> artifacts;  ///< absolute paths

  /// Writes a checkpoint into `dir`: one model file per model and `state.json`, which lists
  /// them and the artifacts (relative to `run_dir`, so a run directory can be moved).
  void save(const std::filesystem::path& dir, const std::filesystem::path& run_dir) const;

  /// Reads a checkpoint written by save(). Throws hlslim::FileFormatError naming the file.
  static PipelineState load(const std::filesystem::path& dir,
                            const std::filesystem::path& run_dir);
};

}  // namespace hlslim
