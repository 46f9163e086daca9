// Learned bit widths in a pipeline: a LUT budget is met per the real estimator, the resource
// term lowers the estimate, the learned precisions are heterogeneous and exact in the saved
// model, and configuration errors with positions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "hlslim/engine/precision.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/train/learned_widths_options.hpp"
#include "hlslim/util/errors.hpp"
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
      - {type: flatten}
      - {type: dense, name: fc1, units: 8}
      - {type: relu}
      - {type: dense, name: fc2, units: 4}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 3000, noise_events: 300}
  - {stage: train, model: net, epochs: 3, learning_rate: 0.003}
  - stage: quantize
    model: net
    method: qat
    fine_tune: {epochs: 6, learning_rate: 0.003}
)";

struct StageRun {
  json metrics;
  Graph model;
};

StageRun run(const std::string& name, const std::string& learn_widths) {
  const auto dir = testing::temp_dir(name);
  const auto path = testing::write_text(dir / "q.yaml", std::string(kConfig) + learn_widths);
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  return {json::parse(read_file(dir / "out" / "03-quantize" / "metrics.json")),
          load_model(dir / "out" / "03-quantize" / "state" / "net.hlsm")};
}

std::int64_t lut_of(const Graph& model, const std::string& multiplication = "csd") {
  HlsProjectOptions options;
  options.multiplication = multiplication;
  return estimate_resources(model, options).lut;
}

std::string load_error(const std::string& stages) {
  const auto path = testing::write_text(testing::temp_dir("cfg") / "q.yaml", stages);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    std::string text = e.what();
    text = text.substr(text.find("q.yaml:") + 7);
    return text.substr(0, text.find('\n'));
  }
  return "no error";
}

// The saved model holds every learned value exactly in its layer's type, and the widths differ
// between layers and, within a layer, between channels.
void expect_exact_and_heterogeneous(const Graph& model) {
  const ModelPrecision p = read_precision(model);
  std::set<std::string> result_types;
  std::size_t channel_grids = 0;  // the most distinct grids among one layer's channels
  std::set<std::string> weight_types;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const Layer& layer = model.layers[i];
    if (layer.kind == LayerKind::kRelu) result_types.insert(p.layers[i].result->to_string());
    if (layer.kind != LayerKind::kDense) continue;
    const Tensor& w = layer.tensors.at("weight");
    const FixedType& t = *p.layers[i].weight;
    const std::size_t per = w.values.size() / static_cast<std::size_t>(w.shape[0]);
    for (std::size_t k = 0; k < w.values.size(); ++k) {
      ASSERT_EQ(static_cast<float>(to_double(quantize(w.values[k], t), t)), w.values[k])
          << layer.name << " weight " << k << " is not exact in " << t.to_string();
    }
    // The finest grid each channel's values lie on.
    std::set<int> grids;
    for (std::size_t c = 0; c < static_cast<std::size_t>(w.shape[0]); ++c) {
      int finest = -64;
      for (std::size_t k = c * per; k < (c + 1) * per; ++k) {
        if (w.values[k] == 0.0f) continue;
        int f = t.fraction_bits();
        while (std::ldexp(w.values[k], f - 1) == std::floor(std::ldexp(w.values[k], f - 1))) --f;
        finest = std::max(finest, f);
      }
      if (finest > -64) grids.insert(finest);  // a channel of zeros has no grid
    }
    channel_grids = std::max(channel_grids, grids.size());
    weight_types.insert(t.to_string());
  }
  EXPECT_GE(result_types.size(), 2u) << "the two ReLUs learned the same type";
  EXPECT_GE(weight_types.size(), 2u) << "every dense layer learned the same weight type";
  EXPECT_GE(channel_grids, 2u) << "in every layer, all channels learned the same grid";
}

