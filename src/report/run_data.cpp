#include "hlslim/report/run_data.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "hlslim/graph/model_file.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace fs = std::filesystem;

namespace hlslim::report {
namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A path the manifest names, taken relative to the run directory: it must stay inside it
// (relative, without ".."), whatever the manifest says; a report never reads other files.
bool inside_run(const std::string& relative) {
  const fs::path path(relative);
  if (path.empty() || path.is_absolute() || path.has_root_name() || path.has_root_directory())
    return false;
  for (const auto& part : path) {
    if (part == "..") return false;
  }
  return true;
}

// `name: VALUE` at the top level of config.yaml (the resolved config always writes it).
std::string config_name(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("name:", 0) != 0) continue;
    std::string value = line.substr(5);
    const auto comment = value.find(" #");
    if (comment != std::string::npos) value.resize(comment);
    value.erase(0, value.find_first_not_of(" \t\"'"));
    value.erase(value.find_last_not_of(" \t\"'\r") + 1);
    return value;
  }
  return "";
}

// history.jsonl -> "history", history-baseline.jsonl -> "baseline".
std::string history_label(const std::string& filename) {
  std::string stem = filename.substr(0, filename.size() - std::string(".jsonl").size());
  return stem.rfind("history-", 0) == 0 ? stem.substr(8) : stem;
}

void read_histories(const fs::path& run_dir, StageData& stage, std::vector<Note>& notes) {
  std::error_code ec;
  const fs::path dir = run_dir / stage.dir;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string filename = entry.path().filename().string();
    if (filename.rfind("history", 0) == 0 && entry.path().extension() == ".jsonl") {
      files.push_back(filename);
    }
  }
  std::sort(files.begin(), files.end());
  // The distilled student's history before its baseline's.
  std::stable_partition(files.begin(), files.end(),
                        [](const std::string& f) { return f != "history-baseline.jsonl"; });
  for (const std::string& filename : files) {
    History history;
    history.label = history_label(filename);
    history.file = stage.dir + "/" + filename;
    std::ifstream in(dir / filename);
    std::size_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto epoch = nlohmann::json::parse(line, nullptr, false);
      if (epoch.is_discarded() || !epoch.is_object()) {
        notes.push_back({history.file, "line " + std::to_string(line_number) +
                                           " is not a JSON object; the rest of the file is "
                                           "ignored"});
        break;
      }
      history.epochs.push_back(std::move(epoch));
    }
    stage.histories.push_back(std::move(history));
  }
}

// The models of the last stage that left a checkpoint: the final state of the pipeline.
void read_models(RunData& run) {
  for (auto stage = run.stages.rbegin(); stage != run.stages.rend(); ++stage) {
    std::error_code ec;
    if (stage->dir.empty()) continue;
    const fs::path state = run.dir / stage->dir / "state";
    if (stage->status != StageStatus::kCompleted || !fs::is_directory(state, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(state, ec)) {
      if (entry.path().extension() == ".hlsm") files.push_back(entry.path());
    }
    if (files.empty()) continue;
    std::sort(files.begin(), files.end());
    run.models_stage = stage->name;
    for (const fs::path& file : files) {
      const std::string relative = stage->dir + "/state/" + file.filename().string();
      try {
        run.models.push_back({file.stem().string(), relative, load_model(file)});
      } catch (const std::exception& e) {
        run.notes.push_back({relative, e.what()});
      }
    }
    return;
  }
}

}  // namespace

nlohmann::json read_json_file(const fs::path& path, const std::string& display) {
  const std::string name = display.empty() ? path.string() : display;
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error&) {
    throw Error(name + ": cannot read");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FileFormatError(name + ": not valid JSON: " + e.what());
  }
}

const ModelData* RunData::find_model(const std::string& model_name) const {
  for (const ModelData& model : models) {
    if (model.name == model_name) return &model;
  }
  return nullptr;
}

