// Run directories: outputs, manifest, refusal, --force, --resume, --from/--to, interruption.
#include "hlslim/pipeline/runner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/file_lock.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::run_counts;

class Runner : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("run");
    run_dir_ = dir_ / "out";
    run_counts().clear();
    install_interrupt_handlers();
    reset_interrupt();
  }
  void TearDown() override { reset_interrupt(); }

  fs::path config(const std::string& stages_yaml) {
    return testing::write_text(dir_ / "p.yaml",
                               "output: out\n"
                               "models:\n"
                               "  m:\n"
                               "    input: [4]\n"
                               "    layers:\n"
                               "      - {type: dense, units: 2}\n"
                               "stages:\n" +
                                   stages_yaml);
  }

  RunResult run(const fs::path& path, RunOptions options = {},
                const std::vector<std::string>& overrides = {}) {
    return run_pipeline(PipelineConfig::load(path, overrides, testing::test_registry()), options);
  }

  json manifest() const { return json::parse(read_file(run_dir_ / "manifest.json")); }

  // Runs expecting an hlslim::Error; returns "exit_code: message".
  std::string run_error(const fs::path& path, RunOptions options = {},
                        const std::vector<std::string>& overrides = {}) {
    try {
      run(path, options, overrides);
    } catch (const Error& e) {
      std::string text = e.what();
      for (std::size_t at; (at = text.find(run_dir_.string())) != std::string::npos;)
        text.replace(at, run_dir_.string().size(), "OUT");
      return std::to_string(e.exit_code()) + ": " + text;
    }
    return "no error";
  }

  fs::path dir_, run_dir_;
};

constexpr const char* kThree =
    "  - {stage: record, name: a, value: one}\n"
    "  - {stage: build}\n"
    "  - {stage: record, name: c, value: three}\n";

TEST_F(Runner, FreshRunWritesConfigLogManifestAndStageDirectories) {
  const auto result = run(config(kThree));
  EXPECT_EQ(result.ran, (std::vector<std::string>{"a", "build", "c"}));
  EXPECT_EQ(read_file(run_dir_ / "01-a" / "record.txt"), "one");
  EXPECT_TRUE(fs::exists(run_dir_ / "02-build" / "state" / "m.hlsm"));
  EXPECT_EQ(json::parse(read_file(run_dir_ / "03-c" / "metrics.json"))["value"], "three");
  const std::string stamped = read_file(run_dir_ / "config.yaml");
  EXPECT_EQ(stamped.rfind("# Resolved configuration of this run, written by hlslim ", 0), 0u);
  // The stamped config points at its own directory, so running a copy of it touches the copy.
  EXPECT_NE(stamped.find("\noutput: .\n"), std::string::npos);
  EXPECT_NE(read_file(run_dir_ / "run.log").find("stage 2 'build' completed"), std::string::npos);

  const json m = manifest();
  EXPECT_EQ(m["status"], "completed");
  ASSERT_EQ(m["stages"].size(), 3u);
  for (const auto& stage : m["stages"]) {
    EXPECT_EQ(stage["status"], "completed");
    EXPECT_FALSE(stage["started"].get<std::string>().empty());
    EXPECT_LE(stage["started"].get<std::string>(), stage["ended"].get<std::string>());
    ASSERT_FALSE(stage["artifacts"].empty());
    for (const auto& artifact : stage["artifacts"]) {
      EXPECT_EQ(artifact["sha256"], sha256_file(run_dir_ / artifact["path"].get<std::string>()));
    }
  }
  // Every write was atomic: no temporaries are left behind.
  for (const auto& item : fs::recursive_directory_iterator(run_dir_)) {
    EXPECT_EQ(item.path().string().find(".tmp"), std::string::npos) << item.path();
  }
}

TEST_F(Runner, RefusesANonEmptyDirectoryWithoutResumeOrForce) {
  const auto path = config(kThree);
  run(path);
  EXPECT_EQ(run_error(path),
            "3: run directory 'OUT' is not empty; use --resume to continue it "
            "or --force to start over");
}

