// `hlslim sweep --submit` against a stand-in sbatch that records its calls: scripts as written,
// the submission record, the refusal of a second submission, node-local path warnings; and
// `--point K` continuing an interrupted point, as a requeued or resubmitted array task does.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include "hlslim/cli/cli.hpp"
#include "hlslim/pipeline/plan.hpp"
#include "hlslim/sweep/slurm.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using testing::run_counts;

constexpr const char* kConfig = R"(output: out
stages:
  - {stage: record, name: data, value: d}
  - {stage: record, name: c, value: x}
  - {stage: interrupt, name: i, signal: 15}
  - {stage: record, name: e}
sweep:
  parameters:
    c.value: [p, q, r, s]
  slurm:
    time: "00:05:00"
    cpus_per_task: 2
    prepare: {time: "02:00:00", cpus_per_task: 4, memory: 8G}
)";

// sbatch that appends its arguments to `calls` and answers with job ids 101, 102, ...
constexpr const char* kFakeSbatch = R"(#!/bin/sh
calls="$(dirname "$0")/calls"
echo "$@" >> "$calls"
echo $(( $(wc -l < "$calls") + 100 ))
)";

struct Result {
  int code = 0;
  std::string out;
  std::string err;
};

class SlurmSubmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("submit");
    config_ = testing::write_text(dir_ / "c.yaml", kConfig);
    testing::write_text(dir_ / "bin" / "sbatch", kFakeSbatch);
    fs::permissions(dir_ / "bin" / "sbatch", fs::perms::owner_all);
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    ::setenv("PATH", ((dir_ / "bin").string() + ":" + old_path_).c_str(), 1);
    run_counts().clear();
    reset_interrupt();
  }
  void TearDown() override {
    ::setenv("PATH", old_path_.c_str(), 1);
    reset_interrupt();
  }

  Result sweep(std::vector<std::string> extra) {
    std::vector<std::string> args = {"hlslim", "sweep", config_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    Result r;
    r.code = cli_main(static_cast<int>(argv.size()), argv.data(), testing::test_registry());
    r.out = ::testing::internal::GetCapturedStdout();
    r.err = ::testing::internal::GetCapturedStderr();
    return r;
  }

  std::string calls() const {
    const fs::path path = dir_ / "bin" / "calls";
    return fs::exists(path) ? read_file(path) : "";
  }

  fs::path dir_;
  fs::path config_;
  std::string old_path_;
};