RunData load_run(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(dir.string() + ": not a directory", kExitRunDir);
  }
  const fs::path manifest_path = dir / "manifest.json";
  if (!fs::exists(manifest_path, ec)) {
    throw Error(dir.string() + ": not a run directory (no manifest.json)", kExitRunDir);
  }
  RunData run;
  run.dir = dir;
  run.manifest = read_json_file(manifest_path);
  if (!run.manifest.is_object() || !run.manifest.contains("stages") ||
      !run.manifest["stages"].is_array()) {
    throw FileFormatError(manifest_path.string() + ": not an hlslim manifest (no \"stages\" list)");
  }
  std::string config_name_in_manifest = string_field(run.manifest, "config");
  if (config_name_in_manifest.empty()) config_name_in_manifest = "config.yaml";
  const fs::path config_path = dir / config_name_in_manifest;
  if (!inside_run(config_name_in_manifest)) {
    run.notes.push_back({"manifest.json", "its config '" + config_name_in_manifest +
                                              "' is outside the run directory; not read"});
  } else if (fs::is_regular_file(config_path, ec)) {
    run.config_text = read_file(config_path);
  } else {
    run.notes.push_back({config_name_in_manifest, "missing"});
  }
  run.name = config_name(run.config_text);
  if (run.name.empty()) run.name = fs::absolute(dir).lexically_normal().filename().string();

  // The figures at the run's evaluation settings replace those its stages computed.
  std::optional<RunEvaluation> evaluation;
  try {
    evaluation = RunEvaluation::load(dir);
    if (evaluation) run.evaluation_settings = evaluation->settings;
  } catch (const Error& e) {
    run.notes.push_back(
        {"evaluation.json", std::string(e.what()) + "; the stages' own figures are shown"});
  }

  for (const nlohmann::json& record : run.manifest["stages"]) {
    if (!record.is_object()) continue;
    StageData stage;
    stage.name = string_field(record, "name");
    stage.type = string_field(record, "type");
    stage.dir = string_field(record, "dir");
    const std::string status = string_field(record, "status");
    stage.status = parse_stage_status(status);
    if (!stage.status && !status.empty()) {
      run.notes.push_back(
          {"manifest.json", "stage '" + stage.name + "' has the unknown status '" + status + "'"});
    }
    stage.fingerprint = string_field(record, "fingerprint");
    stage.started = string_field(record, "started");
    stage.ended = string_field(record, "ended");
    stage.error = string_field(record, "error");
    if (record.contains("seconds") && record["seconds"].is_number()) {
      stage.seconds = record["seconds"].get<double>();
    }
    if (!stage.dir.empty() && !inside_run(stage.dir)) {
      run.notes.push_back({"manifest.json", "stage '" + stage.name + "' has its directory '" +
                                                stage.dir +
                                                "' outside the run directory; not read"});
      stage.dir.clear();
    }
    if (!stage.dir.empty()) {
      const fs::path metrics = dir / stage.dir / "metrics.json";
      const std::string relative = stage.dir + "/metrics.json";
      if (fs::exists(metrics, ec)) {
        try {
          stage.metrics = read_json_file(metrics, relative);
          if (!stage.metrics->is_object()) {
            stage.metrics.reset();
            run.notes.push_back({relative, "not a JSON object; ignored"});
          }
        } catch (const Error& e) {
          run.notes.push_back({relative, e.what()});
        }
      } else if (stage.status == StageStatus::kCompleted) {
        run.notes.push_back({relative, "missing although the stage completed"});
      }
      try {
        stage.results = StageResults::load(dir / stage.dir, stage.dir + "/results.json");
        if (stage.results && evaluation)
          evaluation->apply(stage.dir, stage.fingerprint, *stage.results);
        if (!stage.results && stage.status == StageStatus::kCompleted) {
          run.notes.push_back({stage.dir + "/results.json",
                               "missing although the stage completed (an older hlslim ran "
                               "it): its figures are left out; run the stage again"});
        }
      } catch (const Error& e) {
        run.notes.push_back({stage.dir + "/results.json", e.what()});
      }
      read_histories(dir, stage, run.notes);
    }
    run.stages.push_back(std::move(stage));
  }
  read_models(run);
  return run;
}

}  // namespace hlslim::report