TEST_F(Runner, ForceClearsOnlyWhatAnEarlierRunWrote) {
  const auto path = config(kThree);
  run(path);
  testing::write_text(run_dir_ / "notes.txt", "mine");
  testing::write_text(run_dir_ / "data" / "events.bin", "mine too");
  testing::write_text(run_dir_ / "report" / "index.html", "<p>old report</p>");
  RunOptions force;
  force.force = true;
  run(path, force);
  EXPECT_EQ(run_counts()["a"], 2);
  EXPECT_EQ(read_file(run_dir_ / "notes.txt"), "mine");
  EXPECT_EQ(read_file(run_dir_ / "data" / "events.bin"), "mine too");
  EXPECT_FALSE(fs::exists(run_dir_ / "report"));
  EXPECT_EQ(manifest()["status"], "completed");

  // A file of the user's where this run would write a stage directory: refused, nothing removed.
  testing::write_text(run_dir_ / "04-d" / "mine.txt", "mine");
  const auto four = config(std::string(kThree) + "  - {stage: record, name: d, value: four}\n");
  EXPECT_EQ(run_error(four, force),
            "3: run directory 'OUT' holds '04-d', which hlslim did not write but this run would "
            "replace; move it away first (nothing was removed)");
  EXPECT_TRUE(fs::exists(run_dir_ / "manifest.json"));
  EXPECT_EQ(read_file(run_dir_ / "04-d" / "mine.txt"), "mine");
}

TEST_F(Runner, ForceNeverClearsADirectoryWithoutAValidHlslimManifest) {
  const auto path = config(kThree);
  RunOptions force;
  force.force = true;
  testing::write_text(run_dir_ / "precious.txt", "x");
  EXPECT_EQ(run_error(path, force),
            "3: run directory 'OUT' is not empty and holds no manifest.json: it is not an hlslim "
            "run directory, so it is neither cleared nor resumed");
  EXPECT_TRUE(fs::exists(run_dir_ / "precious.txt"));

  // A web application's manifest.json is not a run directory's.
  testing::write_text(run_dir_ / "manifest.json", R"({"name": "app", "start_url": "/"})");
  const std::string refused = run_error(path, force);
  EXPECT_EQ(refused.rfind("3: run directory 'OUT' holds a manifest.json that is not an hlslim "
                          "manifest, so it is neither cleared nor resumed: manifest '",
                          0),
            0u)
      << refused;
  EXPECT_NE(refused.find("hlslim_version"), std::string::npos) << refused;
  EXPECT_TRUE(fs::exists(run_dir_ / "precious.txt"));
  EXPECT_TRUE(fs::exists(run_dir_ / "manifest.json"));

  // Nor is a manifest whose stage directory points outside the run directory.
  fs::remove_all(run_dir_);
  run(path);
  json m = manifest();
  m["stages"][0]["dir"] = "../outside";
  testing::write_text(run_dir_ / "manifest.json", m.dump());
  testing::write_text(dir_ / "outside" / "keep.txt", "x");
  EXPECT_NE(run_error(path, force)
                .find("stage 'a' has the directory '../outside', which is not "
                      "a name inside the run directory"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "outside" / "keep.txt"));
}

