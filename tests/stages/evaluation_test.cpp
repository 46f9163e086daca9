// The run's evaluation step: evaluation settings outside the fingerprints, re-evaluation from the
// stages' saved predictions without retraining, and the errors of the evaluation block.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kConfig = R"(output: out
threads: 2
models:
  net:
    layers:
      - {type: flatten}
      - {type: dense, units: 8}
      - {type: relu}
      - {type: dense, units: 2}
stages:
  - {stage: data, events: 4000, noise_events: 1000}
  - {stage: reference}
  - {stage: train, model: net, epochs: 2, learning_rate: 0.003, monitor: pt_spread}
)";

RunResult run(const fs::path& path, const std::vector<std::string>& overrides = {},
              bool resume = false) {
  RunOptions options;
  options.resume = resume;
  return run_pipeline(PipelineConfig::load(path, overrides, testing::test_registry()), options);
}

const Evaluation& find(const RunEvaluation& evaluation, const std::string& dir) {
  return evaluation.stages.at(dir).evaluations.at(0);
}

TEST(Evaluation, ChangingTheThresholdsReevaluatesWithoutRetraining) {
  const auto dir = testing::temp_dir("evaluation");
  const auto path = testing::write_text(dir / "p.yaml", kConfig);
  const fs::path out = dir / "out";
  run(path, {"evaluation.thresholds=[12]"});
  const auto first = RunEvaluation::load(out).value();
  EXPECT_EQ(first.settings["thresholds"], json::array({12.0}));

  // The stages evaluate at the run's first threshold, and recomputed from the saved
  // predictions, the figures of merit are the stage's own.
  for (const char* stage : {"02-reference", "03-train"}) {
    const StageResults own = StageResults::load(out / stage, stage).value();
    const Evaluation& again = find(first, stage);
    ASSERT_FALSE(own.evaluations.at(0).predictions.empty()) << stage;
    for (const char* figure : {"pt_spread", "pt_mae", "eta_mae", "plateau_eff", "fake_rate"}) {
      EXPECT_DOUBLE_EQ(again.figures.at(figure), own.evaluations[0].figures.at(figure))
          << stage << " " << figure;
    }
    EXPECT_EQ(own.evaluations[0].figures.at("threshold_gev"), 12.0) << stage;
    EXPECT_EQ(again.distributions["turn_on"], own.evaluations[0].distributions["turn_on"]);
    EXPECT_TRUE(again.distributions.contains("trigger"));
    EXPECT_TRUE(again.figures.count("pt50_thr12")) << stage;
    EXPECT_TRUE(again.figures.count("rate_khz")) << stage;
  }
  const std::string history = read_file(out / "03-train" / "history.jsonl");
  const std::string results = read_file(out / "03-train" / "results.json");
  // No figure that depends on the threshold is recorded while training (monitor: pt_spread).
  EXPECT_EQ(history.find("plateau_eff"), std::string::npos);

  const auto result = run(path, {"evaluation.thresholds=[5, 12.5]"}, /*resume=*/true);
  EXPECT_TRUE(result.ran.empty());
  EXPECT_EQ(result.reused, (std::vector<std::string>{"data", "reference", "train"}));
  EXPECT_EQ(read_file(out / "03-train" / "history.jsonl"), history);
  EXPECT_EQ(read_file(out / "03-train" / "results.json"), results);

  const auto second = RunEvaluation::load(out).value();
  EXPECT_EQ(second.settings["thresholds"], json::array({5.0, 12.5}));
  const Evaluation& before = find(first, "03-train");
  const Evaluation& after = find(second, "03-train");
  // The threshold-free figures stay; the trigger decisions move with the threshold.
  EXPECT_DOUBLE_EQ(after.figures.at("pt_spread"), before.figures.at("pt_spread"));
  EXPECT_EQ(after.figures.at("threshold_gev"), 5.0);
  EXPECT_GE(after.figures.at("fake_rate"), before.figures.at("fake_rate"));
  EXPECT_NE(after.distributions["turn_on"], before.distributions["turn_on"]);
  EXPECT_TRUE(after.figures.count("rate_khz_thr12.5"));
  EXPECT_FALSE(after.figures.count("rate_khz_thr12"));
  ASSERT_EQ(after.distributions["trigger"]["thresholds"].size(), 2u);
  EXPECT_EQ(after.distributions["trigger"]["thresholds"][1]["threshold_gev"], 12.5);

  // The stage's results read through the evaluation give the current figures.
  StageResults read = StageResults::load(out / "03-train", "03-train").value();
  const json manifest = json::parse(read_file(out / "manifest.json"));
  second.apply("03-train", manifest["stages"][2]["fingerprint"], read);
  EXPECT_EQ(read.evaluations[0].figures.at("threshold_gev"), 5.0);
  // ... but not those of a stage that ran under another fingerprint.
  StageResults other = StageResults::load(out / "03-train", "03-train").value();
  second.apply("03-train", "another fingerprint", other);
  EXPECT_EQ(other.evaluations[0].figures.at("threshold_gev"), 12.0);
}

