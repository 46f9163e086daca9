#include "hlslim/pipeline/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "base_run.hpp"
#include "evaluate_run.hpp"
#include "hlslim/pipeline/manifest.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/run_plan.hpp"
#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/runtime.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/file_lock.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "hlslim/util/logging.hpp"
#include "hlslim/util/text.hpp"
#include "hlslim/version.hpp"
#include "observers.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

std::vector<std::string> stage_names(const PipelineConfig& config) {
  std::vector<std::string> names;
  for (const auto& entry : config.stages) names.push_back(entry.name);
  return names;
}

int stage_option(const PipelineConfig& config, const std::string& flag, const std::string& name) {
  const int index = config.stage_index(name);
  if (index < 0) {
    throw Error(flag + ": no stage named '" + name + "'" + did_you_mean(name, stage_names(config)) +
                    "; stages: " + join(stage_names(config), ", "),
                kExitConfig);
  }
  return index;
}

// A completed stage can be reused only if everything it wrote is still there, unchanged.
bool outputs_intact(const StageRecord& record, const fs::path& run_dir) {
  std::error_code ec;
  if (!record.shared.empty() && !fs::is_directory(run_dir / record.dir, ec)) {
    spdlog::warn("stage '{}' was linked from '{}', which no longer holds it; it runs again here",
                 record.name, record.shared);
    return false;
  }
  for (const auto& artifact : record.artifacts) {
    const fs::path path = run_dir / artifact.path;
    if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) != artifact.bytes ||
        sha256_file(path) != artifact.sha256) {
      spdlog::warn("'{}' is missing or changed since it was written; its stage runs again",
                   artifact.path);
      return false;
    }
  }
  return true;
}

// The file that locks a run directory while a run uses it.
constexpr const char* kLockFile = "run.lock";

// Whether `name` is a file hlslim writes at the top of a run directory (or a temporary of one).
bool written_by_hlslim(const std::string& name) {
  for (const char* known :
       {"manifest.json", "config.yaml", "run.log", "evaluation.json", "report"}) {
    const std::string prefix = std::string(known) + ".tmp.";
    if (name == known || name.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

// --force: removes what an earlier run wrote (its stage directories, manifest, config, log,
// evaluation and report) and nothing else; files hlslim did not write stay, and are named. An entry
// that is not hlslim's but has the name of a stage directory this run will write is refused before
// anything is removed.
void clear_run_directory(const fs::path& dir, const Manifest& manifest,
                         const std::vector<std::string>& new_stage_dirs) {
  std::vector<std::string> stage_dirs;
  for (const auto& record : manifest.stages) stage_dirs.push_back(record.dir);
  const auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  std::vector<fs::path> remove;
  std::vector<std::string> kept;
  for (const auto& item : fs::directory_iterator(dir)) {
    const std::string name = item.path().filename().string();
    if (name == kLockFile) continue;
    if (listed(stage_dirs, name) || written_by_hlslim(name)) {
      remove.push_back(item.path());
    } else if (listed(new_stage_dirs, name)) {
      throw Error("run directory '" + dir.string() + "' holds '" + name +
                      "', which hlslim did not write but this run would replace; move it away "
                      "first (nothing was removed)",
                  kExitRunDir);
    } else {
      kept.push_back(name);
    }
  }
  for (const auto& path : remove) fs::remove_all(path);
  if (!kept.empty()) {
    std::sort(kept.begin(), kept.end());
    spdlog::warn("--force left {} entr{} that hlslim did not write in '{}': {}", kept.size(),
                 kept.size() == 1 ? "y" : "ies", dir.string(), join(kept, ", "));
  }
}

// Removes the temporaries of top-level files that a killed run was writing (under the lock no
// other run writes here). A stage's own temporaries go with its directory when it runs again.
void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    const std::string name = item.path().filename().string();
    if (written_by_hlslim(name) && name.find(".tmp.") != std::string::npos) {
      spdlog::debug("removing '{}', left by a run that was killed", name);
      fs::remove_all(item.path(), ec);
    }
  }
}

// Takes the run directory's lock for the whole run, or says who holds it.
FileLock lock_run_directory(const fs::path& dir) {
  LockHolder holder;
  std::optional<FileLock> lock = FileLock::try_lock(dir / kLockFile, holder);
  if (!lock && holder.readers) {
    throw Error("run directory '" + dir.string() +
                    "' is being read as --base by another hlslim run; wait for it to end, or "
                    "stop it first",
                kExitRunDir);
  }
  if (!lock) {
    throw Error("run directory '" + dir.string() + "' is in use by another hlslim run" +
                    (holder.pid > 0 ? " (pid " + std::to_string(holder.pid) + ")" : std::string()) +
                    "; wait for it to end, or stop it first",
                kExitRunDir);
  }
  return std::move(*lock);
}

// Replaces whatever is at `link` by a relative symlink to `target`, unless it already is one.
void link_directory(const fs::path& target, const fs::path& link) {
  const fs::path relative = target.lexically_relative(link.parent_path());
  std::error_code ec;
  if (fs::is_symlink(link, ec) && fs::read_symlink(link, ec) == relative) return;
  fs::remove_all(link);
  fs::create_directory_symlink(relative, link);
}

class RunLogGuard {
 public:
  explicit RunLogGuard(const fs::path& path) { attach_run_log(path); }
  ~RunLogGuard() { detach_run_log(); }
};

}  // namespace