TEST_F(SlurmSubmitTest, ASecondSubmitIsRefusedUnlessResubmit) {
  const fs::path out = dir_ / "out";
  Result r = sweep({"--submit"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out,
            "submitted shared stages as job 101\n"
            "submitted points 0-3 as array job 102 (after job 101)\n");
  EXPECT_EQ(calls(), "--parsable " + (out / "slurm/prepare.sbatch").string() + "\n" +
                         "--parsable --dependency=afterok:101 " +
                         (out / "slurm/points.sbatch").string() + "\n");
  const auto recorded = parse_submissions(read_file(out / "slurm/submissions"));
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].prepare_job, "101");
  EXPECT_EQ(recorded[0].points_job, "102");
  EXPECT_EQ(recorded[0].points, "0-3");
  EXPECT_EQ(recorded[0].time.size(), 24u);  // 2024-05-01T10:00:00.000Z

  // Again: refused with its own exit code, naming the jobs and the way on; nothing submitted.
  r = sweep({"--submit"});
  EXPECT_EQ(r.code, 5);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("this sweep was submitted on " + recorded[0].time +
                       ": prepare job 101 and array job 102 (points 0-3) (recorded in " +
                       (out / "slurm/submissions").string() +
                       "); nothing was submitted. Check those jobs ('squeue -j 101,102', "
                       "'sacct -j 101,102') and cancel any still queued or running ('scancel "
                       "101,102'), then give --resubmit to submit every point not done, or "
                       "--only-failed for the failed and interrupted ones only"),
            std::string::npos)
      << r.err;
  const std::string after_refusal = calls();
  EXPECT_EQ(std::count(after_refusal.begin(), after_refusal.end(), '\n'), 2);  // none more

  // A dry run still shows the scripts, and says what a real --submit would do.
  r = sweep({"--submit", "--dry-run"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("# this sweep was submitted on " + recorded[0].time +
                       ": prepare job 101 and array job 102 (points 0-3): --submit needs "
                       "--resubmit (or --only-failed) to submit again\n"),
            std::string::npos)
      << r.out;

  // --resubmit submits again and keeps the history.
  r = sweep({"--submit", "--resubmit"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "submitted shared stages as job 103\n"
            "submitted points 0-3 as array job 104 (after job 103)\n");
  EXPECT_EQ(parse_submissions(read_file(out / "slurm/submissions")).size(), 2u);

  // --only-failed is a resubmission of points no job is running: no --resubmit needed.
  r = sweep({"--submit", "--only-failed"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "no point has failed; nothing to submit (0 of 4 done)\n");
}

TEST_F(SlurmSubmitTest, ThePrepareJobHasItsOwnResourcesAndLogsKeepEveryAttempt) {
  ASSERT_EQ(sweep({"--submit"}).code, 0);
  const std::string prepare = read_file(dir_ / "out/slurm/prepare.sbatch");
  const std::string points = read_file(dir_ / "out/slurm/points.sbatch");
  EXPECT_NE(prepare.find("#SBATCH --output=" + (dir_ / "out/logs/shared-%j.out").string() + "\n"),
            std::string::npos)
      << prepare;
  EXPECT_NE(prepare.find("#SBATCH --time=02:00:00\n#SBATCH --mem=8G\n#SBATCH --cpus-per-task=4\n"),
            std::string::npos)
      << prepare;
  EXPECT_NE(prepare.find(" --threads 4 --prepare\n"), std::string::npos) << prepare;
  EXPECT_EQ(prepare.find("--kill-on-invalid-dep"), std::string::npos) << prepare;
  EXPECT_NE(points.find("#SBATCH --output=" + (dir_ / "out/logs/point-%A_%a.out").string() + "\n"),
            std::string::npos)
      << points;
  EXPECT_NE(points.find("#SBATCH --signal=B:TERM@120\n"
                        "#SBATCH --kill-on-invalid-dep=yes\n"
                        "#SBATCH --time=00:05:00\n"
                        "#SBATCH --cpus-per-task=2\n"
                        "set -euo pipefail\n"),
            std::string::npos)
      << points;
  EXPECT_NE(points.find(" --threads 2 --point \"$SLURM_ARRAY_TASK_ID\"\n"), std::string::npos)
      << points;
}

TEST_F(SlurmSubmitTest, NodeLocalPathsAreWarnedAbout) {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string old_tmpdir = tmpdir ? tmpdir : "";
  // The test's directory stands for a node-local $TMPDIR.
  ::setenv("TMPDIR", dir_.string().c_str(), 1);
  const Result r = sweep({"--submit", "--dry-run"});
  if (tmpdir)
    ::setenv("TMPDIR", old_tmpdir.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
  EXPECT_EQ(r.code, 0);
  const std::string real = fs::weakly_canonical(dir_).string();
  EXPECT_NE(r.err.find("the config " + real + "/c.yaml is in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the sweep directory " + real + "/out is in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("which is local to each node: the compute nodes see their own "),
            std::string::npos)
      << r.err;
}

// An array task that was stopped by the time limit's signal and runs again (requeued, or
// resubmitted) continues the point: completed stages are reused, the interrupted one resumes.
TEST_F(SlurmSubmitTest, AnInterruptedPointContinuesWhereItStopped) {
  Result r = sweep({"--point", "1"});
  EXPECT_EQ(r.code, 128 + SIGTERM) << r.err;
  const SweepPlan plan = load_sweep(config_, {}, "", testing::test_registry());
  EXPECT_EQ(point_status(plan, 1).text, "interrupted (i)");
  EXPECT_EQ(run_counts()["c"], 1);
  reset_interrupt();
  r = sweep({"--point", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(point_status(plan, 1).text, "done");
  EXPECT_EQ(run_counts()["data"], 1);
  EXPECT_EQ(run_counts()["c"], 1);  // not run again
  EXPECT_EQ(run_counts()["i"], 2);  // resumed, with its partial output
  EXPECT_TRUE(fs::exists(plan.point_dir(1) / "03-i" / "done.txt"));
}

// With the seed swept together with another key, the one prepare job prepares every seed's
// shared stages; the array waits for it, and a resubmission needs none once all are complete.
TEST_F(SlurmSubmitTest, PerSeedOnePrepareJobPreparesEverySeed) {
  testing::write_text(config_, R"(output: out
stages:
  - {stage: record, name: data, value: d}
  - {stage: record, name: c, value: x}
  - {stage: record, name: e, value: y}
sweep:
  parameters:
    seed: [1, 2]
    e.value: [p, q]
)");
  const fs::path out = dir_ / "out";
  Result r = sweep({"--submit"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out,
            "submitted shared stages as job 101\n"
            "submitted points 0-3 as array job 102 (after job 101)\n");
  const std::string prepare = read_file(out / "slurm/prepare.sbatch");
  EXPECT_NE(prepare.find(" --output " + out.string() + " --prepare\n"), std::string::npos)
      << prepare;

  // One seed prepared (by a point of it) is not enough: the prepare job is submitted again.
  const SweepPlan plan = load_sweep(config_, {}, "", testing::test_registry());
  ASSERT_TRUE(plan.shared_per_seed);
  prepare_shared(plan, 0);
  r = sweep({"--submit", "--resubmit"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "submitted shared stages as job 103\n"
            "submitted points 0-3 as array job 104 (after job 103)\n");

  // What the prepare job runs prepares the other seed; then the points go alone.
  r = sweep({"--prepare"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(run_counts()["c"], 2);
  EXPECT_TRUE(fs::exists(out / "shared/seed-1/manifest.json"));
  EXPECT_TRUE(fs::exists(out / "shared/seed-2/manifest.json"));
  r = sweep({"--submit", "--resubmit"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "submitted points 0-3 as array job 105\n");
  r = sweep({"--point", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(run_counts()["c"], 2);
  EXPECT_EQ(run_counts()["e"], 1);
}

}  // namespace
}  // namespace hlslim
