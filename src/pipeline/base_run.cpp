#include "base_run.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "hlslim/util/errors.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

// `subject` names the directory at the start of the message ("--base 'OLD' ").
[[noreturn]] void refuse(const std::string& subject, const std::string& why) {
  throw Error(subject + why, kExitRunDir);
}

// Whether `inner` is `outer` or lies below it (both canonical).
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

// Takes a shared lock on DIR/run.lock without waiting, into `locks`. A directory without
// run.lock (never run by a version that locks) gets one, so that a run into it that starts
// later is refused; where it cannot be made, a warning says that the directory is read
// unlocked.
void lock_for_reading(const fs::path& dir, const std::string& subject,
                      std::vector<FileLock>& locks) {
  long holder = 0;
  std::optional<FileLock> lock;
  try {
    lock = FileLock::try_lock_shared(dir / "run.lock", &holder);
  } catch (const Error& e) {
    refuse(subject, std::string("cannot be locked for reading: ") + e.what());
  }
  if (!lock) {
    refuse(subject, "is in use by another hlslim run" +
                        (holder > 0 ? " (pid " + std::to_string(holder) + ")" : std::string()) +
                        "; wait for it to end");
  }
  locks.push_back(std::move(*lock));
}

// Locks `dir` for reading and loads its manifest.
Manifest lock_and_load(const fs::path& dir, const std::string& subject,
                       std::vector<FileLock>& locks) {
  std::error_code ec;
  if (!fs::exists(dir / "manifest.json", ec)) {
    refuse(subject, "holds no manifest.json: it is not an hlslim run directory");
  }
  lock_for_reading(dir, subject, locks);
  try {
    return Manifest::load(dir / "manifest.json");
  } catch (const Error& e) {
    refuse(subject, std::string("cannot be used: ") + e.what());
  }
}

// Refuses `record` of the run in `dir` unless it is completed.
void require_completed(const StageRecord& record, const fs::path& dir, const std::string& subject) {
  switch (record.status) {
    case StageStatus::kRunning:
    case StageStatus::kInterrupted:
      refuse(subject, "did not end: stage '" + record.name + "' is " + status_name(record.status) +
                          "; finish it first (hlslim run CONFIG --output " + dir.string() +
                          " --resume) or choose another base");
    case StageStatus::kFailed:
      refuse(subject, "ended with stage '" + record.name +
                          "' failed; fix and resume it first, or choose another base");
    case StageStatus::kPending:
      refuse(subject, "no longer holds stage '" + record.name +
                          "' completed (it is pending there); choose another base");
    case StageStatus::kCompleted:
      break;
  }
}

// Locks the base `dir` for reading and loads its manifest, refusing a run that did not end
// cleanly or completed nothing.
Manifest open_base(const fs::path& dir, const std::string& subject, std::vector<FileLock>& locks) {
  Manifest manifest = lock_and_load(dir, subject, locks);
  std::size_t completed = 0;
  for (const auto& record : manifest.stages) {
    if (record.status == StageStatus::kPending) continue;
    require_completed(record, dir, subject);
    ++completed;
  }
  if (manifest.status == RunStatus::kInterrupted || manifest.status == RunStatus::kFailed) {
    refuse(subject, std::string("did not end cleanly: its manifest says it ") +
                        (manifest.status == RunStatus::kFailed ? "failed" : "was interrupted") +
                        "; finish it first with --resume, or choose another base");
  }
  if (manifest.status == RunStatus::kRunning) {
    refuse(subject,
           "did not end: its manifest says it is still running (a run that was killed); "
           "finish it first with --resume, or choose another base");
  }
  if (completed == 0) refuse(subject, "has no completed stage to reuse");
  return manifest;
}

// Locks `origin`, a run the base links `linked` from, for reading and refuses it unless each of
// those stages that it still holds is completed there. Only these stages matter: the origin may
// have been continued since and have failed at a later stage, which is not read. A stage whose
// directory is gone, or whose files changed, no longer matches and runs again.
void open_origin(const fs::path& origin, const std::vector<const StageRecord*>& linked,
                 const std::string& subject, std::vector<FileLock>& locks) {
  const Manifest manifest = lock_and_load(origin, subject, locks);
  std::error_code ec;
  for (const StageRecord* wanted : linked) {
    if (!fs::is_directory(origin / wanted->dir, ec)) continue;
    const StageRecord* found = nullptr;
    for (const auto& record : manifest.stages) {
      if (record.dir == wanted->dir) found = &record;
    }
    if (!found) {
      refuse(subject, "no longer records stage '" + wanted->name + "' (" + wanted->dir +
                          ") in its manifest; choose another base");
    }
    require_completed(*found, origin, subject);
  }
}

}  // namespace

BaseRun open_base_run(const fs::path& base, const fs::path& run_dir) {
  const std::string subject = "--base '" + base.string() + "' ";
  std::error_code ec;
  if (!fs::exists(base, ec)) refuse(subject, "does not exist");
  if (!fs::is_directory(base, ec)) refuse(subject, "is not a directory");
  const fs::path real_base = fs::weakly_canonical(base);
  const fs::path real_run = fs::weakly_canonical(run_dir);
  if (real_base == real_run) {
    refuse(subject,
           "is the run directory itself; a variant goes into a directory of its own "
           "(--output NEW), or continue this run with --resume");
  }
  if (within(real_run, real_base) || within(real_base, real_run)) {
    refuse(subject, "and the run directory '" + run_dir.string() +
                        "' lie one inside the other; choose separate directories");
  }
  BaseRun out;
  out.dir = base;
  out.manifest = open_base(base, subject, out.locks);

  // The stages the base linked from other runs are linked from where they lie: those runs are
  // read too, locked like the base, and checked for the stages linked from them.
  std::map<fs::path, std::pair<fs::path, std::vector<const StageRecord*>>> origins;
  for (const auto& record : out.manifest.stages) {
    if (record.shared.empty()) continue;
    const fs::path origin = (base / record.shared).lexically_normal();
    if (!fs::is_directory(origin, ec)) continue;  // deleted: its stages run again
    auto& entry = origins[fs::weakly_canonical(origin)];
    entry.first = origin;
    entry.second.push_back(&record);
  }
  for (const auto& [real_origin, entry] : origins) {
    if (real_origin == real_base) continue;
    const std::string linked = subject + "links stages from '" + entry.first.string() + "', which ";
    if (within(real_run, real_origin) || within(real_origin, real_run)) {
      refuse(linked, "is the run directory '" + run_dir.string() +
                         "' or lies inside or around it; choose another base or another run "
                         "directory");
    }
    open_origin(entry.first, entry.second, linked, out.locks);
  }
  return out;
}

std::vector<FileLock> lock_linked_runs(const Manifest& manifest, const fs::path& run_dir) {
  std::vector<FileLock> locks;
  std::set<fs::path> origins;
  std::error_code ec;
  for (const auto& record : manifest.stages) {
    if (record.shared.empty()) continue;
    const fs::path origin = (run_dir / record.shared).lexically_normal();
    if (!fs::is_directory(origin, ec)) continue;  // gone: its stages run again
    if (!origins.insert(fs::weakly_canonical(origin)).second) continue;
    lock_for_reading(origin,
                     "run directory '" + run_dir.string() + "' links stages from '" +
                         origin.string() + "', which ",
                     locks);
  }
  return locks;
}

}  // namespace hlslim
