// The run planner and the directory policy as pure functions: no file system, no stages.
#include "hlslim/pipeline/run_plan.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "hlslim/util/errors.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

StageRecord record(const std::string& name, const std::string& fingerprint,
                   StageStatus status = StageStatus::kCompleted) {
  StageRecord r;
  r.name = name;
  r.type = "t";
  r.dir = name;
  r.fingerprint = fingerprint;
  r.status = status;
  return r;
}

// Three stages a, b, c with fingerprints fa, fb, fc; every file intact unless listed.
struct Planner {
  RunPlanInput input;
  std::set<std::string> damaged;  // "name" or "shared:name"

  Planner() {
    input.dir = "OUT";
    input.stages = {{"a", "t", "fa"}, {"b", "t", "fb"}, {"c", "t", "fc"}};
    input.last = 2;
    input.intact = [this](const StageRecord& r, bool shared) {
      return !damaged.count((shared ? "shared:" : "") + r.name);
    };
  }
  RunPlan plan() const { return plan_run(input); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return std::to_string(e.exit_code()) + ": " + e.what();
  }
  return "";
}

TEST(DirectoryUse, FollowsTheFlagsAndWhatTheDirectoryHolds) {
  DirectoryFacts none;
  EXPECT_EQ(decide_directory_use(none, false, false, false, "d"), DirectoryUse::kStart);
  DirectoryFacts empty{true, true, true, false};
  EXPECT_EQ(decide_directory_use(empty, false, true, false, "d"), DirectoryUse::kStart);
  DirectoryFacts run{true, true, false, true};
  EXPECT_EQ(decide_directory_use(run, true, false, false, "d"), DirectoryUse::kContinue);
  EXPECT_EQ(decide_directory_use(run, false, false, true, "d"), DirectoryUse::kContinue);
  EXPECT_EQ(decide_directory_use(run, false, true, false, "d"), DirectoryUse::kClear);
}

TEST(DirectoryUse, RefusesWhatItMustNotTouch) {
  EXPECT_EQ(error_of([] {
              decide_directory_use({true, false, false, false}, true, false, false, "d");
            }),
            "3: run directory 'd' exists and is not a directory");
  EXPECT_EQ(error_of([] {
              decide_directory_use({true, true, false, true}, false, false, false, "d");
            }),
            "3: run directory 'd' is not empty; use --resume to continue it or --force to start "
            "over");
  const std::string foreign =
      "3: run directory 'd' is not empty and holds no manifest.json: it is not an hlslim run "
      "directory, so it is neither cleared nor resumed";
  EXPECT_EQ(error_of([] {
              decide_directory_use({true, true, false, false}, false, true, false, "d");
            }),
            foreign);
  EXPECT_EQ(error_of([] {
              decide_directory_use({true, true, false, false}, true, false, false, "d");
            }),
            foreign);
}

TEST(DirectoryUse, NeitherClearsNorResumesADirectoryWhoseManifestIsNotHlslims) {
  DirectoryFacts web{true, true, false, true, "manifest 'd/manifest.json' is not valid: no key"};
  const std::string refused =
      "3: run directory 'd' holds a manifest.json that is not an hlslim manifest, so it is "
      "neither cleared nor resumed: manifest 'd/manifest.json' is not valid: no key";
  EXPECT_EQ(error_of([&] { decide_directory_use(web, false, true, false, "d"); }), refused);
  EXPECT_EQ(error_of([&] { decide_directory_use(web, true, false, false, "d"); }), refused);
}

TEST(Manifest, AnErrorMessageWithAnyBytesIsStoredAndReadBack) {
  const auto path = testing::temp_dir("manifest") / "manifest.json";
  Manifest manifest;
  manifest.status = RunStatus::kFailed;
  StageRecord failed = record("a", "fa");
  failed.status = StageStatus::kFailed;
  failed.error = std::string("cannot read '\xff\xfe.npy': \x01\x80 no such file");
  manifest.stages = {failed};
  manifest.save(path);
  const Manifest read = Manifest::load(path);
  ASSERT_EQ(read.stages.size(), 1u);
  EXPECT_EQ(read.stages[0].status, StageStatus::kFailed);
  EXPECT_EQ(read.stages[0].error,
            "cannot read '\xef\xbf\xbd\xef\xbf\xbd.npy': \x01\xef\xbf\xbd no such file");
}

