// The prune stage with method 'structured' in a pipeline: units removed, a smaller model saved,
// configuration errors with positions, and resuming from the fine-tuning's checkpoint.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>

#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "hlslim/util/logging.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

// The prune stage with method 'structured' in a pipeline: the output layer is left out on its
// own, the others lose half their units, and the saved model is smaller.
constexpr const char* kStageConfig = R"(output: out
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
    method: structured
    criterion: l1
    sparsity: 0.5
    schedule: polynomial
    frequency: 5
    layers: {}
    fine_tune: {epochs: 2}
)";

std::filesystem::path write_config(const std::filesystem::path& dir, const std::string& from = "",
                                   const std::string& to = "") {
  std::string yaml = kStageConfig;
  if (!from.empty()) yaml.replace(yaml.find(from), from.size(), to);
  return testing::write_text(dir / "p.yaml", yaml);
}

TEST(StructuredStage, RemovesUnitsAndSavesASmallerModel) {
  const auto dir = testing::temp_dir("structured");
  run_pipeline(PipelineConfig::load(write_config(dir), {}, testing::test_registry()), {});
  const Graph model = load_model(dir / "out" / "03-prune" / "state" / "net.hlsm");
  EXPECT_TRUE(model.has_weights());
  EXPECT_EQ(model.find("conv")->params.filters, 2);
  EXPECT_EQ(model.find("fc")->params.units, 8);
  EXPECT_EQ(model.find("fc")->tensors.at("weight").shape, (Shape{8, 32}));
  EXPECT_EQ(model.find("out")->tensors.at("weight").shape, (Shape{2, 8}));
  for (const char* name : {"conv", "fc", "out"}) {
    EXPECT_FALSE(model.find(name)->tensors.count("weight_mask")) << name;
    EXPECT_FALSE(model.find(name)->tensors.count("bias_mask")) << name;
  }

  using nlohmann::json;
  const json metrics = json::parse(read_file(dir / "out" / "03-prune" / "metrics.json"));
  EXPECT_EQ(metrics["method"], "structured");
  EXPECT_EQ(metrics["criterion"], "l1");
  // conv 4*11*3+4 = 136 -> 2*11*3+2 = 68; fc 64*16+16 = 1040 -> 32*8+8 = 264; out 34 -> 18.
  EXPECT_EQ(metrics["parameters_before"], 1210);
  EXPECT_EQ(metrics["parameters"], 350);
  // conv 64 outputs * 33 = 2112 -> 1056; fc 1024 -> 256; out 32 -> 16.
  EXPECT_EQ(metrics["macs_before"], 3168);
  EXPECT_EQ(metrics["macs"], 1328);
  const json expected = json::parse(R"([
    {"name": "conv", "type": "conv1d", "units_before": 4, "units_after": 2,
     "parameters_before": 136, "parameters_after": 68, "macs_before": 2112, "macs_after": 1056},
    {"name": "fc", "type": "dense", "units_before": 16, "units_after": 8,
     "parameters_before": 1040, "parameters_after": 264, "macs_before": 1024, "macs_after": 256},
    {"name": "out", "type": "dense", "units_before": 2, "units_after": 2,
     "parameters_before": 34, "parameters_after": 18, "macs_before": 32, "macs_after": 16}])");
  EXPECT_EQ(metrics["units"], expected);
  EXPECT_EQ(metrics["layers"].size(), 3u);
  EXPECT_TRUE(metrics["test"].contains("pt_spread"));
}

std::string config_error(const std::filesystem::path& path) {
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(StructuredStage, GlobalScopeIsAPositionedConfigError) {
  const auto path =
      write_config(testing::temp_dir("cfg"), "    schedule: polynomial\n", "    scope: global\n");
  EXPECT_EQ(config_error(path),
            path.string() +
                ":21:12: error: scope 'global' does not apply to method "
                "'structured': every layer removes its own fraction of units; use "
                "scope 'layer'\n1 error found; nothing was run.\n");
}

TEST(StructuredStage, ATargetOnTheOutputLayerIsAPositionedConfigError) {
  const auto path = write_config(testing::temp_dir("cfg"), "layers: {}", "layers: {out: 0.5}");
  EXPECT_EQ(config_error(path),
            path.string() +
                ":23:13: error: stage 'prune': cannot remove units of layer 'out' "
                "(dense) of model 'net': its units are outputs of the model; exclude "
                "it or use method 'magnitude'\n1 error found; nothing was run.\n");
}

// Raises SIGINT when the prune stage's fine-tuning reports its first epoch, so that the stage
// stops at the next step and leaves a checkpoint of the masked model.
class InterruptAfterFirstPruneEpoch : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    if (text.rfind("pruning units of", 0) == 0) armed_ = true;
    if (armed_ && !fired_ && text.rfind("epoch 1/", 0) == 0) {
      fired_ = true;
      raise_interrupt(SIGINT);
    }
  }
  void flush_() override {}

 private:
  bool armed_ = false;
  bool fired_ = false;
};

TEST(StructuredStage, ResumesFromItsCheckpointToTheSameModel) {
  const auto plain_dir = testing::temp_dir("structured_plain");
  run_pipeline(PipelineConfig::load(write_config(plain_dir), {}, testing::test_registry()), {});

  const auto dir = testing::temp_dir("structured_resume");
  const auto config = PipelineConfig::load(write_config(dir), {}, testing::test_registry());
  init_console_logging(Verbosity::kNormal);
  auto logger = spdlog::get("hlslim");
  ASSERT_TRUE(logger);
  auto sink = std::make_shared<InterruptAfterFirstPruneEpoch>();
  logger->sinks().push_back(sink);
  reset_interrupt();
  EXPECT_THROW(run_pipeline(config, {}), Interrupted);
  auto& sinks = logger->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  reset_interrupt();
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "03-prune" / "checkpoint"));
  RunOptions resume;
  resume.resume = true;
  const auto result = run_pipeline(config, resume);
  EXPECT_EQ(result.ran, (std::vector<std::string>{"prune"}));

  const Graph expected = load_model(plain_dir / "out" / "03-prune" / "state" / "net.hlsm");
  const Graph resumed = load_model(dir / "out" / "03-prune" / "state" / "net.hlsm");
  ASSERT_EQ(resumed.layers.size(), expected.layers.size());
  for (std::size_t i = 0; i < expected.layers.size(); ++i)
    EXPECT_EQ(resumed.layers[i].tensors, expected.layers[i].tensors) << expected.layers[i].name;
}

}  // namespace
}  // namespace hlslim
