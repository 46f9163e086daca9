// Sweep plans on the pipeline: points validated like configs, shared stages detected and run
// once, point status, and `validate` of a config with a sweep block.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hlslim/cli/cli.hpp"
#include "hlslim/pipeline/manifest.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/plan.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using testing::run_counts;

constexpr const char* kHead = R"(output: out
models:
  m:
    input: [4]
    layers:
      - {type: dense, units: 2}
  s:
    input: [4]
    layers:
      - {type: dense, units: 2}
stages:
  - {stage: record, name: data, value: d}
  - {stage: record, name: teacher, value: t}
  - {stage: build, models: [s]}
  - {stage: record, name: c}
)";

class SweepPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("sweep");
    run_counts().clear();
    install_interrupt_handlers();
    reset_interrupt();
  }

  fs::path config(const std::string& sweep) {
    return testing::write_text(dir_ / "c.yaml", std::string(kHead) + sweep);
  }

  SweepPlan plan(const std::string& sweep) {
    return load_sweep(config(sweep), {}, "", testing::test_registry());
  }

  std::string errors_of(const std::string& sweep) {
    const fs::path path = config(sweep);
    try {
      PipelineConfig::load(path, {}, testing::test_registry());
    } catch (const ConfigError& e) {
      std::string text = e.what();
      for (std::size_t at; (at = text.find(path.string())) != std::string::npos;)
        text.replace(at, path.string().size(), "c.yaml");
      return text;
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(SweepPlanTest, ValidateAcceptsASweepBlockAndDumpKeepsIt) {
  const fs::path path = config("sweep:\n  parameters:\n    c.value: [p, q]\n");
  const PipelineConfig config = PipelineConfig::load(path, {}, testing::test_registry());
  ASSERT_TRUE(config.sweep);
  EXPECT_NE(config.dump().find("sweep:\n  parameters:\n    c.value: [p, q]"), std::string::npos)
      << config.dump();
}

TEST_F(SweepPlanTest, InvalidPointsAreReportedOnceWithTheirPointsAndPositions) {
  // A key that names nothing is reported at the key, once for all the points.
  EXPECT_EQ(errors_of("sweep:\n  parameters:\n    c.valu: [p, q]\n    tacher.value: [1]\n"),
            "c.yaml:18:14: error: sweep point 0: unknown key 'valu' in stage 'c' (did you mean "
            "'value'?)\n"
            "c.yaml:18:17: error: sweep point 1: unknown key 'valu' in stage 'c' (did you mean "
            "'value'?)\n"
            "c.yaml:19:5: error: sweep points 0-1: path 'tacher.value' does not exist: no "
            "setting or stage named 'tacher' (did you mean 'teacher'?)\n"
            "3 errors found; nothing was run.\n");
  // A bad value is reported at the value, with the points that use it.
  EXPECT_EQ(errors_of("sweep:\n  parameters:\n    c.value: [p, [1, 2]]\n    seed: [1, -1]\n"),
            "c.yaml:18:18: error: sweep points 2-3: 'value' in stage 'c' must be a string, got "
            "a list\n"
            "c.yaml:19:15: error: sweep points 1,3: value -1 of 'seed' is out of range (>= 0)\n"
            "2 errors found; nothing was run.\n");
}

TEST_F(SweepPlanTest, SharedStagesAreThoseBeforeTheFirstSweptOne) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    c.value: [p, q, r]\n");
  EXPECT_EQ(p.points.size(), 3u);
  EXPECT_EQ(p.shared_stage_names(), (std::vector<std::string>{"data", "teacher", "build"}));
  EXPECT_EQ(p.point_dir(2), dir_ / "out" / "points" / "0002");

  const PipelineConfig& base = p.base;
  EXPECT_EQ(first_swept_stage(base, {"c.value"}), 3u);
  EXPECT_EQ(first_swept_stage(base, {"teacher.value", "c.value"}), 1u);
  EXPECT_EQ(first_swept_stage(base, {"stages.2.models"}), 2u);
  // The build stage reads s; record stages read every model, so m is read first by data.
  EXPECT_EQ(first_swept_stage(base, {"models.m.layers.0.units"}), 0u);
  EXPECT_EQ(first_swept_stage(base, {"seed"}), 0u);
  EXPECT_EQ(first_swept_stage(base, {"threads"}), 4u);
  // Thresholds and the rate model only re-evaluate: every stage is shared.
  EXPECT_EQ(first_swept_stage(base, {"evaluation.thresholds"}), 4u);
}

TEST_F(SweepPlanTest, PointsRunTheSharedStagesOnceAndLinkThem) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    c.value: [p, q, r]\n");
  write_sweep_plan(p);
  EXPECT_FALSE(shared_complete(p));
  for (std::size_t k = 0; k < p.points.size(); ++k) {
    EXPECT_EQ(point_status(p, k).text, "pending");
    const RunResult result = run_point(p, k);
    EXPECT_EQ(result.ran, (std::vector<std::string>{"c"}));
    EXPECT_EQ(result.linked, (std::vector<std::string>{"data", "teacher", "build"}));
    EXPECT_EQ(point_status(p, k).text, "done");
  }
  EXPECT_TRUE(shared_complete(p));
  EXPECT_EQ(run_counts()["teacher"], 1);
  EXPECT_EQ(run_counts()["c"], 3);
  EXPECT_TRUE(fs::is_symlink(p.point_dir(1) / "02-teacher"));
  EXPECT_EQ(fs::read_symlink(p.point_dir(1) / "02-teacher"), "../../shared/02-teacher");
  EXPECT_EQ(read_file(p.point_dir(1) / "04-c" / "record.txt"), "q");
  const Manifest manifest = Manifest::load(p.point_dir(1) / "manifest.json");
  EXPECT_EQ(manifest.status, RunStatus::kCompleted);
  EXPECT_EQ(manifest.stages[1].shared, "../../shared");
  EXPECT_EQ(manifest.stages[3].shared, "");
  // The shared run stopped after its last shared stage.
  const Manifest shared = Manifest::load(p.shared_dir() / "manifest.json");
  EXPECT_EQ(shared.stages[2].status, StageStatus::kCompleted);
  EXPECT_EQ(shared.stages[3].status, StageStatus::kPending);

  // Running a point again reuses everything; changing its value makes it stale.
  EXPECT_TRUE(run_point(p, 0).ran.empty());
  const SweepPlan changed = plan("sweep:\n  parameters:\n    c.value: [p2, q, r]\n");
  EXPECT_EQ(point_status(changed, 0).text, "stale (config changed)");
  EXPECT_EQ(point_status(changed, 1).text, "done");
  EXPECT_EQ(run_counts()["teacher"], 1);
}

