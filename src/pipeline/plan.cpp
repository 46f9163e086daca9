#include "hlslim/pipeline/plan.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "hlslim/pipeline/manifest.hpp"
#include "hlslim/pipeline/stage.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/file_lock.hpp"
#include "hlslim/util/files.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// The points' groups of shared stages: one of every point, or one per seed value.
void group_points(SweepPlan& plan) {
  plan.shared_groups.clear();
  plan.point_group.clear();
  if (plan.shared_stages == 0) return;
  for (std::size_t k = 0; k < plan.configs.size(); ++k) {
    const std::int64_t seed = plan.shared_per_seed ? plan.configs[k].settings.seed : -1;
    std::size_t g = 0;
    while (g < plan.shared_groups.size() && plan.shared_groups[g].seed != seed) ++g;
    if (g == plan.shared_groups.size()) {
      SweepPlan::SharedGroup group;
      group.seed = seed;
      group.dir = plan.shared_per_seed ? plan.shared_dir() / ("seed-" + std::to_string(seed))
                                       : plan.shared_dir();
      plan.shared_groups.push_back(group);
    }
    plan.shared_groups[g].points.push_back(k);
    plan.point_group.push_back(g);
  }
}

}  // namespace

const PipelineConfig& SweepPlan::shared_config(std::size_t group) const {
  return shared_per_seed ? configs[shared_groups[group].points.front()] : base;
}

fs::path SweepPlan::point_dir(std::size_t index) const {
  std::size_t width = 4;
  for (std::size_t n = points.empty() ? 0 : points.size() - 1; n >= 10000; n /= 10) ++width;
  std::string number = std::to_string(index);
  if (number.size() < width) number.insert(0, width - number.size(), '0');
  return dir / "points" / number;
}

std::vector<std::string> SweepPlan::shared_stage_names() const {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < shared_stages; ++i) names.push_back(base.stages[i].name);
  return names;
}

std::size_t first_swept_stage(const PipelineConfig& base, const std::vector<std::string>& keys) {
  const std::size_t n = base.stages.size();
  std::size_t first = n;
  for (const auto& key : keys) {
    const auto parts = split_key(key);
    const std::string& head = parts[0];
    // Evaluation settings are in no fingerprint, except the first threshold for a stage that
    // monitors plateau_eff, which the fingerprint comparison of load_sweep() catches.
    if (head == "name" || head == "threads" || head == "evaluation") continue;
    if (head == "models" && parts.size() > 1) {
      for (std::size_t i = 0; i < n; ++i) {
        const auto read = base.stages[i].stage->models_read(base);
        if (std::find(read.begin(), read.end(), parts[1]) != read.end()) {
          first = std::min(first, i);
          break;
        }
      }
      continue;
    }
    if (head == "stages" && parts.size() > 1) {
      try {
        first = std::min(first, static_cast<std::size_t>(std::stoul(parts[1])));
      } catch (const std::exception&) {
        first = 0;
      }
      continue;
    }
    const int index = base.stage_index(head);
    // Anything else (seed, device, the whole model or stage list) changes every stage.
    first = std::min(first, index >= 0 ? static_cast<std::size_t>(index) : std::size_t{0});
  }
  return first;
}