TEST_F(Runner, ASecondRunIntoALockedDirectoryIsRefusedNamingTheHolder) {
  const auto path = config(kThree);
  fs::create_directories(run_dir_);
  {
    long holder = -1;
    auto lock = FileLock::try_lock(run_dir_ / "run.lock", &holder);
    ASSERT_TRUE(lock.has_value());
    EXPECT_EQ(run_error(path), "3: run directory 'OUT' is in use by another hlslim run (pid " +
                                   std::to_string(::getpid()) +
                                   "); wait for it to end, or stop it first");
    RunOptions resume;
    resume.resume = true;
    EXPECT_EQ(run_error(path, resume).substr(0, 60),
              "3: run directory 'OUT' is in use by another hlslim run (pid ");
    EXPECT_FALSE(fs::exists(run_dir_ / "manifest.json"));
  }
  // A lock left by a process that was killed does not block the next run: the kernel releases
  // flock() locks when their holder dies.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int fd = ::open((run_dir_ / "run.lock").c_str(), O_RDWR);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) ::_exit(1);
    ::kill(::getpid(), SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(run(path).ran.size(), 3u);
}

TEST_F(Runner, ResumeRemovesTheTemporariesOfAKilledRun) {
  const auto path = config(kThree);
  run(path);
  // What a run killed while it wrote the manifest leaves behind.
  testing::write_text(run_dir_ / "manifest.json.tmp.99999.0", "{\"hlslim_vers");
  testing::write_text(run_dir_ / "notes.tmp.txt", "mine");
  RunOptions resume;
  resume.resume = true;
  EXPECT_TRUE(run(path, resume).ran.empty());
  EXPECT_FALSE(fs::exists(run_dir_ / "manifest.json.tmp.99999.0"));
  EXPECT_EQ(read_file(run_dir_ / "notes.tmp.txt"), "mine");
}

TEST_F(Runner, ACopiedRunsConfigRunsIntoTheCopyNotTheOriginal) {
  const auto path = config(kThree);
  run(path);
  const std::string original = read_file(run_dir_ / "manifest.json");
  const fs::path copy = dir_ / "copy";
  fs::copy(run_dir_, copy, fs::copy_options::recursive);
  fs::remove(copy / "run.lock");
  RunOptions force;
  force.force = true;
  run_pipeline(PipelineConfig::load(copy / "config.yaml", {}, testing::test_registry()), force);
  EXPECT_EQ(read_file(run_dir_ / "manifest.json"), original);
  EXPECT_NE(read_file(copy / "manifest.json"), original);
}

TEST_F(Runner, ResumeSkipsCompletedStagesAndRedoesFromTheFirstChange) {
  const auto path = config(kThree);
  run(path);
  RunOptions resume;
  resume.resume = true;
  auto result = run(path, resume);
  EXPECT_TRUE(result.ran.empty());
  EXPECT_EQ(result.reused.size(), 3u);
  EXPECT_EQ(run_counts()["a"], 1);

  // Changing the last stage reruns only it; changing the first reruns everything after it.
  result = run(path, resume, {"c.value=changed"});
  EXPECT_EQ(result.ran, (std::vector<std::string>{"c"}));
  EXPECT_EQ(read_file(run_dir_ / "03-c" / "record.txt"), "changed");
  result = run(path, resume, {"a.value=new", "c.value=changed"});
  EXPECT_EQ(result.ran, (std::vector<std::string>{"a", "build", "c"}));
  EXPECT_EQ(manifest()["status"], "completed");
}

TEST_F(Runner, ResumeRedoesAStageWhoseInputFileOrOutputsChanged) {
  testing::write_text(dir_ / "input.txt", "v1");
  const auto path = config(
      "  - {stage: record, name: a, input: input.txt}\n"
      "  - {stage: record, name: b}\n");
  run(path);
  RunOptions resume;
  resume.resume = true;
  testing::write_text(dir_ / "input.txt", "v2");
  EXPECT_EQ(run(path, resume).ran, (std::vector<std::string>{"a", "b"}));
  testing::write_text(run_dir_ / "02-b" / "record.txt", "tampered");
  EXPECT_EQ(run(path, resume).ran, (std::vector<std::string>{"b"}));
}

TEST_F(Runner, InterruptLeavesAResumableDirectory) {
  const auto path = config(
      "  - {stage: record, name: a}\n"
      "  - {stage: interrupt, name: stop}\n"
      "  - {stage: record, name: c}\n");
  try {
    run(path);
    FAIL() << "expected an interruption";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal_number(), SIGINT);
    EXPECT_EQ(e.exit_code(), 128 + SIGINT);
  }
  json m = manifest();
  EXPECT_EQ(m["status"], "interrupted");
  EXPECT_EQ(m["stages"][0]["status"], "completed");
  EXPECT_EQ(m["stages"][1]["status"], "interrupted");
  EXPECT_EQ(m["stages"][2]["status"], "pending");
  EXPECT_EQ(run_counts()["c"], 0);

  reset_interrupt();
  RunOptions resume;
  resume.resume = true;
  const auto result = run(path, resume);
  EXPECT_EQ(result.reused, (std::vector<std::string>{"a"}));
  EXPECT_EQ(result.ran, (std::vector<std::string>{"stop", "c"}));
  EXPECT_EQ(read_file(run_dir_ / "02-stop" / "done.txt"), "resumed");
  EXPECT_EQ(manifest()["status"], "completed");
}

