#include "hlslim/util/status.hpp"

namespace hlslim {

const char* status_name(StageStatus status) {
  switch (status) {
    case StageStatus::kPending:
      return "pending";
    case StageStatus::kRunning:
      return "running";
    case StageStatus::kCompleted:
      return "completed";
    case StageStatus::kFailed:
      return "failed";
    case StageStatus::kInterrupted:
      return "interrupted";
  }
  return "?";
}

const char* status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kPartial:
      return "partial";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "?";
}

std::optional<StageStatus> parse_stage_status(const std::string& name) {
  for (auto s : {StageStatus::kPending, StageStatus::kRunning, StageStatus::kCompleted,
                 StageStatus::kFailed, StageStatus::kInterrupted}) {
    if (name == status_name(s)) return s;
  }
  return std::nullopt;
}

std::optional<RunStatus> parse_run_status(const std::string& name) {
  for (auto s : {RunStatus::kRunning, RunStatus::kCompleted, RunStatus::kPartial,
                 RunStatus::kFailed, RunStatus::kInterrupted}) {
    if (name == status_name(s)) return s;
  }
  return std::nullopt;
}

}  // namespace hlslim
