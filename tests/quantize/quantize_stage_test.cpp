// The quantize stage in a pipeline, the LibTorch fake-quant forward against the fixed-point
// engine, and configuration errors with positions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/builders.hpp"
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
      - {type: batch_norm, name: bn}
      - {type: relu}
      - {type: flatten}
      - {type: dense, name: fc, units: 16}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 4000, noise_events: 400}
  - {stage: train, model: net, epochs: 2}
  - stage: quantize
    model: net
    precision: {weight: 'fixed<8,auto,RND_CONV,SAT>'}
    layers:
      out: {result: 'fixed<16,6>'}
)";

std::string load_error(const std::string& yaml) {
  const auto path = testing::write_text(testing::temp_dir("cfg") / "q.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    std::string text = e.what();
    return text.substr(text.find("q.yaml:") + 7);
  }
  return "no error";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(QuantizeStage, PostTrainingQuantizationReportsEveryLayerAndSavesThePrecisions) {
  const auto dir = testing::temp_dir("quantize");
  run_pipeline(PipelineConfig::load(testing::write_text(dir / "q.yaml", kConfig), {},
                                    testing::test_registry()),
               {});
  const Graph model = load_model(dir / "out" / "03-quantize" / "state" / "net.hlsm");
  ASSERT_TRUE(has_precision(model));
  EXPECT_EQ(model.find("bn"), nullptr) << "the batch norm is folded into conv";
  const ModelPrecision precision = read_precision(model);
  EXPECT_EQ(precision.layers.size(), model.layers.size());
  EXPECT_EQ(model.find("out")->attrs.at(precision_attr("result")),
            AttrValue(std::string("fixed<16,6>")));
  EXPECT_EQ(
      std::get<std::string>(model.find("fc")->attrs.at(precision_attr("weight"))).substr(0, 8),
      "fixed<8,");

  const json m = json::parse(read_file(dir / "out" / "03-quantize" / "metrics.json"));
  EXPECT_EQ(m["folded_batch_norms"], json::parse(R"([["conv", "bn"]])"));
  std::vector<std::string> names;
  for (const auto& layer : m["layers"]) names.push_back(layer["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"conv", "relu_1", "fc", "relu_2", "out"}));
  for (const auto& layer : m["layers"]) {
    EXPECT_TRUE(layer.contains("result")) << layer.dump();
    EXPECT_GE(layer["values"].get<std::int64_t>(), 1) << layer.dump();
    EXPECT_LE(layer["seen_max"].get<double>(), layer["result_max"].get<double>() * 1.5);
  }
  EXPECT_EQ(m["input"]["overflows"], 0);
  EXPECT_TRUE(m["test_float"].contains("pt_spread"));
  EXPECT_TRUE(m["test"].contains("pt_spread"));
  // Every weight and bias that stays non-zero after quantization costs its type's width.
  std::int64_t bits = 0;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    for (const auto& [role, type] :
         {std::pair{"weight", precision.layers[i].weight}, {"bias", precision.layers[i].bias}}) {
      const auto tensor = model.layers[i].tensors.find(role);
      if (!type || tensor == model.layers[i].tensors.end()) continue;
      for (float v : tensor->second.values) bits += quantize(v, *type) != 0 ? type->width : 0;
    }
  }
  EXPECT_EQ(m["weight_bits"].get<std::int64_t>(), bits);
}

TEST(QuantizeStage, QuantizationAwareTrainingKeepsPrunedWeightsAtZero) {
  const auto dir = testing::temp_dir("qat");
  std::string yaml = replaced(kConfig, "  - stage: quantize\n",
                              "  - {stage: prune, model: net, sparsity: 0.5, schedule: one_shot, "
                              "fine_tune: {epochs: 1}}\n  - stage: quantize\n");
  yaml += "    method: qat\n    fine_tune: {epochs: 1}\n";
  run_pipeline(
      PipelineConfig::load(testing::write_text(dir / "q.yaml", yaml), {}, testing::test_registry()),
      {});
  const Graph model = load_model(dir / "out" / "04-quantize" / "state" / "net.hlsm");
  const Layer& fc = *model.find("fc");
  const auto& mask = fc.tensors.at("weight_mask").values;
  std::size_t masked = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] != 0.0f) continue;
    ++masked;
    EXPECT_EQ(fc.tensors.at("weight").values[i], 0.0f) << i;
  }
  EXPECT_EQ(masked, mask.size() / 2);
  const json m = json::parse(read_file(dir / "out" / "04-quantize" / "metrics.json"));
  EXPECT_TRUE(m["test_qat"].contains("pt_spread"));
  EXPECT_EQ(m["test"], m["test_qat"]);
  EXPECT_EQ(m["qat_epochs_run"], 1);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "04-quantize" / "history.jsonl"));
}

