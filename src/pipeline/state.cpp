#include "hlslim/pipeline/state.hpp"

#include <nlohmann/json.hpp>

#include "hlslim/graph/model_file.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {

const Dataset& PipelineState::dataset() {
  if (!dataset_cache) {
    const auto it = artifacts.find("dataset");
    if (it == artifacts.end()) throw Error("no dataset: a data stage must run first");
    auto dataset = std::make_shared<Dataset>(Dataset::load(it->second));
    dataset->task.threshold = threshold;
    dataset->task.plateau_offset = plateau_offset;
    dataset_cache = std::move(dataset);
  }
  return *dataset_cache;
}

void PipelineState::save(const std::filesystem::path& dir,
                         const std::filesystem::path& run_dir) const {
  nlohmann::json index;
  index["models"] = nlohmann::json::object();
  for (const auto& [name, graph] : models) {
    const std::string file = name + ".hlsm";
    save_model(graph, dir / file);
    index["models"][name] = file;
  }
  index["artifacts"] = nlohmann::json::object();
  for (const auto& [name, path] : artifacts) {
    index["artifacts"][name] = path.lexically_relative(run_dir).generic_string();
  }
  write_file_atomic(dir / "state.json", index.dump(2) + "\n");
}

PipelineState PipelineState::load(const std::filesystem::path& dir,
                                  const std::filesystem::path& run_dir) {
  const auto index_path = dir / "state.json";
  PipelineState state;
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(read_file(index_path));
    for (const auto& [name, file] : index.at("models").items())
      state.models[name] = load_model(dir / file.get<std::string>());
    for (const auto& [name, path] : index.at("artifacts").items())
      state.artifacts[name] = (run_dir / path.get<std::string>()).lexically_normal();
  } catch (const nlohmann::json::exception& e) {
    throw FileFormatError("checkpoint '" + index_path.string() + "' is corrupted: " + e.what());
  }
  return state;
}

}  // namespace hlslim
