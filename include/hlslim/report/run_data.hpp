#pragma once

// Everything the run report reads from a run directory, loaded once and without LibTorch:
// manifest.json, config.yaml, each stage's metrics.json and history*.jsonl, and the model files
// of the last stage that left a checkpoint.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/util/status.hpp"

namespace hlslim::report {

/// One history file of a training stage: one JSON object per epoch.
struct History {
  std::string label;                   ///< "history", "distilled", "baseline", ...
  std::string file;                    ///< relative to the run directory
  std::vector<nlohmann::json> epochs;  ///< one object per line, in order
};

/// One final model: loaded from the checkpoint of the last stage that has one.
struct ModelData {
  std::string name;
  std::string file;  ///< relative to the run directory
  Graph graph;
};

/// One stage as the manifest records it, with what its directory holds.
struct StageData {
  std::string name, type, dir, fingerprint, started, ended, error;
  std::optional<StageStatus> status;  ///< nullopt when the manifest names no known status
  double seconds = 0.0;
  std::optional<nlohmann::json> metrics;  ///< metrics.json (absent: not written or unreadable)
  std::optional<StageResults> results;    ///< results.json (absent: none, or unreadable)
  std::vector<History> histories;
};

/// A problem found while reading a run directory that does not stop the report: a stage file
/// that is missing or does not parse. The report shows each one.
struct Note {
  std::string file;  ///< relative to the run directory
  std::string text;
};

/// The run directory's contents the report uses.
struct RunData {
  std::filesystem::path dir;
  std::string name;         ///< `name:` of config.yaml, else the directory's name
  nlohmann::json manifest;  ///< manifest.json as read
  std::string config_text;  ///< config.yaml verbatim (empty when missing)
  std::vector<StageData> stages;
  std::string models_stage;  ///< the stage whose checkpoint gave `models` (empty: none)
  std::vector<ModelData> models;
  std::vector<Note> notes;
  /// The evaluation settings of evaluation.json (an empty object when the run has none).
  nlohmann::json evaluation_settings = nlohmann::json::object();

  const ModelData* find_model(const std::string& model_name) const;
};

/// Reads a run directory. Throws hlslim::Error with exit code kExitRunDir when `dir` is not a
/// directory or has no manifest.json, and hlslim::FileFormatError naming manifest.json when it
/// does not parse or lacks its "stages" list. Every other missing or damaged file (metrics,
/// history lines, model files, config.yaml) becomes a Note and the rest is still read.
RunData load_run(const std::filesystem::path& dir);

/// Parses one JSON file. Throws hlslim::FileFormatError "FILE: not valid JSON: REASON" or
/// hlslim::Error "FILE: cannot read" naming `display` (default: the path).
nlohmann::json read_json_file(const std::filesystem::path& path, const std::string& display = "");

}  // namespace hlslim::report