// Fingerprint of each stage: its configuration and input files, chained with the fingerprint of
// the stage before, so a change anywhere invalidates everything after it.
std::vector<std::string> stage_fingerprints(const PipelineConfig& config) {
  std::vector<std::string> out;
  std::string previous;
  for (std::size_t i = 0; i < config.stages.size(); ++i) {
    std::string text = previous + "\n" + config.stage_fingerprint_text(i);
    for (const auto& file : config.stages[i].stage->input_files()) {
      text += "input " + file.string() + " " + sha256_file(file) + "\n";
    }
    previous = sha256_hex(text);
    out.push_back(previous);
  }
  return out;
}

std::string stage_dir_name(std::size_t index, const std::string& name) {
  std::string number = std::to_string(index + 1);
  if (number.size() < 2) number.insert(0, 2 - number.size(), '0');
  return number + "-" + name;
}

namespace {

// Says how much of the base run this run reuses and where it starts to differ.
void log_base_plan(const PipelineConfig& config, const RunPlan& plan, const BaseRun& base) {
  const std::size_t n = config.stages.size();
  if (plan.linked == 0) {
    spdlog::warn(
        "--base {}: no stage is linked from it (its first stage, '{}', differs from this "
        "configuration, its files changed, or --from starts there); every stage runs "
        "here",
        base.dir.string(), config.stages[0].name);
    return;
  }
  spdlog::info(
      "--base {}: {} of {} stage(s) linked read-only from it ({} to '{}'){}", base.dir.string(),
      plan.linked, n, config.stages[0].name, config.stages[plan.linked - 1].name,
      plan.linked < n ? "; from '" + config.stages[plan.linked].name + "' on, stages run here"
                      : std::string("; nothing differs"));
}

// --from / --to as stage indices.
std::pair<std::size_t, std::size_t> stage_range(const PipelineConfig& config,
                                                const RunOptions& options) {
  const std::size_t first =
      options.from.empty() ? 0
                           : static_cast<std::size_t>(stage_option(config, "--from", options.from));
  const std::size_t last = options.to.empty()
                               ? config.stages.size() - 1
                               : static_cast<std::size_t>(stage_option(config, "--to", options.to));
  if (first > last) {
    throw Error("--from '" + options.from + "' comes after --to '" + options.to + "'", kExitConfig);
  }
  return {first, last};
}

DirectoryFacts directory_facts(const fs::path& dir) {
  std::error_code ec;
  DirectoryFacts facts;
  facts.exists = fs::exists(dir, ec);
  facts.is_directory = fs::is_directory(dir, ec);
  facts.empty = true;
  if (facts.is_directory) {
    for (const auto& item : fs::directory_iterator(dir, ec)) {
      if (item.path().filename() != kLockFile) facts.empty = false;
    }
  }
  facts.has_manifest = fs::exists(dir / "manifest.json", ec);
  if (facts.has_manifest) {
    try {
      Manifest::load(dir / "manifest.json");
    } catch (const Error& e) {
      facts.manifest_problem = e.what();
    }
  }
  return facts;
}

// The manifest the run starts from: linked records from the shared directory, reused records of
// the earlier run, fresh records for the stages that run.
Manifest initial_manifest(const PipelineConfig& config, const RunPlan& plan,
                          const std::vector<std::string>& prints, const Manifest* previous,
                          const Manifest& shared, const fs::path& shared_dir,
                          const fs::path& run_dir) {
  Manifest manifest;
  manifest.hlslim_version = version();
  manifest.git_commit = git_commit();
  manifest.created = previous ? previous->created : utc_timestamp();
  for (std::size_t i = 0; i < config.stages.size(); ++i) {
    if (i < plan.linked) {
      StageRecord record = shared.stages[i];
      // A stage the base run linked itself is linked to where it lies, not through a link.
      const fs::path origin =
          record.shared.empty() ? shared_dir : (shared_dir / record.shared).lexically_normal();
      record.shared = origin.lexically_relative(run_dir).generic_string();
      link_directory(origin / record.dir, run_dir / record.dir);
      spdlog::debug("stage {} '{}' is linked read-only from {}", i + 1, record.name,
                    (origin / record.dir).string());
      manifest.stages.push_back(record);
    } else if (i < plan.start) {
      manifest.stages.push_back(previous->stages[i]);
    } else {
      StageRecord record;
      record.name = config.stages[i].name;
      record.type = config.stages[i].type;
      record.dir = stage_dir_name(i, record.name);
      record.fingerprint = prints[i];
      // Still interrupted until it starts again: a run stopped before then keeps the checkpoint.
      if (plan.continues[i]) record.status = StageStatus::kInterrupted;
      manifest.stages.push_back(record);
    }
  }
  return manifest;
}

// Runs stages [plan.start, plan.last] with the observers around each; reports reused ones.
void execute(const PipelineConfig& config, const RunPlan& plan, Manifest& manifest,
             const fs::path& run_dir, RunResult& result) {
  LogObserver log_observer;
  CheckpointObserver checkpoint_observer(run_dir);
  ManifestObserver manifest_observer(manifest, run_dir);
  // Order matters: outputs are written before the manifest hashes them.
  const std::vector<PipelineObserver*> observers{&log_observer, &checkpoint_observer,
                                                 &manifest_observer};
  auto notify_run_end = [&](RunStatus status) {
    for (auto* o : observers) o->on_run_end(status);
  };

  PipelineState state;
  if (plan.start > 0) {
    state = PipelineState::load(run_dir / manifest.stages[plan.start - 1].dir / "state", run_dir);
  }
  state.threshold = config.settings.evaluation.threshold();
  state.plateau_offset = config.settings.evaluation.plateau_offset;
  // Written again once the stages are done; until then the stages' own figures stand.
  fs::remove(run_dir / "evaluation.json");
  for (std::size_t i = 0; i < std::min(plan.start, plan.last + 1); ++i) {
    StageEvent event{i, config.stages[i], manifest.stages[i], run_dir / manifest.stages[i].dir};
    for (auto* o : observers) o->on_stage_reused(event);
    result.reused.push_back(config.stages[i].name);
    if (i < plan.linked) result.linked.push_back(config.stages[i].name);
  }

  for (std::size_t i = plan.start; i <= plan.last; ++i) {
    if (const int signal_number = pending_signal()) {
      notify_run_end(RunStatus::kInterrupted);
      throw Interrupted(signal_number);
    }
    const StageEntry& entry = config.stages[i];
    StageRecord& record = manifest.stages[i];
    const fs::path dir = run_dir / record.dir;
    const bool resuming = plan.continues[i] && fs::is_directory(dir);
    if (!resuming) fs::remove_all(dir);
    fs::create_directories(dir);

    StageEvent event{i, entry, record, dir};
    for (auto* o : observers) o->on_stage_start(event);
    StageContext context(state, config, entry.name, dir, run_dir, resuming);
    try {
      entry.stage->run(context);
      for (auto* o : observers) o->on_stage_end(event, context);
    } catch (const Interrupted& e) {
      for (auto* o : observers) o->on_stage_interrupted(event, e.signal_number());
      notify_run_end(RunStatus::kInterrupted);
      throw;
    } catch (const std::exception& e) {
      for (auto* o : observers) o->on_stage_failed(event, e.what());
      notify_run_end(RunStatus::kFailed);
      const auto* error = dynamic_cast<const Error*>(&e);
      throw Error("stage '" + entry.name + "' failed: " + e.what(),
                  error ? error->exit_code() : kExitRuntime);
    }
    result.ran.push_back(entry.name);
  }

  // Every figure at the current evaluation settings, from the predictions the stages saved.
  if (state.artifacts.count("dataset")) {
    try {
      evaluate_run(run_dir, manifest, config.settings.evaluation, state.dataset());
    } catch (const std::exception& e) {
      notify_run_end(RunStatus::kFailed);
      const auto* error = dynamic_cast<const Error*>(&e);
      throw Error(std::string("the evaluation failed: ") + e.what(),
                  error ? error->exit_code() : kExitRuntime);
    }
  }

  bool all_done = true;
  for (const auto& record : manifest.stages)
    all_done = all_done && record.status == StageStatus::kCompleted;
  notify_run_end(all_done ? RunStatus::kCompleted : RunStatus::kPartial);
}

}  // namespace

