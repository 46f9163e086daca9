#pragma once

// How a stage and a run ended, as manifest.json spells them. The code holds these enums; the
// names appear only where JSON is written or read.
#include <optional>
#include <string>

namespace hlslim {

/// A stage's state in manifest.json.
enum class StageStatus { kPending, kRunning, kCompleted, kFailed, kInterrupted };

/// A run's state in manifest.json. `kPartial`: it ended without error but --to stopped it
/// before the last stage, so some stages never ran.
enum class RunStatus { kRunning, kCompleted, kPartial, kFailed, kInterrupted };

/// "pending", "running", "completed", "failed", "interrupted".
const char* status_name(StageStatus status);
/// "running", "completed", "partial", "failed", "interrupted".
const char* status_name(RunStatus status);

/// The status a name stands for, or nullopt.
std::optional<StageStatus> parse_stage_status(const std::string& name);
std::optional<RunStatus> parse_run_status(const std::string& name);

}  // namespace hlslim
