#include "observers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/stage.hpp"
#include "hlslim/util/files.hpp"

namespace fs = std::filesystem;

namespace hlslim {

void LogObserver::on_stage_start(const StageEvent& event) {
  started_ = std::chrono::steady_clock::now();
  spdlog::info("stage {} '{}' ({}) started", event.index + 1, event.entry.name, event.entry.type);
}

void LogObserver::on_stage_reused(const StageEvent& event) {
  if (!event.record.shared.empty()) {
    spdlog::info(
        "stage {} '{}' ({}) is linked read-only from {}, which completed it with the "
        "same configuration",
        event.index + 1, event.entry.name, event.entry.type,
        (fs::path(event.record.shared) / event.record.dir).generic_string());
    return;
  }
  spdlog::info(
      "stage {} '{}' ({}) is complete from an earlier run with the same configuration; "
      "reusing it",
      event.index + 1, event.entry.name, event.entry.type);
}

void LogObserver::on_stage_end(const StageEvent& event, StageContext&) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  spdlog::info("stage {} '{}' completed in {:.2f} s", event.index + 1, event.entry.name, seconds);
}

void LogObserver::on_stage_failed(const StageEvent& event, const std::string& error) {
  spdlog::error("stage {} '{}' failed: {}", event.index + 1, event.entry.name, error);
}

void LogObserver::on_stage_interrupted(const StageEvent& event, int signal_number) {
  spdlog::warn(
      "stage {} '{}' interrupted by signal {}; the run directory is resumable "
      "(hlslim run ... --resume)",
      event.index + 1, event.entry.name, signal_number);
}

void CheckpointObserver::on_stage_end(const StageEvent& event, StageContext& context) {
  write_file_atomic(
      event.dir / "metrics.json",
      context.metrics().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  write_file_atomic(
      event.dir / "results.json",
      context.results().to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
          "\n");
  if (!context.timings().empty()) {
    write_file_atomic(event.dir / "timings.json", context.timings().dump(2) + "\n");
  }
  context.state().save(event.dir / "state", run_dir_);
}

ManifestObserver::ManifestObserver(Manifest& manifest, fs::path run_dir)
    : manifest_(manifest), run_dir_(std::move(run_dir)) {}

void ManifestObserver::on_stage_start(const StageEvent& event) {
  started_ = std::chrono::steady_clock::now();
  event.record.status = StageStatus::kRunning;
  event.record.started = utc_timestamp();
  event.record.ended.clear();
  event.record.seconds = 0;
  event.record.error.clear();
  event.record.artifacts.clear();
  save();
}

void ManifestObserver::on_stage_end(const StageEvent& event, StageContext&) {
  event.record.artifacts = hash_outputs(event.dir, run_dir_);
  finish(event.record, StageStatus::kCompleted);
}

void ManifestObserver::on_stage_failed(const StageEvent& event, const std::string& error) {
  event.record.error = error;
  finish(event.record, StageStatus::kFailed);
}

void ManifestObserver::on_stage_interrupted(const StageEvent& event, int) {
  finish(event.record, StageStatus::kInterrupted);
}

void ManifestObserver::on_run_end(RunStatus status) {
  manifest_.status = status;
  save();
}

void ManifestObserver::finish(StageRecord& record, StageStatus status) {
  record.status = status;
  record.ended = utc_timestamp();
  record.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  save();
}

void ManifestObserver::save() {
  manifest_.updated = utc_timestamp();
  manifest_.save(run_dir_ / "manifest.json");
}

std::vector<ArtifactRecord> ManifestObserver::hash_outputs(const fs::path& stage_dir,
                                                           const fs::path& run_dir) {
  std::vector<ArtifactRecord> out;
  if (!fs::exists(stage_dir)) return out;
  for (const auto& item : fs::recursive_directory_iterator(stage_dir)) {
    if (!item.is_regular_file()) continue;
    out.push_back({item.path().lexically_relative(run_dir).generic_string(),
                   sha256_file(item.path()), static_cast<std::uint64_t>(item.file_size())});
  }
  std::sort(out.begin(), out.end(),
            [](const ArtifactRecord& a, const ArtifactRecord& b) { return a.path < b.path; });
  return out;
}

}  // namespace hlslim
