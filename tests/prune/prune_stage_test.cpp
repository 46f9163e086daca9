// The prune stage in a pipeline: 80 % sparsity survives fine-tuning as exact zeros, and the
// report has every layer before and after.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hlslim/config/pipeline_config.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/prune/masks.hpp"
#include "hlslim/stages/runner.hpp"
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
      - {type: reshape, shape: [11, 16]}
      - {type: conv1d, name: conv, filters: 4, kernel: 3, padding: same}
      - {type: relu}
      - {type: flatten}
      - {type: dense, name: fc, units: 16}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 4000, noise_events: 400}
  - {stage: train, model: net, epochs: 2}
  - stage: prune
    model: net
    sparsity: 0.8
    schedule: polynomial
    frequency: 5
    layers: {out: exclude}
    fine_tune: {epochs: 3}
)";

TEST(PruneStage, SparsityHoldsThroughFineTuningAsExactZeros) {
  const auto dir = testing::temp_dir("prune");
  const auto path = testing::write_text(dir / "p.yaml", kConfig);
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const Graph model = load_model(dir / "out" / "03-prune" / "state" / "net.hlsm");
  for (const char* name : {"conv", "fc"}) {
    const Layer& layer = *model.find(name);
    const auto& weight = layer.tensors.at("weight").values;
    const auto& mask = layer.tensors.at("weight_mask").values;
    std::size_t masked = 0;
    for (std::size_t i = 0; i < weight.size(); ++i) {
      if (mask[i] == 0.0f) {
        ++masked;
        EXPECT_EQ(weight[i], 0.0f) << name << " weight " << i;
      }
    }
    EXPECT_EQ(masked, static_cast<std::size_t>(0.8 * static_cast<double>(weight.size()))) << name;
  }
  EXPECT_FALSE(model.find("out")->tensors.count("weight_mask"));

  const json metrics = json::parse(read_file(dir / "out" / "03-prune" / "metrics.json"));
  EXPECT_LT(metrics["nonzero_parameters"].get<int>(),
            metrics["nonzero_parameters_before"].get<int>() / 2);
  ASSERT_EQ(metrics["layers"].size(), 3u);
  EXPECT_NEAR(metrics["layers"][1]["weight_sparsity"].get<double>(), 0.8, 1e-3);
  EXPECT_TRUE(metrics["test_before"].contains("pt_spread"));
  EXPECT_TRUE(metrics["test"].contains("pt_spread"));
}

TEST(PruneStage, UnknownLayerIsAPositionedConfigError) {
  std::string yaml = kConfig;
  yaml.replace(yaml.find("{out: exclude}"), 14, "{ot: exclude}");
  const auto path = testing::write_text(testing::temp_dir("cfg") / "p.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() +
                  ":21:13: error: stage 'prune': model 'net' has no layer or "
                  "prunable type 'ot' (did you mean 'out'?)\n"
                  "1 error found; nothing was run.\n");
  }
}

}  // namespace
}  // namespace hlslim
