#include "hlslim/stages/runner.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "hlslim/config/pipeline_config.hpp"
#include "hlslim/stages/manifest.hpp"
#include "hlslim/stages/observers.hpp"
#include "hlslim/stages/stage.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "hlslim/util/logging.hpp"
#include "hlslim/util/runtime.hpp"
#include "hlslim/util/text.hpp"
#include "hlslim/version.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

std::vector<std::string> stage_names(const PipelineConfig& config) {
  std::vector<std::string> names;
  for (const auto& entry : config.stages) names.push_back(entry.name);
  return names;
}

int stage_option(const PipelineConfig& config, const std::string& flag,
                 const std::string& name) {
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
  for (const auto& artifact : record.artifacts) {
    const fs::path path = run_dir / artifact.path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) != artifact.bytes ||
        sha256_file(path) != artifact.sha256) {
      spdlog::warn("'{}' is missing or changed since it was written; its stage runs again",
                   artifact.path);
      return false;
    }
  }
  return true;
}

void clear_directory(const fs::path& dir) {
  for (const auto& item : fs::directory_iterator(dir)) fs::remove_all(item.path());
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

RunResult run_pipeline(const PipelineConfig& config, const RunOptions& options) {
  const std::size_t n = config.stages.size();
  const fs::path run_dir =
      fs::absolute(options.output.empty() ? config.settings.output_dir(config.source.base_dir())
                                          : options.output)
          .lexically_normal();
  const std::size_t first =
      options.from.empty() ? 0 : static_cast<std::size_t>(stage_option(config, "--from", options.from));
  const std::size_t last =
      options.to.empty() ? n - 1 : static_cast<std::size_t>(stage_option(config, "--to", options.to));
  if (first > last) {
    throw Error("--from '" + options.from + "' comes after --to '" + options.to + "'", kExitConfig);
  }

  // Decide how to use the directory before touching it.
  std::error_code ec;
  if (fs::exists(run_dir, ec) && !fs::is_directory(run_dir, ec)) {
    throw Error("run directory '" + run_dir.string() + "' exists and is not a directory",
                kExitRunDir);
  }
  const bool non_empty = fs::exists(run_dir, ec) && !fs::is_empty(run_dir, ec);
  const bool has_manifest = fs::exists(run_dir / "manifest.json", ec);
  const bool reuse = options.resume || !options.from.empty();
  if (non_empty && !has_manifest && (options.force || reuse)) {
    throw Error("run directory '" + run_dir.string() +
                    "' is not empty and holds no manifest.json: it is not an hlslim run "
                    "directory, so it is neither cleared nor resumed",
                kExitRunDir);
  }
  if (non_empty && !options.force && !reuse) {
    throw Error("run directory '" + run_dir.string() +
                    "' is not empty; use --resume to continue it or --force to start over",
                kExitRunDir);
  }
  if (options.force && non_empty) {
    spdlog::info("--force: clearing '{}'", run_dir.string());
    clear_directory(run_dir);
  }
  Manifest previous;
  const bool have_previous = !options.force && has_manifest;
  if (have_previous) previous = Manifest::load(run_dir / "manifest.json");

  // The prefix of stages that another run directory completed (a sweep's shared inputs), then
  // the stages after it that can be reused from the earlier run.
  const auto prints = stage_fingerprints(config);
  const fs::path shared_dir =
      options.shared.empty() ? fs::path() : fs::absolute(options.shared).lexically_normal();
  Manifest shared;
  std::size_t linked = 0;
  if (!shared_dir.empty() && fs::exists(shared_dir / "manifest.json", ec)) {
    shared = Manifest::load(shared_dir / "manifest.json");
    while (linked < n && linked < shared.stages.size()) {
      const StageRecord& record = shared.stages[linked];
      const StageEntry& entry = config.stages[linked];
      if (record.name != entry.name || record.type != entry.type ||
          record.fingerprint != prints[linked] || record.status != "completed" ||
          !record.shared.empty() || !outputs_intact(record, shared_dir)) {
        break;
      }
      ++linked;
    }
  }
  std::size_t start = linked;
  if (have_previous && reuse) {
    while (start < n && start < previous.stages.size()) {
      const StageRecord& old = previous.stages[start];
      const StageEntry& entry = config.stages[start];
      if (old.name != entry.name || old.type != entry.type || old.fingerprint != prints[start] ||
          old.status != "completed" || !outputs_intact(old, run_dir)) {
        break;
      }
      ++start;
    }
  }
  if (!options.from.empty()) {
    if (start < first) {
      const std::string blocker = config.stages[start].name;
      throw Error("cannot start at stage '" + options.from + "': stage '" + blocker +
                      "' before it has not completed with the current configuration in '" +
                      run_dir.string() + "'; run with --resume instead",
                  kExitRunDir);
    }
    start = first;
  }
  linked = std::min(linked, start);
  if (start > last) {
    spdlog::info("every stage up to '{}' is complete with the current configuration; nothing to "
                 "run",
                 config.stages[last].name);
  }

  fs::create_directories(run_dir);
  RunLogGuard log_guard(run_dir / "run.log");
  spdlog::info("hlslim {} ({}), run directory {}", version(), git_commit(), run_dir.string());
  const int threads = set_torch_threads(config.settings.thread_count());
  spdlog::info("using {} thread(s) on device {}", threads,
               resolve_device(config.settings.device));

  Manifest manifest;
  manifest.hlslim_version = version();
  manifest.git_commit = git_commit();
  manifest.created = have_previous ? previous.created : utc_timestamp();
  for (std::size_t i = 0; i < n; ++i) {
    if (i < linked) {
      StageRecord record = shared.stages[i];
      record.shared = shared_dir.lexically_relative(run_dir).generic_string();
      link_directory(shared_dir / record.dir, run_dir / record.dir);
      spdlog::info("stage {} '{}' is linked read-only from {}", i + 1, record.name,
                   (shared_dir / record.dir).string());
      manifest.stages.push_back(record);
      continue;
    }
    if (i < start) {
      manifest.stages.push_back(previous.stages[i]);
      continue;
    }
    StageRecord record;
    record.name = config.stages[i].name;
    record.type = config.stages[i].type;
    record.dir = stage_dir_name(i, record.name);
    record.fingerprint = prints[i];
    manifest.stages.push_back(record);
  }

  const std::string stamp = "# Resolved configuration of this run, written by hlslim " +
                            std::string(version()) + " (commit " + git_commit() + ") at " +
                            utc_timestamp() + ".\n";
  write_file_atomic(run_dir / "config.yaml", stamp + config.dump(true, run_dir));

  LogObserver log_observer;
  CheckpointObserver checkpoint_observer(run_dir);
  ManifestObserver manifest_observer(manifest, run_dir);
  // Order matters: outputs are written before the manifest hashes them.
  const std::vector<PipelineObserver*> observers{&log_observer, &checkpoint_observer,
                                                 &manifest_observer};
  auto notify_run_end = [&](const std::string& status) {
    for (auto* o : observers) o->on_run_end(status);
  };

  RunResult result;
  result.run_dir = run_dir;
  PipelineState state;
  if (start > 0) {
    state = PipelineState::load(run_dir / manifest.stages[start - 1].dir / "state", run_dir);
  }
  for (std::size_t i = 0; i < std::min(start, last + 1); ++i) {
    StageEvent event{i, config.stages[i], manifest.stages[i], run_dir / manifest.stages[i].dir};
    for (auto* o : observers) o->on_stage_reused(event);
    result.reused.push_back(config.stages[i].name);
    if (i < linked) result.linked.push_back(config.stages[i].name);
  }

  for (std::size_t i = start; i <= last; ++i) {
    if (const int signal_number = pending_signal()) {
      notify_run_end("interrupted");
      throw Interrupted(signal_number);
    }
    const StageEntry& entry = config.stages[i];
    StageRecord& record = manifest.stages[i];
    const fs::path dir = run_dir / record.dir;
    const bool resuming = have_previous && i < previous.stages.size() &&
                          previous.stages[i].name == entry.name &&
                          previous.stages[i].fingerprint == record.fingerprint &&
                          previous.stages[i].status == "interrupted" && fs::is_directory(dir);
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
      notify_run_end("interrupted");
      throw;
    } catch (const std::exception& e) {
      for (auto* o : observers) o->on_stage_failed(event, e.what());
      notify_run_end("failed");
      const auto* error = dynamic_cast<const Error*>(&e);
      throw Error("stage '" + entry.name + "' failed: " + e.what(),
                  error ? error->exit_code() : kExitRuntime);
    }
    result.ran.push_back(entry.name);
  }

  bool all_done = true;
  for (const auto& record : manifest.stages) all_done = all_done && record.status == "completed";
  notify_run_end(all_done ? "completed" : "partial");
  if (const int signal_number = pending_signal()) throw Interrupted(signal_number);
  return result;
}

}  // namespace hlslim
