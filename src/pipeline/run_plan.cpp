#include "hlslim/pipeline/run_plan.hpp"

#include <algorithm>

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// A record that a stage of this config may reuse instead of running.
bool reusable(const StageRecord& record, const PlannedStage& stage) {
  return record.name == stage.name && record.type == stage.type &&
         record.fingerprint == stage.fingerprint && record.status == StageStatus::kCompleted;
}

}  // namespace

DirectoryUse decide_directory_use(const DirectoryFacts& facts, bool resume, bool force,
                                  bool from_given, const std::string& dir) {
  if (facts.exists && !facts.is_directory) {
    throw Error("run directory '" + dir + "' exists and is not a directory", kExitRunDir);
  }
  const bool non_empty = facts.exists && !facts.empty;
  const bool reuse = resume || from_given;
  if (non_empty && !facts.has_manifest && (force || reuse)) {
    throw Error("run directory '" + dir +
                    "' is not empty and holds no manifest.json: it is not an hlslim run "
                    "directory, so it is neither cleared nor resumed",
                kExitRunDir);
  }
  if (non_empty && facts.has_manifest && !facts.manifest_problem.empty() && (force || reuse)) {
    throw Error("run directory '" + dir +
                    "' holds a manifest.json that is not an hlslim manifest, so it is neither "
                    "cleared nor resumed: " +
                    facts.manifest_problem,
                kExitRunDir);
  }
  if (non_empty && !force && !reuse) {
    throw Error("run directory '" + dir +
                    "' is not empty; use --resume to continue it or --force to start over",
                kExitRunDir);
  }
  if (force) return non_empty ? DirectoryUse::kClear : DirectoryUse::kStart;
  return facts.has_manifest && reuse ? DirectoryUse::kContinue : DirectoryUse::kStart;
}

RunPlan plan_run(const RunPlanInput& input) {
  const std::size_t n = input.stages.size();
  RunPlan plan;
  plan.last = input.last;
  // The leading stages another run directory completed with the same fingerprints (a sweep's
  // shared inputs, or a base run) and, for a sweep, that were not themselves linked from
  // elsewhere.
  if (input.shared) {
    const auto& records = input.shared->stages;
    while (plan.linked < n && plan.linked < records.size()) {
      const StageRecord& record = records[plan.linked];
      if (!reusable(record, input.stages[plan.linked]) ||
          (!record.shared.empty() && !input.follow_links) || !input.intact(record, true)) {
        break;
      }
      ++plan.linked;
    }
  }
  // Then the stages this directory's earlier run completed.
  plan.start = plan.linked;
  if (input.previous && input.reuse) {
    const auto& records = input.previous->stages;
    while (plan.start < n && plan.start < records.size()) {
      const StageRecord& record = records[plan.start];
      if (!reusable(record, input.stages[plan.start]) || !input.intact(record, false)) break;
      ++plan.start;
    }
  }
  if (input.from_given) {
    if (plan.start < input.first) {
      throw Error("cannot start at stage '" + input.stages[input.first].name + "': stage '" +
                      input.stages[plan.start].name +
                      "' before it has not completed with the current configuration in '" +
                      input.dir + "'; run with --resume instead",
                  kExitRunDir);
    }
    plan.start = input.first;
  }
  plan.linked = std::min(plan.linked, plan.start);
  plan.continues.assign(n, false);
  if (input.previous) {
    const auto& records = input.previous->stages;
    for (std::size_t i = plan.start; i < n && i < records.size(); ++i) {
      plan.continues[i] = records[i].name == input.stages[i].name &&
                          records[i].fingerprint == input.stages[i].fingerprint &&
                          records[i].status == StageStatus::kInterrupted;
    }
  }
  return plan;
}

}  // namespace hlslim