TEST(QuantizeStage, BadPrecisionsAreConfigErrorsWithPositions) {
  EXPECT_EQ(load_error(replaced(kConfig, "'fixed<8,auto,RND_CONV,SAT>'", "'fixed<3,5>'")),
            "19:25: error: stage 'quantize': precision.weight 'fixed<3,5>': integer "
            "bits 5 exceed total bits 3 (the step would be 2^2)\n1 error found; "
            "nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "'fixed<8,auto,RND_CONV,SAT>'", "'fixed<8,3,RND_UP>'")),
            "19:25: error: stage 'quantize': precision.weight 'fixed<8,3,RND_UP>': "
            "unknown rounding mode 'RND_UP' (expected one of: TRN, TRN_ZERO, RND, "
            "RND_ZERO, RND_MIN_INF, RND_INF, RND_CONV)\n1 error found; nothing was "
            "run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "'fixed<16,6>'", "'fixed<80,6>'")),
            "21:21: error: stage 'quantize': layers.out.result 'fixed<80,6>': total "
            "bits must be at most 64, got 80 (raw values are held in int64_t)\n1 "
            "error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "{result: 'fixed<16,6>'}", "{weigth: 'fixed<8,3>'}")),
            "21:13: error: stage 'quantize': unknown role 'weigth' in layers.out "
            "(roles: weight, bias, accum, result) (did you mean 'weight'?)\n1 error "
            "found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "out: {result:", "relu: {weight: 'fixed<8,1>', result:")),
            "21:7: error: stage 'quantize': layers.relu: a relu layer has no weight "
            "precision (it has: result)\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "out: {", "ot: {")),
            "21:7: error: stage 'quantize': model 'net' has no layer or layer type "
            "'ot' (did you mean 'out'?)\n1 error found; nothing was run.\n");
  // A softmax before another layer is refused where the model is trained (only a trailing one
  // is left out, and the firmware outputs the logits before it), and cannot be quantized.
  const std::string mid =
      load_error(replaced(kConfig, "      - {type: dense, name: out, units: 2}\n",
                          "      - {type: softmax}\n"
                          "      - {type: dense, name: out, units: 2}\n"));
  EXPECT_EQ(mid.substr(0, mid.find('\n') + 1),
            "17:5: error: stage 'train': model 'net': softmax layer 'softmax_1' must be the last "
            "layer (the loss, the evaluations and the firmware end at the logits before it), but "
            "dense layer 'out' follows it; end the model with the softmax or remove it\n");
  EXPECT_NE(mid.find("q.yaml:18:5: error: stage 'quantize': model 'net', layer 'softmax_1': "
                     "softmax cannot be quantized (hls4ml computes it with lookup tables, which "
                     "the fixed-point engine does not model)\n2 errors found; nothing was run.\n"),
            std::string::npos)
      << mid;
}

TEST(QuantizeStage, TheFineTuningOfQuantizationAwareTrainingIsCheckedLikeOtherTrainings) {
  const std::string qat = replaced(kConfig, "    model: net\n",
                                   "    model: net\n    method: qat\n"
                                   "    fine_tune: {epochs: 1, loss: mse, monitor: roc_auc}\n");
  EXPECT_EQ(load_error(qat),
            "20:48: error: stage 'quantize': fine_tune: monitor 'roc_auc' means nothing for a "
            "regression (loss 'mse'); it needs loss 'ce' or 'bce'\n1 error found; nothing was "
            "run.\n");
  // Post-training quantization does not train: its fine_tune block is not checked as a task.
  EXPECT_EQ(load_error(replaced(qat, "method: qat", "method: ptq")), "no error");
}

}  // namespace
}  // namespace hlslim