TEST_F(Runner, SigtermExitsWith143) {
  const auto path = config("  - {stage: interrupt, signal: 15}\n");
  try {
    run(path);
    FAIL();
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.exit_code(), 143);
  }
}

TEST_F(Runner, FailureIsRecordedAndNamesTheStage) {
  const auto path = config("  - {stage: record, name: a}\n  - {stage: fail, message: boom}\n");
  EXPECT_EQ(run_error(path), "1: stage 'fail' failed: boom");
  const json m = manifest();
  EXPECT_EQ(m["status"], "failed");
  EXPECT_EQ(m["stages"][1]["status"], "failed");
  EXPECT_EQ(m["stages"][1]["error"], "boom");
}

TEST_F(Runner, FromAndToSelectStagesAndCarryTheState) {
  const auto path = config(
      "  - {stage: build}\n"
      "  - {stage: needs_model, model: m}\n"
      "  - {stage: record, name: c}\n");
  RunOptions to;
  to.to = "build";
  EXPECT_EQ(run(path, to).ran, (std::vector<std::string>{"build"}));
  EXPECT_EQ(manifest()["status"], "partial");
  EXPECT_EQ(manifest()["stages"][1]["status"], "pending");

  // The model built in the first invocation reaches needs_model through the checkpoint.
  RunOptions from;
  from.from = "needs_model";
  EXPECT_EQ(run(path, from).ran, (std::vector<std::string>{"needs_model", "c"}));
  EXPECT_EQ(manifest()["status"], "completed");
  EXPECT_EQ(run(path, from).ran, (std::vector<std::string>{"needs_model", "c"}));

  RunOptions unknown;
  unknown.from = "need_model";
  EXPECT_EQ(run_error(path, unknown),
            "2: --from: no stage named 'need_model' (did you mean 'needs_model'?); stages: "
            "build, needs_model, c");
}

TEST_F(Runner, FromNeedsTheEarlierStagesComplete) {
  const auto path = config("  - {stage: record, name: a}\n  - {stage: record, name: b}\n");
  RunOptions from;
  from.from = "b";
  EXPECT_EQ(run_error(path, from),
            "3: cannot start at stage 'b': stage 'a' before it has not completed with the "
            "current configuration in 'OUT'; run with --resume instead");
  run(path);
  EXPECT_EQ(run_error(path, from, {"a.value=other"}),
            "3: cannot start at stage 'b': stage 'a' before it has not completed with the "
            "current configuration in 'OUT'; run with --resume instead");
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

// A changed architecture reruns only the stages from the first one that reads it.
TEST(RunnerFingerprints, OnlyStagesReadingAChangedModelRunAgain) {
  const auto dir = testing::temp_dir("models");
  const auto path = testing::write_text(dir / "p.yaml", R"(output: out
models:
  m: {input: [3], layers: [{type: dense, units: 2}]}
  n: {input: [3], layers: [{type: dense, units: 2}]}
stages:
  - {stage: build, name: bm, models: [m]}
  - {stage: build, name: bn, models: [n]}
)");
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  RunOptions resume;
  resume.resume = true;
  auto result = run_pipeline(
      PipelineConfig::load(path, {"models.n.layers.0.units=4"}, testing::test_registry()), resume);
  EXPECT_EQ(result.reused, (std::vector<std::string>{"bm"}));
  EXPECT_EQ(result.ran, (std::vector<std::string>{"bn"}));
  result = run_pipeline(
      PipelineConfig::load(path, {"models.m.layers.0.units=4", "models.n.layers.0.units=4"},
                           testing::test_registry()),
      resume);
  EXPECT_EQ(result.ran, (std::vector<std::string>{"bm", "bn"}));
}

}  // namespace
}  // namespace hlslim