RunResult run_pipeline(const PipelineConfig& config, const RunOptions& options) {
  const fs::path run_dir =
      fs::absolute(options.output.empty() ? config.settings.output_dir(config.source.base_dir())
                                          : options.output)
          .lexically_normal();
  const auto [first, last] = stage_range(config, options);
  if (!options.base.empty() && !options.shared.empty()) {
    throw Error("a run takes either a base run or a sweep's shared stages, not both", kExitConfig);
  }
  // The base run is checked, and locked for reading, before the run directory is touched.
  std::optional<BaseRun> base;
  if (!options.base.empty()) {
    base = open_base_run(fs::absolute(options.base).lexically_normal(), run_dir);
  }

  // Lock the directory, then decide how to use it and what to run before touching anything
  // else: no other run can change it from here on.
  std::error_code ec;
  if (fs::exists(run_dir, ec) && !fs::is_directory(run_dir, ec)) {
    throw Error("run directory '" + run_dir.string() + "' exists and is not a directory",
                kExitRunDir);
  }
  create_output_directory(run_dir, "run directory");
  const FileLock lock = lock_run_directory(run_dir);
  const DirectoryUse use =
      decide_directory_use(directory_facts(run_dir), options.resume, options.force,
                           !options.from.empty(), run_dir.string());
  Manifest previous;
  const bool have_previous = use == DirectoryUse::kContinue;
  if (have_previous || use == DirectoryUse::kClear) {
    previous = Manifest::load(run_dir / "manifest.json");
  }
  // A variant that continues reads the runs it links stages from as it read its base: they are
  // locked the same way (a sweep's points read the shared stages under the sweep's own lock).
  std::vector<FileLock> linked_locks;
  if (use == DirectoryUse::kContinue && !previous.base.empty()) {
    linked_locks = lock_linked_runs(previous, run_dir);
  }
  if (use == DirectoryUse::kContinue) remove_stale_temporaries(run_dir);
  if (use == DirectoryUse::kClear) {
    std::vector<std::string> new_stage_dirs;
    for (std::size_t i = 0; i < config.stages.size(); ++i) {
      new_stage_dirs.push_back(stage_dir_name(i, config.stages[i].name));
    }
    spdlog::info("--force: clearing the earlier run in '{}'", run_dir.string());
    clear_run_directory(run_dir, previous, new_stage_dirs);
  }
  fs::path shared_dir =
      options.shared.empty() ? fs::path() : fs::absolute(options.shared).lexically_normal();
  Manifest shared;
  bool have_shared = !shared_dir.empty() && fs::exists(shared_dir / "manifest.json", ec);
  if (have_shared) shared = Manifest::load(shared_dir / "manifest.json");
  if (base) {
    shared_dir = base->dir;
    shared = base->manifest;
    have_shared = true;
  }

  const auto prints = stage_fingerprints(config);
  RunPlanInput input;
  input.dir = run_dir.string();
  for (std::size_t i = 0; i < config.stages.size(); ++i) {
    input.stages.push_back({config.stages[i].name, config.stages[i].type, prints[i]});
  }
  input.first = first;
  input.last = last;
  input.from_given = !options.from.empty();
  input.reuse = options.resume || !options.from.empty();
  input.previous = have_previous ? &previous : nullptr;
  input.shared = have_shared ? &shared : nullptr;
  input.follow_links = base.has_value();
  input.intact = [&](const StageRecord& record, bool in_shared) {
    return outputs_intact(record, in_shared ? shared_dir : run_dir);
  };
  const RunPlan plan = plan_run(input);
  if (plan.start > last) {
    spdlog::info(
        "every stage up to '{}' is complete with the current configuration; nothing to "
        "run",
        config.stages[last].name);
  }

  // The manifest comes first: a run killed at any later moment leaves a directory that
  // --resume recognizes as hlslim's.
  Manifest manifest = initial_manifest(config, plan, prints, have_previous ? &previous : nullptr,
                                       shared, shared_dir, run_dir);
  if (base) {
    manifest.base = base->dir.lexically_relative(run_dir).generic_string();
  } else if (have_previous) {
    manifest.base = previous.base;
  }
  manifest.updated = utc_timestamp();
  manifest.save(run_dir / "manifest.json");
  RunLogGuard log_guard(run_dir / "run.log");
  spdlog::info("hlslim {} ({}), run directory {}", version(), git_commit(), run_dir.string());
  if (base) log_base_plan(config, plan, *base);
  const int threads = set_torch_threads(config.settings.thread_count());
  spdlog::info("using {} thread(s) on device {}", threads, resolve_device(config.settings.device));
  const std::string stamp = "# Resolved configuration of this run, written by hlslim " +
                            std::string(version()) + " (commit " + git_commit() + ") at " +
                            utc_timestamp() + ".\n";
  write_file_atomic(run_dir / "config.yaml", stamp + config.dump(true, "."));

  RunResult result;
  result.run_dir = run_dir;
  execute(config, plan, manifest, run_dir, result);
  if (const int signal_number = pending_signal()) throw Interrupted(signal_number);
  return result;
}

}  // namespace hlslim
