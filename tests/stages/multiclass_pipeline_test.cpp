// A five-class tagger end to end on a synthetic tabular data set (16 features, npy source):
// softmax cross-entropy, its figures (top-1 accuracy, per-class and macro ROC AUC, confusion
// matrix) in every stage's results, monitors, label formats and the config errors of the traps.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "hlslim/data/npy.hpp"
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

constexpr std::size_t kClasses = 5;
constexpr std::size_t kFeatures = 16;

// Gaussian blobs: each class has its own mean over the 16 features (spread 1.2), unit noise.
// `one_hot`: K label columns instead of one column of class indices. Returns the directory.
fs::path write_dataset(const std::string& name, std::size_t events, bool one_hot = false,
                       float bad_label = -1) {
  const fs::path dir = testing::temp_dir(name);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> means(kClasses * kFeatures);
  for (float& m : means) m = 1.2f * normal(rng);
  std::vector<float> features;
  std::vector<float> labels;
  for (std::size_t i = 0; i < events; ++i) {
    const std::size_t c = i % kClasses;
    for (std::size_t f = 0; f < kFeatures; ++f)
      features.push_back(means[c * kFeatures + f] + normal(rng));
    if (one_hot) {
      for (std::size_t k = 0; k < kClasses; ++k) labels.push_back(k == c ? 1.0f : 0.0f);
    } else {
      labels.push_back(static_cast<float>(c));
    }
  }
  if (bad_label >= 0) labels[7] = bad_label;
  data::write_npy((dir / "features.npy").string(), {events, kFeatures}, features.data());
  if (one_hot) {
    data::write_npy((dir / "labels.npy").string(), {events, kClasses}, labels.data());
    testing::write_text(dir / "labels.json", R"({"columns": ["g", "q", "w", "z", "t"]})");
  } else {
    data::write_npy((dir / "labels.npy").string(), {events}, labels.data());
    testing::write_text(dir / "labels.json",
                        R"({"columns": ["class"], "classes": ["g", "q", "w", "z", "t"]})");
  }
  return dir;
}

std::string config(const std::string& softmax, const std::string& targets,
                   const std::string& stages) {
  return R"(output: out
seed: 3
threads: 2
models:
  tagger:
    layers:
      - {type: flatten}
      - {type: dense, name: fc1, units: 32}
      - {type: relu}
      - {type: dense, name: fc2, units: 16}
      - {type: relu}
      - {type: dense, name: out, units: 5}
)" + softmax +
         R"(stages:
  - stage: data
    source: npy
    npy: {images: features.npy, labels: labels.npy, labels_json: labels.json}
    input: full
    targets: )" +
         targets + R"(
    split: {train: 0.6, validation: 0.2, test: 0.2}
)" + stages;
}

const std::string kSoftmax = "      - {type: softmax, name: prob}\n";
const std::string kTrain =
    "  - {stage: train, model: tagger, loss: ce, monitor: accuracy, epochs: 6, batch_size: 64,\n"
    "     learning_rate: 0.003}\n";

json read_json(const fs::path& path) {
  return json::parse(read_file(path));
}

