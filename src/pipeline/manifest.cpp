#include "hlslim/pipeline/manifest.hpp"

#include <nlohmann/json.hpp>

#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

using json = nlohmann::json;

json to_json(const StageRecord& r) {
  json artifacts = json::array();
  for (const auto& a : r.artifacts)
    artifacts.push_back({{"path", a.path}, {"sha256", a.sha256}, {"bytes", a.bytes}});
  json j = {{"name", r.name},
            {"type", r.type},
            {"dir", r.dir},
            {"fingerprint", r.fingerprint},
            {"status", status_name(r.status)},
            {"started", r.started},
            {"ended", r.ended},
            {"seconds", r.seconds},
            {"artifacts", artifacts}};
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.shared.empty()) j["shared"] = r.shared;
  return j;
}

StageRecord stage_from_json(const json& j) {
  StageRecord r;
  r.name = j.at("name").get<std::string>();
  r.type = j.at("type").get<std::string>();
  r.dir = j.at("dir").get<std::string>();
  // A stage directory is one name inside the run directory: --force removes it and --resume
  // writes into it, so it must not reach anywhere else.
  if (r.dir.empty() || r.dir == "." || r.dir == ".." || r.dir.find('/') != std::string::npos) {
    throw std::invalid_argument("stage '" + r.name + "' has the directory '" + r.dir +
                                "', which is not a name inside the run directory");
  }
  r.fingerprint = j.at("fingerprint").get<std::string>();
  const std::string status = j.at("status").get<std::string>();
  const auto parsed = parse_stage_status(status);
  if (!parsed)
    throw std::invalid_argument("stage '" + r.name + "' has the unknown status '" + status + "'");
  r.status = *parsed;
  r.started = j.value("started", "");
  r.ended = j.value("ended", "");
  r.seconds = j.value("seconds", 0.0);
  r.error = j.value("error", "");
  r.shared = j.value("shared", "");
  for (const auto& a : j.at("artifacts")) {
    r.artifacts.push_back({a.at("path").get<std::string>(), a.at("sha256").get<std::string>(),
                           a.at("bytes").get<std::uint64_t>()});
  }
  return r;
}

}  // namespace

StageRecord* Manifest::find(const std::string& name) {
  for (auto& stage : stages)
    if (stage.name == name) return &stage;
  return nullptr;
}

Manifest Manifest::load(const std::filesystem::path& path) {
  Manifest m;
  try {
    const json j = json::parse(read_file(path));
    m.hlslim_version = j.at("hlslim_version").get<std::string>();
    m.git_commit = j.at("git_commit").get<std::string>();
    m.config = j.at("config").get<std::string>();
    m.created = j.at("created").get<std::string>();
    m.updated = j.at("updated").get<std::string>();
    const std::string status = j.at("status").get<std::string>();
    const auto parsed = parse_run_status(status);
    if (!parsed) throw std::invalid_argument("the unknown status '" + status + "'");
    m.status = *parsed;
    m.base = j.value("base", "");
    for (const auto& s : j.at("stages")) m.stages.push_back(stage_from_json(s));
  } catch (const json::exception& e) {
    throw FileFormatError("manifest '" + path.string() + "' is not valid: " + e.what(),
                          kExitRunDir);
  } catch (const std::invalid_argument& e) {
    throw FileFormatError("manifest '" + path.string() + "' is not valid: " + e.what(),
                          kExitRunDir);
  }
  return m;
}

void Manifest::save(const std::filesystem::path& path) const {
  json stages_json = json::array();
  for (const auto& s : stages) stages_json.push_back(to_json(s));
  json j = {{"hlslim_version", hlslim_version},
            {"git_commit", git_commit},
            {"config", config},
            {"created", created},
            {"updated", updated},
            {"status", status_name(status)},
            {"stages", stages_json}};
  if (!base.empty()) j["base"] = base;
  // An error message may carry any bytes (a file name, a library's text): invalid UTF-8 is
  // replaced, so the manifest is always written and never stays "running".
  write_file_atomic(path, j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace hlslim
