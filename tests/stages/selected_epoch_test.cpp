// The invariant of every training stage: the model a stage saves validates exactly as the
// epoch it selected. One small pipeline trains, prunes (removing units), fine-tunes with
// quantization-aware training and distils a pruned, quantized student; each stage's record of
// its saved model is compared with the epoch its history says it selected.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

using json = nlohmann::json;

constexpr const char* kConfig = R"(output: out
threads: 2
models:
  net:
    layers:
      - {type: reshape, shape: [11, 16]}
      - {type: conv1d, name: conv, filters: 4, kernel: 3, padding: same}
      - {type: relu}
      - {type: flatten}
      - {type: dense, name: fc, units: 16}
      - {type: relu}
      - {type: dense, name: out, units: 2}
  student:
    layers:
      - {type: flatten}
      - {type: dense, name: fc1, units: 8}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 4000, noise_events: 400}
  - {stage: train, model: net, epochs: 2, monitor: pt_spread}
  - stage: prune
    model: net
    method: structured
    sparsity: 0.5
    frequency: 5
    layers: {out: exclude}
    fine_tune: {epochs: 3, monitor: pt_spread}
  - stage: quantize
    model: net
    method: qat
    precision: {weight: 'fixed<6,auto>', bias: 'fixed<8,auto>', result: 'fixed<12,auto>'}
    fine_tune: {epochs: 2, monitor: pt_spread, learning_rate: 0.0003}
  - stage: distill
    teacher: net
    student: student
    alpha: 0.5
    epochs: 4
    monitor: pt_spread
    prune: {sparsity: 0.3, frequency: 5, layers: {out: exclude}}
    quantize: {enabled: true, float_epochs: 1, precision: {weight: 'fixed<6,auto>'}}
)";

void expect_reproduced(const json& saved, const json& selected, const std::string& who,
                       double tolerance = 0) {
  ASSERT_TRUE(saved.is_object()) << who;
  // plateau_eff is not among them: it depends on the threshold and is not monitored here.
  for (const char* figure : {"pt_spread", "pt_mae", "eta_mae", "eff_at_thr_15"}) {
    const double at_selection = selected.at(figure).get<double>();
    const double value = saved.at(figure).get<double>();
    if (tolerance == 0) {
      EXPECT_EQ(value, at_selection) << who << " " << figure;
    } else {
      EXPECT_NEAR(value, at_selection, tolerance * std::abs(at_selection)) << who << " " << figure;
    }
  }
}

TEST(SelectedEpoch, EveryTrainingStageSavesTheModelOfTheEpochItSelected) {
  const auto dir = testing::temp_dir("selected-epoch");
  const auto path = testing::write_text(dir / "p.yaml", kConfig);
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const auto run = dir / "out";
  const auto metrics = [&](const char* stage) {
    return json::parse(read_file(run / stage / "metrics.json"));
  };

  const json train = metrics("02-train");
  const json train_selected = testing::selected_epoch(run / "02-train" / "history.jsonl");
  EXPECT_EQ(train["selected_epoch"], train_selected["epoch"]);
  expect_reproduced(train["validation"], train_selected, "train");

  // Structured pruning: only epochs at the final fraction are selectable. The check is made on
  // the masked model, before its pruned units are removed.
  const json prune = metrics("03-prune");
  const json prune_selected = testing::selected_epoch(run / "03-prune" / "history.jsonl");
  EXPECT_EQ(prune["selected_epoch"], prune_selected["epoch"]);
  EXPECT_NE(prune_selected.value("selectable", true), false);
  expect_reproduced(prune["validation"], prune_selected, "prune");
  EXPECT_LT(prune["unit_removal_output_change"].get<double>(), 1e-4);

  const json quantize = metrics("04-quantize");
  const json quantize_selected = testing::selected_epoch(run / "04-quantize" / "history.jsonl");
  EXPECT_EQ(quantize["selected_epoch"], quantize_selected["epoch"]);
  expect_reproduced(quantize["validation_qat"], quantize_selected, "quantize");

  // The distilled student and its baseline: float epochs and epochs before the final sparsity
  // are not selectable.
  const json distill = metrics("05-distill");
  for (const char* role : {"distilled", "baseline"}) {
    const json selected =
        testing::selected_epoch(run / "05-distill" / (std::string("history-") + role + ".jsonl"));
    EXPECT_GE(selected["epoch"].get<int>(), 2) << role;
    const json& block = distill[std::string(role) == "distilled" ? "student" : "baseline"];
    EXPECT_EQ(block["selected_epoch"], selected["epoch"]) << role;
    expect_reproduced(block["validation"], selected, role);
  }
}

}  // namespace
}  // namespace hlslim