TEST(MulticlassPipeline, TrainPruneQatExportAFiveClassTagger) {
  const fs::path dir = write_dataset("mc_full", 2500);
  const std::string stages =
      kTrain +
      "  - {stage: prune, model: tagger, sparsity: 0.5, layers: {out: exclude},\n"
      "     fine_tune: {epochs: 2, batch_size: 64, learning_rate: 0.001, monitor: accuracy}}\n"
      "  - stage: quantize\n"
      "    model: tagger\n"
      "    method: qat\n"
      "    precision: {input: auto, weight: 'fixed<8,auto,RND_CONV,SAT>', "
      "bias: 'fixed<8,auto,RND_CONV,SAT>'}\n"
      "    fine_tune: {epochs: 2, batch_size: 64, learning_rate: 0.0005, monitor: accuracy}\n"
      "  - {stage: export, model: tagger, project: tagger, io_type: io_parallel, test_vectors: "
      "50}\n";
  const auto path = testing::write_text(dir / "p.yaml", config("", "[class]", stages));
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const fs::path out = dir / "out";

  const json train = read_json(out / "02-train" / "metrics.json");
  const json& test = train["test"];
  // Chance is 0.2; the blobs are well separated.
  EXPECT_GT(test["accuracy"].get<double>(), 0.8);
  EXPECT_GT(test["roc_auc"].get<double>(), 0.9);
  EXPECT_EQ(test["classes"], json({"g", "q", "w", "z", "t"}));
  ASSERT_EQ(test["confusion"].size(), kClasses);
  std::size_t total = 0, diagonal = 0;
  for (std::size_t r = 0; r < kClasses; ++r) {
    for (std::size_t c = 0; c < kClasses; ++c) {
      total += test["confusion"][r][c].get<std::size_t>();
      if (r == c) diagonal += test["confusion"][r][c].get<std::size_t>();
    }
  }
  EXPECT_EQ(total, test["counts"]["events"].get<std::size_t>());
  EXPECT_DOUBLE_EQ(test["accuracy"].get<double>(),
                   static_cast<double>(diagonal) / static_cast<double>(total));
  for (const char* name : {"g", "q", "w", "z", "t"}) {
    EXPECT_GT(test["class_roc_auc"][name].get<double>(), 0.8) << name;
    EXPECT_FALSE(test["roc_curves"][name]["fpr"].empty()) << name;
  }
  EXPECT_EQ(train["monitor"], "accuracy");
  EXPECT_EQ(train["best_value"], train["validation"]["accuracy"]);

  // Every stage reports the figures in results.json; the quantized model (fixed-point engine)
  // stays close to the float one.
  for (const char* stage : {"02-train", "03-prune", "04-quantize"}) {
    const auto results = StageResults::load(out / stage, stage);
    ASSERT_TRUE(results.has_value()) << stage;
    const Evaluation& e = results->evaluations.back();
    EXPECT_GT(e.figures.at("accuracy"), 0.75) << stage;
    EXPECT_GT(e.figures.at("roc_auc"), 0.9) << stage;
    EXPECT_TRUE(e.distributions.contains("confusion")) << stage;
  }
  const json quantize = read_json(out / "04-quantize" / "metrics.json");
  EXPECT_NEAR(quantize["test"]["accuracy"].get<double>(),
              quantize["test_float"]["accuracy"].get<double>(), 0.05);
  EXPECT_TRUE(fs::exists(out / "05-export" / "results.json"));
}

TEST(MulticlassPipeline, ATrailingSoftmaxChangesNothing) {
  // ce reads the logits before the softmax and the figures leave it out: with and without it,
  // the same seed trains the same weights and gives the same figures.
  const fs::path dir = write_dataset("mc_softmax", 1500);
  const auto with = testing::write_text(dir / "with.yaml", config(kSoftmax, "[class]", kTrain));
  std::string text = config("", "[class]", kTrain);
  text.replace(text.find("output: out"), 11, "output: out2");
  const auto without = testing::write_text(dir / "without.yaml", text);
  run_pipeline(PipelineConfig::load(with, {}, testing::test_registry()), {});
  run_pipeline(PipelineConfig::load(without, {}, testing::test_registry()), {});
  const json a = read_json(dir / "out" / "02-train" / "metrics.json")["test"];
  const json b = read_json(dir / "out2" / "02-train" / "metrics.json")["test"];
  EXPECT_EQ(a, b);
  EXPECT_GT(a["accuracy"].get<double>(), 0.7);
}

TEST(MulticlassPipeline, OneHotColumnsAndLabelSmoothing) {
  const fs::path dir = write_dataset("mc_onehot", 1500, /*one_hot=*/true);
  std::string train = kTrain;
  train.replace(train.find("epochs: 6"), 9, "epochs: 6, label_smoothing: 0.1");
  const auto path = testing::write_text(dir / "p.yaml", config(kSoftmax, "[g, q, w, z, t]", train));
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const json test = read_json(dir / "out" / "02-train" / "metrics.json")["test"];
  EXPECT_GT(test["accuracy"].get<double>(), 0.7);
  EXPECT_EQ(test["classes"], json({"g", "q", "w", "z", "t"}));
}

TEST(MulticlassPipeline, EachOfSeveralBceOutputsHasItsFiguresInTheResults) {
  // The one-vs-rest alternative: one sigmoid logit per class; each head's figures are figures
  // of the evaluation, "<head>/roc_auc" and "<head>/accuracy".
  const fs::path dir = write_dataset("mc_bce", 1000, /*one_hot=*/true);
  const auto path = testing::write_text(
      dir / "p.yaml",
      config("", "[g, q, w, z, t]",
             "  - {stage: train, model: tagger, loss: bce, epochs: 3, batch_size: 64}\n"));
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const auto results = StageResults::load(dir / "out" / "02-train", "02-train");
  ASSERT_TRUE(results.has_value());
  const Evaluation& e = results->evaluations.back();
  for (const char* head : {"g", "q", "w", "z", "t"}) {
    EXPECT_EQ(e.figures.at(std::string(head) + "/roc_auc"),
              e.distributions[head]["roc_auc"].get<double>())
        << head;
    EXPECT_TRUE(e.figures.count(std::string(head) + "/accuracy")) << head;
    EXPECT_GT(e.figures.at(std::string(head) + "/roc_auc"), 0.8) << head;
  }
}