TEST(LearnedWidthsStage, TheResourceTermLowersTheLutEstimate) {
  const StageRun none =
      run("lw_none", "    learn_widths: {enabled: true, penalty: 0, learning_rate: 0.2}\n");
  const StageRun some =
      run("lw_some", "    learn_widths: {enabled: true, penalty: 1, learning_rate: 0.2}\n");
  const json& a = none.metrics["learned_widths"];
  const json& b = some.metrics["learned_widths"];
  EXPECT_EQ(a["lut_calibrated"], b["lut_calibrated"]) << "same seed, same calibration";
  EXPECT_LT(b["lut"].get<std::int64_t>(), a["lut"].get<std::int64_t>());
  EXPECT_LT(b["lut"].get<std::int64_t>(), b["lut_calibrated"].get<std::int64_t>());
  // The reported estimate is the real estimator's of the saved model.
  EXPECT_EQ(lut_of(some.model), b["lut"].get<std::int64_t>());
  EXPECT_EQ(lut_of(none.model), a["lut"].get<std::int64_t>());
  expect_exact_and_heterogeneous(some.model);
  EXPECT_EQ(b["history"].size(), 6u);
  EXPECT_TRUE(some.metrics["test"].contains("pt_spread"));
}

TEST(LearnedWidthsStage, ABudgetIsMetPerTheEstimator) {
  const StageRun free =
      run("lw_free", "    learn_widths: {enabled: true, penalty: 0.02, learning_rate: 0.2}\n");
  const std::int64_t calibrated = free.metrics["learned_widths"]["lut_calibrated"];
  const std::int64_t budget = calibrated / 10;
  const StageRun tight = run("lw_budget",
                             "    learn_widths: {enabled: true, penalty: 0.02, learning_rate: 0.2, "
                             "budget: {lut: " +
                                 std::to_string(budget) + "}}\n");
  const json& w = tight.metrics["learned_widths"];
  EXPECT_EQ(w["budget_lut"], budget);
  EXPECT_TRUE(w["within_budget"].get<bool>()) << w.dump(1);
  EXPECT_LE(lut_of(tight.model), budget);
  EXPECT_EQ(lut_of(tight.model), w["lut"].get<std::int64_t>());
  // Without the budget, the same starting penalty does not get there.
  EXPECT_GT(free.metrics["learned_widths"]["lut"].get<std::int64_t>(), budget);
  // The penalty weight followed the rule after every epoch, and only epochs within the budget
  // could become the result.
  const json& history = w["history"];
  ASSERT_EQ(history.size(), 6u);
  for (std::size_t e = 0; e + 1 < history.size(); ++e) {
    EXPECT_DOUBLE_EQ(history[e + 1]["penalty"].get<double>(),
                     adapted_penalty(history[e]["penalty"], history[e]["lut"], budget))
        << "after epoch " << history[e]["epoch"];
    EXPECT_EQ(history[e]["selectable"].get<bool>(),
              history[e]["lut"].get<std::int64_t>() <= budget);
  }
  EXPECT_GT(history[1]["penalty"].get<double>(), history[0]["penalty"].get<double>())
      << "the first epoch is above the budget";
  const std::int64_t selected = tight.metrics["selected_epoch"];
  for (const auto& e : history) {
    if (e["epoch"] == selected) EXPECT_LE(e["lut"].get<std::int64_t>(), budget);
  }
  expect_exact_and_heterogeneous(tight.model);
}

// budget.multiplication: adder_graph prices the design of shared shift-and-add graphs, which
// the export builds with `multiplication: adder_graph`, in every estimate the training makes.
TEST(LearnedWidthsStage, AnAdderGraphBudgetPricesTheAdderGraphDesign) {
  const StageRun free = run("lw_graph_free",
                            "    learn_widths: {enabled: true, penalty: 0.02, learning_rate: 0.2, "
                            "budget: {multiplication: adder_graph}}\n");
  const json& f = free.metrics["learned_widths"];
  EXPECT_EQ(f["multiplication"], "adder_graph");
  EXPECT_EQ(lut_of(free.model, "adder_graph"), f["lut"].get<std::int64_t>());
  EXPECT_LT(lut_of(free.model, "adder_graph"), lut_of(free.model, "csd"))
      << "the two designs are priced alike: the option is not used";
  // Below what the free run reached with the same starting penalty.
  const std::int64_t budget = f["lut"].get<std::int64_t>() * 2 / 3;
  const StageRun tight = run("lw_graph_budget",
                             "    learn_widths: {enabled: true, penalty: 0.02, learning_rate: 0.2, "
                             "budget: {lut: " +
                                 std::to_string(budget) + ", multiplication: adder_graph}}\n");
  const json& w = tight.metrics["learned_widths"];
  EXPECT_TRUE(w["within_budget"].get<bool>()) << w.dump(1);
  EXPECT_EQ(lut_of(tight.model, "adder_graph"), w["lut"].get<std::int64_t>());
  EXPECT_LE(lut_of(tight.model, "adder_graph"), budget);
  for (const auto& e : w["history"]) {
    EXPECT_EQ(e["selectable"].get<bool>(), e["lut"].get<std::int64_t>() <= budget);
  }
}

