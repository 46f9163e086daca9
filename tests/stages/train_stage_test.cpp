// The train stage in a pipeline: outputs, stored normalization, physical-unit predictions, and
// its preconditions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/train/batches.hpp"
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
      - {type: dense, units: 16}
      - {type: relu}
      - {type: dense, units: 2}
stages:
  - {stage: data, events: 6000, noise_events: 500, noise_training_fraction: 0}
  - {stage: train, model: net, epochs: 8, learning_rate: 0.003, monitor: pt_spread}
)";

TEST(TrainStage, TrainsEvaluatesAndStoresTheModelInPhysicalUnits) {
  const auto dir = testing::temp_dir("train");
  const auto path = testing::write_text(dir / "p.yaml", kConfig);
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const fs::path stage = dir / "out" / "02-train";

  std::istringstream history(read_file(stage / "history.jsonl"));
  std::string line;
  int epochs = 0;
  while (std::getline(history, line)) {
    const json record = json::parse(line);
    EXPECT_EQ(record["epoch"], ++epochs);
    for (const char* key : {"loss", "val_loss", "learning_rate", "pt_spread"})
      EXPECT_TRUE(record.contains(key)) << key;
    EXPECT_FALSE(record.contains("seconds"));  // wall-clock time would change on every run
  }
  EXPECT_EQ(epochs, 8);

  const json metrics = json::parse(read_file(stage / "metrics.json"));
  EXPECT_EQ(metrics["parameters"], 11 * 16 * 16 + 16 + 16 * 2 + 2);  // 9 + 2 position rows
  EXPECT_EQ(metrics["monitor"], "pt_spread");
  for (const char* key :
       {"pt_mae", "pt_spread", "eta_mae", "turn_on", "plateau_eff", "eff_at_thr_15", "fake_rate"}) {
    EXPECT_TRUE(metrics["test"].contains(key)) << key;
  }
  // Eight short epochs clearly beat the 4.25 GeV of always guessing the mean pT.
  EXPECT_LT(metrics["test"]["pt_mae"].get<double>(), 3.0);
  EXPECT_FALSE(fs::exists(stage / "checkpoint"));

  const Graph model = load_model(stage / "state" / "net.hlsm");
  const auto normalization = TargetNormalization::from(model);
  ASSERT_TRUE(normalization.has_value());
  EXPECT_EQ(normalization->names, (std::vector<std::string>{"pt", "eta"}));
  // Standardised on the training muons: pT flat in [3, 20] GeV.
  EXPECT_NEAR(normalization->mean[0], 11.5, 0.5);
  EXPECT_NEAR(normalization->scale[0], 17.0 / std::sqrt(12.0), 0.2);
}

std::string config_errors(const std::string& yaml) {
  const auto path = testing::write_text(testing::temp_dir("cfg") / "p.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    std::string text = e.what();
    return text.substr(text.find("error: "));
  }
  return "";
}

TEST(TrainStage, PreconditionsAreCheckedBeforeRunning) {
  std::string yaml = kConfig;
  EXPECT_EQ(config_errors(yaml), "");
  yaml.replace(yaml.find("units: 2}"), 9, "units: 3}");
  EXPECT_EQ(config_errors(yaml),
            "error: stage 'train': model 'net' has output [3] but the data has 2 target(s) (pt, "
            "eta)\n1 error found; nothing was run.\n");
  yaml = kConfig;
  yaml.replace(yaml.find("monitor: pt_spread"), 18, "monitor: roc_auc");
  EXPECT_EQ(config_errors(yaml),
            "error: stage 'train': monitor 'roc_auc' means nothing for a regression (loss 'mae'); "
            "it needs loss 'ce' or 'bce'\n"
            "1 error found; nothing was run.\n");
  yaml = kConfig;
  yaml.replace(yaml.find("model: net"), 10, "model: nett");
  EXPECT_EQ(config_errors(yaml),
            "error: stage 'train': no model named 'nett' (did you mean 'net'?); defined: net\n"
            "1 error found; nothing was run.\n");
  yaml = kConfig;
  const std::string data_line =
      "  - {stage: data, events: 6000, noise_events: 500, noise_training_fraction: 0}\n";
  yaml.replace(yaml.find(data_line), data_line.size(), "");
  EXPECT_EQ(config_errors(yaml),
            "error: stage 'train': needs a dataset: put a 'data' stage before it\n"
            "1 error found; nothing was run.\n");
}

}  // namespace
}  // namespace hlslim