TEST(MulticlassPipeline, ABadClassLabelStopsTheTrainingNamingIt) {
  const fs::path dir = write_dataset("mc_bad", 500, false, /*bad_label=*/5);
  const auto path = testing::write_text(dir / "p.yaml", config(kSoftmax, "[class]", kTrain));
  try {
    run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "loss 'ce': label column 'class' must hold class indices 0..4 (one per "
                  "output of the model), but event 7 has 5"),
              std::string::npos)
        << e.what();
  }
}

TEST(MulticlassPipeline, ClassNamesMustBeOnePerOutput) {
  const fs::path dir = write_dataset("mc_names", 500);
  testing::write_text(dir / "labels.json", R"({"columns": ["class"], "classes": ["g", "q"]})");
  const auto path = testing::write_text(dir / "p.yaml", config(kSoftmax, "[class]", kTrain));
  try {
    run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "loss 'ce': the labels' 'classes' (labels.json) names 2 classes, but the "
                  "model has 5 outputs, one per class of label column 'class'"),
              std::string::npos)
        << e.what();
  }
}

std::string config_errors(const fs::path& dir, const std::string& yaml) {
  const auto path = testing::write_text(dir / "p.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(MulticlassPipeline, TrapsArePositionedConfigErrors) {
  const fs::path dir = write_dataset("mc_traps", 100);
  const std::string p = (dir / "p.yaml").string();
  const auto train = [](const std::string& options) {
    return "  - {stage: train, model: tagger, " + options + "}\n";
  };
  const std::string one = "1 error found; nothing was run.\n";
  const std::string two = "2 errors found; nothing was run.\n";
  const std::string sigmoid = "      - {type: sigmoid, name: sig}\n";
  // The train stage is on line 21 with a softmax or sigmoid last layer, on line 20 without.
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]", train("loss: ce"))), "");
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]", train("loss: bce"))),
            p +
                ":21:5: error: stage 'train': model 'tagger' has output [5] but the data has 1 "
                "target(s) (class)\n" +
                p +
                ":21:41: error: stage 'train': loss 'bce' applies a sigmoid to each output "
                "itself, but model 'tagger' ends with softmax layer 'prob'; use loss 'ce' "
                "for one class out of several (it reads the logits before the softmax)\n" +
                two);
  EXPECT_EQ(config_errors(dir, config(sigmoid, "[class]", train("loss: ce"))),
            p +
                ":21:41: error: stage 'train': loss 'ce' applies a softmax to the logits itself, "
                "but model 'tagger' ends with sigmoid layer 'sig'; remove that layer (a trailing "
                "softmax may stay)\n" +
                one);
  EXPECT_EQ(config_errors(
                dir, config(kSoftmax, "[class, class, class, class, class]", train("loss: mse"))),
            p +
                ":21:41: error: stage 'train': loss 'mse' is a regression loss, but model "
                "'tagger' ends with softmax layer 'prob'; use loss 'ce' for classes\n" +
                one);
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]", train("loss: ce, monitor: pt_spread"))),
            p +
                ":21:54: error: stage 'train': monitor 'pt_spread' means nothing for a "
                "classifier (loss 'ce'): monitor val_loss, accuracy or roc_auc\n" +
                one);
  EXPECT_EQ(config_errors(dir, config("", "[class, class, class, class, class]",
                                      train("loss: mse, monitor: accuracy"))),
            p +
                ":20:55: error: stage 'train': monitor 'accuracy' means nothing for a "
                "regression (loss 'mse'); it needs loss 'ce' or 'bce'\n" +
                one);
  EXPECT_EQ(config_errors(dir, config("", "[class, class, class, class, class]",
                                      train("loss: bce, monitor: accuracy"))),
            p +
                ":20:55: error: stage 'train': monitor 'accuracy' means nothing for 5 'bce' "
                "outputs (each has its own figures); use loss 'ce' for one class out of "
                "several, or monitor val_loss\n" +
                one);
  EXPECT_EQ(config_errors(dir, config("", "[class, class]", train("loss: ce"))),
            p +
                ":20:5: error: stage 'train': model 'tagger' has 5 outputs but the data has 2 "
                "target(s) (class, class); loss 'ce' reads one target column of class indices "
                "or one one-hot target column per output\n" +
                one);
  EXPECT_EQ(config_errors(dir, config("", "[class]", train("loss: mse, label_smoothing: 0.1"))),
            p +
                ":20:63: error: 'label_smoothing' applies to loss 'ce' only (the loss is "
                "'mse')\n" +
                one);
  // A fine-tuning that leaves its loss at the default inherits the model's task.
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]",
                                      train("loss: ce") +
                                          "  - {stage: prune, model: tagger, sparsity: 0.5}\n")),
            "");
  EXPECT_EQ(config_errors(
                dir, config(kSoftmax, "[class]",
                            train("loss: ce") + "  - {stage: prune, model: tagger, sparsity: 0.5, "
                                                "fine_tune: {loss: bce}}\n")),
            p +
                ":22:5: error: stage 'prune': fine_tune: model 'tagger' has output [5] but the "
                "data has 1 target(s) (class)\n" +
                p +
                ":22:68: error: stage 'prune': fine_tune: loss 'bce' applies a sigmoid to "
                "each output itself, but model 'tagger' ends with softmax layer 'prob'; use "
                "loss 'ce' for one class out of several (it reads the logits before the "
                "softmax)\n" +
                two);
}