TEST(LearnedWidthsStage, ConfigurationErrors) {
  const std::string base = R"(output: out
models:
  net:
    layers:
      - {type: flatten}
      - {type: dense, name: fc1, units: 8}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 3000, noise_events: 300}
  - {stage: train, model: net, epochs: 1}
)";
  EXPECT_EQ(load_error(base + "  - stage: quantize\n"
                              "    model: net\n"
                              "    learn_widths: {enabled: true}\n"),
            "14:29: error: stage 'quantize': learn_widths needs method: qat (the widths are "
            "learned while the model trains)");
  EXPECT_EQ(load_error(base + "  - stage: quantize\n"
                              "    model: net\n"
                              "    method: qat\n"
                              "    learn_widths: {enabled: true, min_fraction_bits: 4, "
                              "max_fraction_bits: 2}\n"),
            "15:76: error: stage 'quantize': learn_widths.max_fraction_bits (2) is below "
            "min_fraction_bits (4)");
  EXPECT_EQ(
      load_error(base + "  - stage: quantize\n"
                        "    model: net\n"
                        "    method: qat\n"
                        "    learn_widths: {enabled: true, penalty: 0, budget: {lut: 500}}\n"),
      "15:61: error: stage 'quantize': learn_widths.budget.lut adapts the penalty weight "
      "by factors and needs a penalty above 0 to start from");
  EXPECT_EQ(load_error(base + "  - stage: quantize\n"
                              "    model: net\n"
                              "    method: qat\n"
                              "    learn_widths: {enabled: true, granularity: channels}\n"),
            "15:48: error: invalid value 'channels' for 'granularity' in 'quantize.learn_widths' "
            "in stage 'quantize' (did you mean 'channel'?); expected one of: layer, channel, "
            "weight");
  EXPECT_EQ(load_error(base + "  - stage: distill\n"
                              "    teacher: net\n"
                              "    student: net\n"
                              "    quantize: {learn_widths: {enabled: true}}\n"),
            "15:40: error: stage 'distill': quantize.learn_widths needs quantize.enabled: true "
            "(the widths are learned while the student trains quantized)");
  // The budget must price the design the export builds.
  const std::string budgeted =
      base +
      "  - stage: distill\n"
      "    teacher: net\n"
      "    student: net\n"
      "    quantize: {enabled: true, learn_widths: {enabled: true, budget: {lut: 900}}}\n";
  EXPECT_EQ(load_error(budgeted + "  - {stage: export, model: net, multiplication: adder_graph}\n"),
            "16:5: error: stage 'export': model 'net' learns its bit widths under a LUT budget "
            "that prices multiplication csd (stage 'distill'), but this export builds "
            "adder_graph: set learn_widths.budget.multiplication: adder_graph");
  EXPECT_EQ(load_error(budgeted + "  - {stage: export, model: net}\n"), "no error");
  // A later training keeps the widths (and what they were learned for); a later quantize
  // stage replaces them.
  EXPECT_EQ(load_error(budgeted + "  - {stage: train, name: tune, model: net, epochs: 1}\n"
                                  "  - {stage: export, model: net, multiplication: adder_graph}\n"),
            "17:5: error: stage 'export': model 'net' learns its bit widths under a LUT budget "
            "that prices multiplication csd (stage 'distill'), but this export builds "
            "adder_graph: set learn_widths.budget.multiplication: adder_graph");
  EXPECT_EQ(load_error(budgeted + "  - {stage: quantize, model: net}\n"
                                  "  - {stage: export, model: net, multiplication: adder_graph}\n"),
            "no error");
}

}  // namespace
}  // namespace hlslim