TEST_F(SweepPlanTest, WithoutTheSeedSweptThereIsOneSharedDirectory) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    c.value: [p, q]\n");
  EXPECT_FALSE(p.shared_per_seed);
  ASSERT_EQ(p.shared_groups.size(), 1u);
  EXPECT_EQ(p.shared_groups[0].dir, p.dir / "shared");
  EXPECT_EQ(p.shared_groups[0].points, (std::vector<std::size_t>{0, 1}));
  write_sweep_plan(p);
  const auto j = nlohmann::json::parse(read_file(p.dir / "plan.json"));
  EXPECT_EQ(j["shared"].dump(), R"({"dir":"shared","stages":["data","teacher","build"]})");
}

TEST_F(SweepPlanTest, TheSeedSweptAloneSharesNothing) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    seed: [1, 2]\n");
  EXPECT_EQ(p.shared_stages, 0u);
  EXPECT_FALSE(p.shared_per_seed);
  EXPECT_TRUE(p.shared_groups.empty());
  run_point(p, 0);
  run_point(p, 1);
  EXPECT_EQ(run_counts()["teacher"], 2);
  EXPECT_FALSE(fs::exists(p.dir / "shared"));
  // A key that changes the first stage, swept with the seed, shares nothing either.
  const SweepPlan q = plan("sweep:\n  parameters:\n    seed: [1, 2]\n    data.value: [a, b]\n");
  EXPECT_EQ(q.shared_stages, 0u);
  EXPECT_FALSE(q.shared_per_seed);
  EXPECT_TRUE(q.shared_groups.empty());
}