TEST(MulticlassPipeline, ASoftmaxMustBeTheLastLayerAfterTheLogits) {
  const fs::path dir = write_dataset("mc_softmax_rules", 100);
  const std::string p = (dir / "p.yaml").string();
  const std::string one = "1 error found; nothing was run.\n";
  const std::string dropout = "      - {type: dropout, name: drop, rate: 0.1}\n";
  const std::string flatten = "      - {type: flatten, name: flat}\n";
  // A layer after the softmax, in either order of the two last layers: the train stage is on
  // line 22.
  EXPECT_EQ(config_errors(dir, config(kSoftmax + dropout, "[class]", kTrain)),
            p +
                ":22:5: error: stage 'train': model 'tagger': softmax layer 'prob' must be the "
                "last layer (the loss, the evaluations and the firmware end at the logits "
                "before it), but dropout layer 'drop' follows it; end the model with the "
                "softmax or remove it\n" +
                one);
  EXPECT_EQ(config_errors(dir, config(dropout + kSoftmax, "[class]", kTrain)), "");
  EXPECT_EQ(config_errors(dir, config(kSoftmax + flatten, "[class]", kTrain)),
            p +
                ":22:5: error: stage 'train': model 'tagger': softmax layer 'prob' must be the "
                "last layer (the loss, the evaluations and the firmware end at the logits "
                "before it), but flatten layer 'flat' follows it; end the model with the "
                "softmax or remove it\n" +
                one);
  EXPECT_EQ(config_errors(dir, config(flatten + kSoftmax, "[class]", kTrain)), "");
  // A trailing softmax with no dense or convolution layer before it has no logits to end at.
  std::string only_softmax = config(kSoftmax, "[class]", kTrain);
  const std::string layers = only_softmax.substr(
      only_softmax.find("      - {type: flatten}"),
      only_softmax.find("      - {type: softmax") - only_softmax.find("      - {type: flatten}"));
  only_softmax.replace(only_softmax.find(layers), layers.size(), "      - {type: flatten}\n");
  EXPECT_EQ(config_errors(dir, only_softmax),
            p +
                ":16:5: error: stage 'train': model 'tagger': softmax layer 'prob' ends the "
                "model with no dense or convolution layer before it to compute the logits it "
                "reads; put one before it\n" +
                one);
}

TEST(MulticlassPipeline, AFineTuningThatLeavesItsLossAtTheDefaultIsCheckedAsCe) {
  const fs::path dir = write_dataset("mc_inherited_loss", 100);
  const std::string p = (dir / "p.yaml").string();
  const std::string one = "1 error found; nothing was run.\n";
  // The stages after the train stage start on line 23.
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]",
                                      kTrain + "  - {stage: prune, model: tagger, sparsity: 0.5, "
                                               "fine_tune: {monitor: pt_mae}}\n")),
            p +
                ":23:71: error: stage 'prune': fine_tune: monitor 'pt_mae' means nothing for a "
                "classifier (loss 'ce'): monitor val_loss, accuracy or roc_auc\n" +
                one);
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]",
                                      kTrain + "  - {stage: quantize, model: tagger, method: qat,\n"
                                               "     fine_tune: {monitor: pt_mae}}\n")),
            p +
                ":24:27: error: stage 'quantize': fine_tune: monitor 'pt_mae' means nothing for "
                "a classifier (loss 'ce'): monitor val_loss, accuracy or roc_auc\n" +
                one);
  EXPECT_EQ(config_errors(dir, config(kSoftmax, "[class]",
                                      kTrain + "  - {stage: quantize, model: tagger, method: qat,\n"
                                               "     fine_tune: {monitor: accuracy}}\n")),
            "");
}

TEST(MulticlassPipeline, ALabelFileThatDisagreesWithItsColumnsFailsValidation) {
  const fs::path dir = write_dataset("mc_shape", 100);
  testing::write_text(dir / "labels.json", R"({"columns": ["class", "extra"]})");
  const std::string errors = config_errors(dir, config("", "[class]", kTrain));
  EXPECT_NE(errors.find("labels.json: 'columns' lists 2 names but "), std::string::npos) << errors;
  EXPECT_NE(errors.find("labels.npy has 1 columns"), std::string::npos) << errors;
}

}  // namespace
}  // namespace hlslim
