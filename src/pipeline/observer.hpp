#pragma once

#include <filesystem>
#include <string>

namespace hlslim {

class PipelineConfig;
class StageContext;
struct StageEntry;
struct StageRecord;

/// The stage an event is about.
struct StageEvent {
  std::size_t index;  ///< position in the pipeline, from 0
  const StageEntry& entry;
  StageRecord& record;        ///< its manifest record (observers may fill it in)
  std::filesystem::path dir;  ///< absolute stage directory
};

/// Cross-cutting work around stages (logging, timing, outputs, checkpoints, hashes). The runner
/// calls every observer in registration order; stages know nothing of them.
class PipelineObserver {
 public:
  virtual ~PipelineObserver() = default;
  virtual void on_stage_start(const StageEvent& event) { (void)event; }
  /// The stage completed in an earlier run with the same configuration and inputs.
  virtual void on_stage_reused(const StageEvent& event) { (void)event; }
  virtual void on_stage_end(const StageEvent& event, StageContext& context) {
    (void)event;
    (void)context;
  }
  virtual void on_stage_failed(const StageEvent& event, const std::string& error) {
    (void)event;
    (void)error;
  }
  virtual void on_stage_interrupted(const StageEvent& event, int signal_number) {
    (void)event;
    (void)signal_number;
  }
  /// status: completed | failed | interrupted
  virtual void on_run_end(RunStatus status) { (void)status; }
};

}  // namespace hlslim