SweepPlan load_sweep(const fs::path& path, const std::vector<std::string>& overrides,
                     const fs::path& output, const StageRegistry& registry) {
  SweepPlan plan;
  plan.config_path = fs::absolute(path).lexically_normal();
  plan.overrides = overrides;
  plan.base = PipelineConfig::load(path, overrides, registry);
  if (!plan.base.sweep) {
    Diagnostics diagnostics;
    diagnostics.error({path.string()},
                      "the config has no 'sweep' block, so there is nothing to sweep; see "
                      "docs/sweeps.md");
    throw ConfigError(diagnostics);
  }
  plan.dir =
      fs::absolute(output.empty() ? plan.base.settings.output_dir(plan.base.source.base_dir())
                                  : output)
          .lexically_normal();
  const SweepSpec& spec = *plan.base.sweep;
  plan.points = expand_sweep(spec);
  for (const auto& point : plan.points) {
    plan.configs.push_back(
        PipelineConfig::load_point(path, overrides, sweep_assignments(spec, point), registry));
  }
  std::vector<std::string> keys;
  bool seed_swept = false;
  for (const auto& parameter : spec.parameters) {
    if (parameter.key == "seed")
      seed_swept = true;
    else
      keys.push_back(parameter.key);
  }
  // The seed changes every stage. Swept with other keys, the points of one seed share the
  // stages before the first one another key changes; swept alone, nothing is shared.
  plan.shared_per_seed = seed_swept && !keys.empty();
  if (seed_swept && keys.empty()) keys.push_back("seed");
  plan.shared_stages = first_swept_stage(plan.base, keys);
  if (plan.shared_stages == 0) plan.shared_per_seed = false;
  group_points(plan);
  // Belt and braces: a shared stage must be configured identically in every point of its
  // group.
  for (std::size_t i = 0; i < plan.shared_stages; ++i) {
    for (std::size_t g = 0; g < plan.shared_groups.size() && i < plan.shared_stages; ++g) {
      const std::string text = plan.shared_config(g).stage_fingerprint_text(i);
      for (const std::size_t k : plan.shared_groups[g].points) {
        if (plan.configs[k].stage_fingerprint_text(i) != text) {
          plan.shared_stages = i;
          break;
        }
      }
    }
  }
  if (plan.shared_stages == 0) {
    plan.shared_per_seed = false;
    group_points(plan);
  }
  return plan;
}

PointStatus point_status(const SweepPlan& plan, std::size_t index) {
  using State = PointStatus::State;
  const fs::path manifest_path = plan.point_dir(index) / "manifest.json";
  std::error_code ec;
  if (!fs::exists(manifest_path, ec)) return {State::kPending, "pending"};
  Manifest manifest;
  try {
    manifest = Manifest::load(manifest_path);
  } catch (const FileFormatError&) {
    return {State::kFailed, "failed (unreadable manifest.json)"};
  }
  for (const auto& record : manifest.stages) {
    if (record.status == StageStatus::kFailed) {
      return {State::kFailed, "failed (" + record.name + ")"};
    }
    if (record.status == StageStatus::kInterrupted) {
      return {State::kFailed, "interrupted (" + record.name + ")"};
    }
  }
  if (manifest.status == RunStatus::kRunning) return {State::kRunning, "running"};
  if (manifest.status != RunStatus::kCompleted) {
    return {State::kPending, "pending (" + std::string(status_name(manifest.status)) + ")"};
  }
  const auto prints = stage_fingerprints(plan.configs[index]);
  bool same = manifest.stages.size() == prints.size();
  for (std::size_t i = 0; same && i < prints.size(); ++i) {
    same = manifest.stages[i].fingerprint == prints[i] &&
           manifest.stages[i].status == StageStatus::kCompleted;
  }
  if (!same) return {State::kStale, "stale (config changed)"};
  return {State::kDone, "done"};
}

bool shared_complete(const SweepPlan& plan) {
  for (std::size_t g = 0; g < plan.shared_groups.size(); ++g) {
    if (!shared_complete(plan, g)) return false;
  }
  return true;
}

bool shared_complete(const SweepPlan& plan, std::size_t group) {
  if (plan.shared_stages == 0) return true;
  const fs::path path = plan.shared_groups.at(group).dir / "manifest.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  Manifest manifest;
  try {
    manifest = Manifest::load(path);
  } catch (const FileFormatError&) {
    return false;
  }
  if (manifest.stages.size() < plan.shared_stages) return false;
  const auto prints = stage_fingerprints(plan.shared_config(group));
  for (std::size_t i = 0; i < plan.shared_stages; ++i) {
    if (manifest.stages[i].status != StageStatus::kCompleted ||
        manifest.stages[i].fingerprint != prints[i])
      return false;
  }
  return true;
}

