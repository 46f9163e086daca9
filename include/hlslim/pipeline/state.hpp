#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

class Dataset;

/// What flows from stage to stage: the model graphs and the named artifacts (files or
/// directories inside the run directory, such as a dataset).
struct PipelineState {
  std::map<std::string, Graph> models;
  std::map<std::string, std::filesystem::path> artifacts;  ///< absolute paths
  /// The loaded form of artifacts["dataset"], kept so stages of one process read it once; not
  /// checkpointed (it is rebuilt from the artifact). Use dataset() to get it.
  std::shared_ptr<const Dataset> dataset_cache;
  /// The threshold of the figures of merit and its plateau offset (evaluation settings), given
  /// to the dataset when it is loaded; not checkpointed.
  double threshold = 10.0;
  double plateau_offset = 5.0;

  /// The dataset of artifacts["dataset"], loaded on first use. Throws hlslim::Error when no
  /// data stage ran before.
  const Dataset& dataset();

  /// Writes a checkpoint into `dir`: one model file per model and `state.json`, which lists
  /// them and the artifacts (relative to `run_dir`, so a run directory can be moved).
  void save(const std::filesystem::path& dir, const std::filesystem::path& run_dir) const;

  /// Reads a checkpoint written by save(). Throws hlslim::FileFormatError naming the file.
  static PipelineState load(const std::filesystem::path& dir, const std::filesystem::path& run_dir);
};

}  // namespace hlslim