// The points of one seed share the stages before the first one another swept key changes: they
// run once per seed into shared/seed-N and every point of that seed links them.
TEST_F(SweepPlanTest, WithTheSeedSweptThePointsOfOneSeedShareItsStages) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    seed: [3, 0]\n    c.value: [p, q]\n");
  ASSERT_EQ(p.points.size(), 4u);
  EXPECT_TRUE(p.shared_per_seed);
  EXPECT_EQ(p.shared_stage_names(), (std::vector<std::string>{"data", "teacher", "build"}));
  ASSERT_EQ(p.shared_groups.size(), 2u);
  for (std::size_t g = 0; g < 2; ++g) {
    const auto& group = p.shared_groups[g];
    EXPECT_EQ(group.dir, p.dir / "shared" / ("seed-" + std::to_string(group.seed)));
    ASSERT_EQ(group.points.size(), 2u);
    for (const std::size_t k : group.points) {
      EXPECT_EQ(p.configs[k].settings.seed, group.seed);
      EXPECT_EQ(p.point_group[k], g);
    }
  }
  EXPECT_EQ(p.shared_groups[0].seed, 3);
  EXPECT_EQ(p.shared_groups[1].seed, 0);
  // A key of the teacher shares only the data per seed.
  EXPECT_EQ(plan("sweep:\n  parameters:\n    seed: [1, 2]\n    teacher.value: [a, b]\n")
                .shared_stage_names(),
            std::vector<std::string>{"data"});

  write_sweep_plan(p);
  const auto j = nlohmann::json::parse(read_file(p.dir / "plan.json"));
  EXPECT_EQ(j["shared"].dump(),
            R"({"dir":"shared","dirs":{"0":"shared/seed-0","3":"shared/seed-3"},)"
            R"("per_seed":true,"stages":["data","teacher","build"]})");

  // A point prepares its own seed's stages only.
  const std::size_t first = p.shared_groups[1].points[0];
  EXPECT_EQ(run_point(p, first).ran, (std::vector<std::string>{"c"}));
  EXPECT_EQ(run_counts()["teacher"], 1);
  EXPECT_TRUE(shared_complete(p, 1));
  EXPECT_FALSE(shared_complete(p, 0));
  EXPECT_FALSE(shared_complete(p));
  EXPECT_FALSE(fs::exists(p.dir / "shared" / "seed-3"));
  EXPECT_FALSE(fs::exists(p.dir / "shared" / "manifest.json"));
  EXPECT_TRUE(fs::exists(p.dir / "shared" / "seed-0.lock"));

  for (std::size_t k = 0; k < p.points.size(); ++k) {
    const std::string seed = std::to_string(p.configs[k].settings.seed);
    const RunResult result = run_point(p, k);
    if (k != first) EXPECT_EQ(result.ran, (std::vector<std::string>{"c"})) << k;
    EXPECT_EQ(result.linked, (std::vector<std::string>{"data", "teacher", "build"})) << k;
    EXPECT_EQ(point_status(p, k).text, "done");
    EXPECT_EQ(fs::read_symlink(p.point_dir(k) / "02-teacher"),
              "../../shared/seed-" + seed + "/02-teacher");
    const Manifest manifest = Manifest::load(p.point_dir(k) / "manifest.json");
    EXPECT_EQ(manifest.stages[0].shared, "../../shared/seed-" + seed);
    EXPECT_EQ(manifest.stages[3].shared, "");
  }
  // The teacher ran once per seed, each time with its seed.
  EXPECT_EQ(run_counts()["teacher"], 2);
  EXPECT_EQ(run_counts()["c"], 4);
  EXPECT_TRUE(shared_complete(p));
  for (const auto& group : p.shared_groups) {
    const Manifest shared = Manifest::load(group.dir / "manifest.json");
    const auto prints = stage_fingerprints(p.configs[group.points[0]]);
    EXPECT_EQ(shared.stages[1].fingerprint, prints[1]);
    EXPECT_EQ(shared.stages[2].status, StageStatus::kCompleted);
    EXPECT_EQ(shared.stages[3].status, StageStatus::kPending);
  }
  EXPECT_NE(Manifest::load(p.shared_groups[0].dir / "manifest.json").stages[1].fingerprint,
            Manifest::load(p.shared_groups[1].dir / "manifest.json").stages[1].fingerprint);
}