void write_sweep_plan(const SweepPlan& plan) {
  using json = nlohmann::json;
  const SweepSpec& spec = plan.spec();
  json keys = json::array();
  for (const auto& parameter : spec.parameters) keys.push_back(parameter.key);
  json points = json::array();
  for (const auto& point : plan.points) {
    json values = json::object();
    for (std::size_t i = 0; i < point.texts.size(); ++i)
      values[spec.parameters[i].key] = point.texts[i];
    points.push_back(
        {{"index", point.index},
         {"dir", plan.point_dir(point.index).lexically_relative(plan.dir).generic_string()},
         {"values", values}});
  }
  json j = {{"format", "hlslim-sweep-plan"},
            {"version", 1},
            {"name", plan.base.settings.name},
            {"config", plan.config_path.string()},
            {"overrides", plan.overrides},
            {"method", enum_name(sweep_method_names(), spec.method)},
            {"keys", keys},
            {"shared", {{"dir", "shared"}, {"stages", plan.shared_stage_names()}}},
            {"points", points}};
  if (plan.shared_per_seed) {
    // Where each seed's shared stages lie, by seed.
    json dirs = json::object();
    for (const auto& group : plan.shared_groups) {
      dirs[std::to_string(group.seed)] = group.dir.lexically_relative(plan.dir).generic_string();
    }
    j["shared"]["per_seed"] = true;
    j["shared"]["dirs"] = dirs;
  }
  // Array tasks all call this: leave an identical file alone rather than rewrite it at once.
  const fs::path path = plan.dir / "plan.json";
  const std::string text = j.dump(2) + "\n";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    try {
      if (read_file(path) == text) return;
    } catch (const Error&) {
    }
  }
  write_file_atomic(path, text);
}

void prepare_shared(const SweepPlan& plan) {
  for (std::size_t g = 0; g < plan.shared_groups.size(); ++g) prepare_shared(plan, g);
}

void prepare_shared(const SweepPlan& plan, std::size_t group) {
  if (plan.shared_stages == 0) return;
  const SweepPlan::SharedGroup& g = plan.shared_groups.at(group);
  // dir/shared.lock, or dir/shared/seed-N.lock beside the seed's directory.
  const fs::path lock_path = g.dir.parent_path() / (g.dir.filename().string() + ".lock");
  fs::create_directories(lock_path.parent_path());
  const std::string what = plan.shared_per_seed
                               ? "the shared stages of seed " + std::to_string(g.seed)
                               : std::string("the shared stages");
  std::optional<FileLock> lock = FileLock::try_lock(lock_path, nullptr);
  if (!lock) {
    spdlog::info("waiting for another job that prepares {} ({})", what, lock_path.string());
    lock.emplace(lock_path);
  }
  if (shared_complete(plan, group)) {
    spdlog::info("{} ({}) are complete in {}", what, plan.shared_stage_names().back(),
                 g.dir.string());
    return;
  }
  spdlog::info("preparing {} up to '{}' in {}", what, plan.shared_stage_names().back(),
               g.dir.string());
  RunOptions options;
  options.output = g.dir;
  options.to = plan.base.stages[plan.shared_stages - 1].name;
  options.resume = true;
  run_pipeline(plan.shared_config(group), options);
}

RunResult run_point(const SweepPlan& plan, std::size_t index) {
  if (index >= plan.points.size()) {
    throw Error("--point " + std::to_string(index) + ": the sweep has " +
                    std::to_string(plan.points.size()) + " points (0 to " +
                    std::to_string(plan.points.size() - 1) + ")",
                kExitConfig);
  }
  RunOptions options;
  options.output = plan.point_dir(index);
  options.resume = true;
  if (plan.shared_stages > 0) {
    const std::size_t group = plan.point_group[index];
    prepare_shared(plan, group);
    options.shared = plan.shared_groups[group].dir;
  }
  return run_pipeline(plan.configs[index], options);
}

}  // namespace hlslim
