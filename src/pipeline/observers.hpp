#pragma once

#include <chrono>
#include <filesystem>
#include <functional>

#include "hlslim/pipeline/manifest.hpp"
#include "observer.hpp"

namespace hlslim {

/// Logs each stage's start, end and duration.
class LogObserver : public PipelineObserver {
 public:
  void on_stage_start(const StageEvent& event) override;
  void on_stage_reused(const StageEvent& event) override;
  void on_stage_end(const StageEvent& event, StageContext& context) override;
  void on_stage_failed(const StageEvent& event, const std::string& error) override;
  void on_stage_interrupted(const StageEvent& event, int signal_number) override;

 private:
  std::chrono::steady_clock::time_point started_;
};

/// Writes a completed stage's metrics.json and a checkpoint of the pipeline state into
/// `<stage dir>/state`, from which a later run resumes.
class CheckpointObserver : public PipelineObserver {
 public:
  explicit CheckpointObserver(std::filesystem::path run_dir) : run_dir_(std::move(run_dir)) {}
  void on_stage_end(const StageEvent& event, StageContext& context) override;

 private:
  std::filesystem::path run_dir_;
};

/// Keeps manifest.json current: status and times of each stage, and the SHA-256 of every file
/// a completed stage left in its directory.
class ManifestObserver : public PipelineObserver {
 public:
  ManifestObserver(Manifest& manifest, std::filesystem::path run_dir);
  void on_stage_start(const StageEvent& event) override;
  void on_stage_end(const StageEvent& event, StageContext& context) override;
  void on_stage_failed(const StageEvent& event, const std::string& error) override;
  void on_stage_interrupted(const StageEvent& event, int signal_number) override;
  void on_run_end(RunStatus status) override;

  /// Hashes every file under a stage directory (sorted, relative to the run directory).
  static std::vector<ArtifactRecord> hash_outputs(const std::filesystem::path& stage_dir,
                                                  const std::filesystem::path& run_dir);

 private:
  void finish(StageRecord& record, StageStatus status);
  void save();

  Manifest& manifest_;
  std::filesystem::path run_dir_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace hlslim