TEST(RunPlan, WithoutAnEarlierRunEverythingRuns) {
  Planner p;
  const RunPlan plan = p.plan();
  EXPECT_EQ(plan.linked, 0u);
  EXPECT_EQ(plan.start, 0u);
  EXPECT_EQ(plan.last, 2u);
  EXPECT_EQ(plan.continues, (std::vector<bool>{false, false, false}));
}

TEST(RunPlan, ResumeReusesTheCompletedPrefixUpToTheFirstChange) {
  Planner p;
  Manifest previous;
  previous.stages = {record("a", "fa"), record("b", "old"), record("c", "fc")};
  p.input.previous = &previous;
  p.input.reuse = true;
  EXPECT_EQ(p.plan().start, 1u);  // b's configuration changed: b and everything after run
  previous.stages[1].fingerprint = "fb";
  EXPECT_EQ(p.plan().start, 3u);  // nothing to run
  p.damaged = {"b"};
  EXPECT_EQ(p.plan().start, 1u);  // b's files changed since
  p.input.reuse = false;
  p.damaged.clear();
  EXPECT_EQ(p.plan().start, 0u);  // without --resume or --from nothing is reused
}

TEST(RunPlan, AnInterruptedStageContinuesFromItsCheckpoint) {
  Planner p;
  Manifest previous;
  previous.stages = {record("a", "fa"), record("b", "fb", StageStatus::kInterrupted),
                     record("c", "fc", StageStatus::kPending)};
  p.input.previous = &previous;
  p.input.reuse = true;
  const RunPlan plan = p.plan();
  EXPECT_EQ(plan.start, 1u);
  EXPECT_EQ(plan.continues, (std::vector<bool>{false, true, false}));
  previous.stages[1].fingerprint = "other";
  EXPECT_EQ(p.plan().continues, (std::vector<bool>{false, false, false}));
}

TEST(RunPlan, SharedStagesAreLinkedThenTheOwnRunIsReused) {
  Planner p;
  Manifest shared;
  shared.stages = {record("a", "fa"), record("b", "fb"), record("c", "other")};
  Manifest previous;
  previous.stages = {record("a", "fa"), record("b", "fb"), record("c", "fc")};
  p.input.shared = &shared;
  EXPECT_EQ(p.plan().linked, 2u);
  EXPECT_EQ(p.plan().start, 2u);
  p.input.previous = &previous;
  p.input.reuse = true;
  EXPECT_EQ(p.plan().linked, 2u);
  EXPECT_EQ(p.plan().start, 3u);
  p.damaged = {"shared:b"};
  EXPECT_EQ(p.plan().linked, 1u);
  shared.stages[0].shared = "../elsewhere";  // never link a link
  EXPECT_EQ(p.plan().linked, 0u);
}

TEST(RunPlan, FromStartsThereWhenEverythingBeforeIsReusable) {
  Planner p;
  p.input.first = 1;
  p.input.from_given = true;
  p.input.reuse = true;
  EXPECT_EQ(error_of([&] { p.plan(); }),
            "3: cannot start at stage 'b': stage 'a' before it has not completed with the "
            "current configuration in 'OUT'; run with --resume instead");
  Manifest previous;
  previous.stages = {record("a", "fa"), record("b", "fb"), record("c", "fc")};
  p.input.previous = &previous;
  const RunPlan plan = p.plan();
  EXPECT_EQ(plan.start, 1u);  // b runs again although it completed
  EXPECT_EQ(plan.linked, 0u);
  p.input.last = 1;
  EXPECT_EQ(p.plan().last, 1u);
}

}  // namespace
}  // namespace hlslim