// A plain run of the same stages at that seed, copied into shared/seed-N, is linked like one
// the sweep prepared: the fingerprints and file hashes are what count.
TEST_F(SweepPlanTest, APlainRunAtTheSeedCopiedIntoItsSharedDirectoryIsLinked) {
  const fs::path plain_config = testing::write_text(dir_ / "plain.yaml", kHead);
  RunOptions options;
  options.output = dir_ / "plain";
  options.to = "build";
  run_pipeline(PipelineConfig::load(plain_config, {"seed=2"}, testing::test_registry()), options);
  EXPECT_EQ(run_counts()["teacher"], 1);

  const SweepPlan p = plan("sweep:\n  parameters:\n    seed: [1, 2]\n    c.value: [p, q]\n");
  fs::create_directories(p.dir / "shared");
  fs::copy(dir_ / "plain", p.dir / "shared" / "seed-2", fs::copy_options::recursive);
  ASSERT_EQ(p.shared_groups[1].seed, 2);
  EXPECT_TRUE(shared_complete(p, 1));
  EXPECT_FALSE(shared_complete(p, 0));
  for (const std::size_t k : p.shared_groups[1].points) {
    EXPECT_EQ(run_point(p, k).linked, (std::vector<std::string>{"data", "teacher", "build"}));
  }
  EXPECT_EQ(run_counts()["teacher"], 1);
  // The copy at another seed is not: seed 1 prepares its own.
  run_point(p, p.shared_groups[0].points[0]);
  EXPECT_EQ(run_counts()["teacher"], 2);
}

TEST_F(SweepPlanTest, AFailingPointIsReportedFailed) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    stages.3.stage: [record, fail]\n");
  EXPECT_EQ(p.shared_stages, 3u);
  run_point(p, 0);
  EXPECT_THROW(run_point(p, 1), Error);
  EXPECT_EQ(point_status(p, 0).text, "done");
  EXPECT_EQ(point_status(p, 1).text, "failed (c)");
  EXPECT_EQ(run_counts()["teacher"], 1);
}

TEST_F(SweepPlanTest, SubmitDryRunPrintsTheScriptsAndSkipsCompletedPoints) {
  const std::string sweep =
      "sweep:\n  parameters:\n    c.value: [p, q, r, s]\n"
      "  slurm: {partition: short, time: '00:05:00', memory: 1G, cpus_per_task: 2,\n"
      "          max_parallel: 2, directives: [--qos=low]}\n";
  const SweepPlan p = plan(sweep);
  const std::string path = (dir_ / "c.yaml").string();
  auto dry_run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"hlslim", "-q", "sweep", path, "--submit", "--dry-run"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    ::testing::internal::CaptureStdout();
    const int code = cli_main(static_cast<int>(argv.size()), argv.data(), testing::test_registry());
    std::string out = ::testing::internal::GetCapturedStdout();
    for (std::size_t at; (at = out.find(dir_.string())) != std::string::npos;)
      out.replace(at, dir_.string().size(), "DIR");
    EXPECT_EQ(code, 0);
    return out;
  };
  std::string out = dry_run({});
  // The shared stages are not prepared: their job comes first, and the array waits for it.
  EXPECT_NE(out.find("# DIR/out/slurm/prepare.sbatch (submitted first"), std::string::npos) << out;
  EXPECT_NE(out.find("--prepare\n"), std::string::npos) << out;
  EXPECT_NE(out.find("--dependency=afterok:<shared job>"), std::string::npos) << out;
  EXPECT_NE(out.find("#SBATCH --array=0-3%2\n"
                     "#SBATCH --output=DIR/out/logs/point-%A_%a.out\n"
                     "#SBATCH --chdir=DIR/out\n"
                     "#SBATCH --ntasks=1\n"
                     "#SBATCH --signal=B:TERM@120\n"
                     "#SBATCH --kill-on-invalid-dep=yes\n"
                     "#SBATCH --partition=short\n"
                     "#SBATCH --time=00:05:00\n"
                     "#SBATCH --mem=1G\n"
                     "#SBATCH --cpus-per-task=2\n"
                     "#SBATCH --qos=low\n"
                     "set -euo pipefail\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(" sweep DIR/c.yaml --output DIR/out --threads 2 --point "
                     "\"$SLURM_ARRAY_TASK_ID\"\n"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(p.dir / "slurm"));  // a dry run writes nothing

  // Completed points are left out; then only the failed ones with --only-failed.
  run_point(p, 0);
  run_point(p, 2);
  out = dry_run({});
  EXPECT_EQ(out.find("prepare.sbatch"), std::string::npos) << out;
  EXPECT_NE(out.find("#SBATCH --array=1,3%2\n"), std::string::npos) << out;
  out = dry_run({"--only-failed"});
  EXPECT_EQ(out, "no point has failed; nothing to submit (2 of 4 done)\n");
  run_point(p, 1);
  run_point(p, 3);
  EXPECT_EQ(dry_run({}), "every point is complete; nothing to submit (4 of 4 done)\n");
}