TEST(Evaluation, OnlyAStageMonitoringAThresholdFigureHasTheThresholdInItsFingerprint) {
  const auto dir = testing::temp_dir("evaluation-prints");
  std::string yaml = kConfig;
  yaml += "  - {stage: train, name: by_plateau, model: net, epochs: 1, monitor: plateau_eff}\n";
  const auto path = testing::write_text(dir / "p.yaml", yaml);
  const auto load = [&](const std::vector<std::string>& overrides) {
    return stage_fingerprints(PipelineConfig::load(path, overrides, testing::test_registry()));
  };
  const auto at_10 = load({});
  const auto at_15 = load({"evaluation.thresholds=[15]"});
  const auto more = load({"evaluation.thresholds=[10, 20]", "evaluation.spectrum_index=3"});
  const auto offset = load({"evaluation.plateau_offset=3"});
  EXPECT_EQ(std::vector<std::string>(at_15.begin(), at_15.begin() + 3),
            std::vector<std::string>(at_10.begin(), at_10.begin() + 3));
  EXPECT_NE(at_15[3], at_10[3]);   // it selects its model by plateau_eff at the first threshold
  EXPECT_EQ(more, at_10);          // later thresholds and the rate model change no stage
  EXPECT_NE(offset[3], at_10[3]);  // where the plateau starts changes plateau_eff too
  EXPECT_EQ(offset[2], at_10[2]);
}

TEST(Evaluation, StagesThatResolvePrecisionsCarryTheRulesRevisionInTheirFingerprint) {
  // A run quantized under older precision rules must not be reused as if it were current.
  const auto dir = testing::temp_dir("evaluation-rules");
  std::string yaml = kConfig;
  yaml += "  - {stage: quantize, model: net}\n";
  const auto path = testing::write_text(dir / "p.yaml", yaml);
  const PipelineConfig config = PipelineConfig::load(path, {}, testing::test_registry());
  const std::string rules = "precision_rules: " + std::to_string(kPrecisionRulesRevision);
  EXPECT_EQ(config.stage_fingerprint_text(2).find("precision_rules"), std::string::npos);
  EXPECT_NE(config.stage_fingerprint_text(3).find(rules), std::string::npos);
}

std::string config_errors(const std::string& yaml) {
  const auto path = testing::write_text(testing::temp_dir("cfg") / "p.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Evaluation, TheEvaluationBlockIsChecked) {
  std::string yaml = kConfig;
  yaml.replace(yaml.find("noise_events: 1000}"), 19, "noise_events: 1000, threshold: 15}");
  EXPECT_NE(config_errors(yaml).find(
                "error: 'threshold' is no longer an option of the data stage: set the thresholds "
                "of the figures in the top-level block 'evaluation: {thresholds: [...]}', where "
                "changing them re-evaluates a run without retraining\n1 error found"),
            std::string::npos)
      << config_errors(yaml);
  EXPECT_NE(config_errors(std::string(kConfig) + "evaluation: {thresholds: []}\n")
                .find("error: 'evaluation.thresholds' needs at least one threshold"),
            std::string::npos);
  EXPECT_NE(config_errors(std::string(kConfig) + "evaluation: {thresholds: [10, 15, 10]}\n")
                .find("error: 'evaluation.thresholds' lists 10 GeV twice"),
            std::string::npos);
  EXPECT_NE(config_errors(std::string(kConfig) + "evaluation: {thresholds: [0]}\n").find("error"),
            std::string::npos);
}

}  // namespace
}  // namespace hlslim