TEST_F(SweepPlanTest, PlanSaysTheSharedStagesArePerSeedAndPrepareRunsEverySeed) {
  const SweepPlan p = plan("sweep:\n  parameters:\n    seed: [1, 2, 3]\n    c.value: [p, q]\n");
  const std::string path = (dir_ / "c.yaml").string();
  auto sweep = [&](const std::string& flag) {
    const std::vector<std::string> args = {"hlslim", "-q", "sweep", path, flag};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    ::testing::internal::CaptureStdout();
    const int code = cli_main(static_cast<int>(argv.size()), argv.data(), testing::test_registry());
    const std::string out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(code, 0);
    return out.substr(0, out.find("\npoint"));
  };
  const std::string head = "sweep 'c': grid, 6 point(s), in " + (dir_ / "out").string() + "\n";
  EXPECT_EQ(sweep("--plan"), head +
                                 "shared stages (run once per seed into shared/seed-N/, 3 "
                                 "seed(s)): data, teacher, build [to run]");
  prepare_shared(p, 1);
  EXPECT_EQ(sweep("--plan"), head +
                                 "shared stages (run once per seed into shared/seed-N/, 3 "
                                 "seed(s)): data, teacher, build [to run for seeds 1, 3]");
  prepare_shared(p, 0);
  EXPECT_EQ(sweep("--plan"), head +
                                 "shared stages (run once per seed into shared/seed-N/, 3 "
                                 "seed(s)): data, teacher, build [to run for seed 3]");
  EXPECT_EQ(run_counts()["teacher"], 2);
  sweep("--prepare");
  EXPECT_EQ(run_counts()["teacher"], 3);
  EXPECT_EQ(run_counts()["c"], 0);
  EXPECT_TRUE(shared_complete(p));
  EXPECT_EQ(sweep("--plan"), head +
                                 "shared stages (run once per seed into shared/seed-N/, 3 "
                                 "seed(s)): data, teacher, build [complete]");
  // Once more: nothing runs again.
  sweep("--prepare");
  EXPECT_EQ(run_counts()["teacher"], 3);
  // The seed alone shares nothing.
  plan("sweep:\n  parameters:\n    seed: [1, 2, 3]\n");
  EXPECT_EQ(sweep("--plan"), "sweep 'c': grid, 3 point(s), in " + (dir_ / "out").string() +
                                 "\nshared stages: none (a swept key changes the first stage)");
}

TEST_F(SweepPlanTest, AConfigWithoutSweepIsRefused) {
  const fs::path path = config("");
  try {
    load_sweep(path, {}, "", testing::test_registry());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() +
                  ": error: the config has no 'sweep' block, so there is nothing to "
                  "sweep; see docs/sweeps.md\n1 error found; nothing was run.\n");
  }
}

}  // namespace
}  // namespace hlslim
