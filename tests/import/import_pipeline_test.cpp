// `models: {NAME: {from: FILE}}` through the pipeline: validate prints what it understood,
// dump-config keeps `from:`, the file's bytes are in the stage fingerprints, and an imported
// model runs build -> quantize -> export (a QONNX one build -> export) on a tiny data set.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "hlslim/data/npy.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/registry.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/train/training.hpp"
#include "import_support.hpp"

namespace hlslim {
namespace {

using import_test::Output;
using import_test::run_cli;

namespace fs = std::filesystem;
using import_test::models_dir;

// A tabular data set of `features` columns and `targets` regression targets: [N, features]
// rows, which the data stage reads as [1, 1, features].
void write_data(const fs::path& dir, std::size_t features, std::size_t targets) {
  const std::size_t n = 240;
  std::vector<float> x(n * features), y(n * targets);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 101) / 25.0 - 2);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>((i * 13 % 17) / 17.0);
  data::write_npy((dir / "features.npy").string(), {n, features}, x.data());
  data::write_npy((dir / "labels.npy").string(), {n, targets}, y.data());
  std::ofstream json(dir / "labels.json");
  json << "{\"columns\": [";
  for (std::size_t t = 0; t < targets; ++t) json << (t ? ", " : "") << "\"t" << t << "\"";
  json << "]}\n";
}

// data -> build -> (train -> structured prune -> quantize -> distill into a student)? -> export
std::string config_text(const std::string& model_file, std::size_t targets, bool compress) {
  std::string targets_list;
  for (std::size_t t = 0; t < targets; ++t) targets_list += (t ? ", t" : "t") + std::to_string(t);
  std::string text =
      "name: imported\n"
      "output: run\n"
      "seed: 1\n"
      "threads: 1\n"
      "models:\n"
      "  net: {from: " +
      model_file +
      "}\n"
      "  student: {layers: [{type: flatten}, {type: dense, units: " +
      std::to_string(targets) +
      "}]}\n"
      "stages:\n"
      "  - stage: data\n"
      "    source: npy\n"
      "    npy: {images: features.npy, labels: labels.npy, labels_json: labels.json}\n"
      "    input: full\n"
      "    targets: [" +
      targets_list +
      "]\n"
      "    split: {train: 0.6, validation: 0.2, test: 0.2}\n"
      "  - stage: build\n";
  if (compress) {
    text +=
        "  - stage: train\n    model: net\n    epochs: 2\n"
        "  - stage: prune\n    model: net\n    method: structured\n    sparsity: 0.5\n"
        "    fine_tune: {epochs: 2}\n"
        "  - stage: quantize\n    model: net\n"
        "  - stage: distill\n    teacher: net\n    student: student\n    epochs: 1\n";
  }
  text += "  - stage: export\n    model: net\n    test_vectors: 20\n";
  return text;
}

fs::path prepare(const std::string& name, const std::string& model, std::size_t features,
                 std::size_t targets, bool quantize) {
  const fs::path dir = import_test::temp_dir(name);
  fs::copy_file(models_dir() / (model + ".onnx"), dir / (model + ".onnx"));
  write_data(dir, features, targets);
  std::ofstream(dir / "config.yaml") << config_text(model + ".onnx", targets, quantize);
  return dir;
}

TEST(ImportPipeline, ValidatePrintsTheLayersItUnderstood) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("validate", "gemm_matmul", 10, 4, true);
  const Output out = run_cli("validate " + (dir / "config.yaml").string());
  ASSERT_EQ(out.exit_code, 0) << out.text;
  // The model as the build stage makes it: fitted to the data's [1, 1, 10] by a flatten.
  EXPECT_NE(out.text.find("model 'net' imported from gemm_matmul.onnx (input [1, 1, 10]):\n"
                          "layer              type             output               params    "
                          "nonzero       MACs\n"
                          "flatten_input      flatten          [10]                      0"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find("fc1                dense            [6]                      66"),
            std::string::npos)
      << out.text;
}

TEST(ImportPipeline, InputNextToFromFitsTheModelWhenTheConfigIsRead) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = import_test::temp_dir("input_key");
  fs::copy_file(models_dir() / "gemm_matmul.onnx", dir / "net.onnx");
  std::ofstream(dir / "config.yaml") << "models:\n"
                                        "  net: {from: net.onnx, input: [1, 1, 10]}\n"
                                        "stages:\n"
                                        "  - stage: build\n";
  StageRegistry registry;
  register_builtin_stages(registry);
  const PipelineConfig config = PipelineConfig::load(dir / "config.yaml", {}, registry);
  const Graph* graph = config.model("net");
  ASSERT_NE(graph, nullptr);
  EXPECT_EQ(graph->input_shape, (Shape{1, 1, 10}));
  EXPECT_EQ(graph->layers.front().name, "flatten_input");
  EXPECT_NE(config.dump().find("  net:\n    from: net.onnx\n    input: [1, 1, 10]\n"),
            std::string::npos)
      << config.dump();

  std::ofstream(dir / "config.yaml") << "models:\n"
                                        "  net: {from: net.onnx, input: [3, 4]}\n"
                                        "stages:\n"
                                        "  - stage: build\n";
  const Output out = run_cli("validate " + (dir / "config.yaml").string());
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.text, (dir / "config.yaml").string() +
                          ":2:32: error: model 'net': the model reads [10] (10 values) but 'input' "
                          "is [3, 4] (12 values)\n"
                          "1 error found; nothing was run.\n");
}

TEST(ImportPipeline, DataOfAnotherShapeThatDoesNotFitIsAnError) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("misfit", "gemm_matmul", 12, 4, false);
  const Output out = run_cli("validate " + (dir / "config.yaml").string());
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.text, (dir / "config.yaml").string() +
                          ":15:5: error: stage 'build': model 'net': the model reads [10] (10 "
                          "values) but the data has [1, 1, 12] (12 values)\n"
                          "1 error found; nothing was run.\n");
}

TEST(ImportPipeline, DumpConfigKeepsFromAndFingerprintsFollowTheFile) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("fingerprint", "gemm_matmul", 10, 4, true);
  StageRegistry registry;
  register_builtin_stages(registry);
  const PipelineConfig config = PipelineConfig::load(dir / "config.yaml", {}, registry);
  ASSERT_NE(config.import_of("net"), nullptr);
  const std::string dumped = config.dump();
  EXPECT_NE(dumped.find("models:\n  net:\n    from: gemm_matmul.onnx\n"), std::string::npos)
      << dumped;
  std::ofstream(dir / "dumped.yaml") << dumped;
  EXPECT_EQ(PipelineConfig::load(dir / "dumped.yaml", {}, registry).dump(), dumped);

  const int build = config.stage_index("build");
  const std::string before = config.stage_fingerprint_text(static_cast<std::size_t>(build));
  EXPECT_NE(before.find("sha256: " + config.import_of("net")->sha256), std::string::npos) << before;
  EXPECT_NE(before.find("from: gemm_matmul.onnx"), std::string::npos) << before;
  // The data stage reads no model: its fingerprint does not depend on the file.
  const std::string data_before = config.stage_fingerprint_text(0);

  // Other weights in a file of the same name: the fingerprint changes.
  fs::copy_file(models_dir() / "gemm_matmul_v2.onnx", dir / "gemm_matmul.onnx",
                fs::copy_options::overwrite_existing);
  const PipelineConfig changed = PipelineConfig::load(dir / "config.yaml", {}, registry);
  EXPECT_NE(changed.stage_fingerprint_text(static_cast<std::size_t>(build)), before);
  EXPECT_EQ(changed.stage_fingerprint_text(0), data_before);
}

TEST(ImportPipeline, ImportedModelTrainsPrunesQuantizesTeachesAndExports) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("run_float", "gemm_matmul", 10, 4, true);
  const Output out = run_cli("run " + (dir / "config.yaml").string() + " -q");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const std::string summary = import_test::read_text(dir / "run" / "02-build" / "net_summary.txt");
  EXPECT_NE(summary.find("flatten_input"), std::string::npos) << summary;
  // Half of the 6 hidden units removed by structured pruning: 10 x 3 + 3 + 3 x 4 + 4.
  const std::string pruned = import_test::read_text(dir / "run" / "04-prune" / "metrics.json");
  EXPECT_NE(pruned.find("\"parameters\": 49,"), std::string::npos) << pruned;
  EXPECT_NE(pruned.find("\"parameters_before\": 94,"), std::string::npos) << pruned;
  EXPECT_TRUE(fs::exists(dir / "run" / "06-distill")) << out.text;
  EXPECT_TRUE(fs::exists(dir / "run" / "07-export" / "hlslim_model_qonnx.onnx")) << out.text;
}

TEST(ImportPipeline, QonnxModelGoesStraightToExport) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("run_qonnx", "qonnx_mlp", 8, 3, false);
  const Output out = run_cli("run " + (dir / "config.yaml").string() + " -q");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  EXPECT_TRUE(fs::exists(dir / "run" / "03-export" / "hlslim_model_qonnx.onnx")) << out.text;
}

// data -> build -> STAGES on `model_file` with `targets` columns t0, t1, ...
std::string pipeline_text(const std::string& model_file, std::size_t targets,
                          const std::string& stages) {
  std::string text = config_text(model_file, targets, false);
  return text.substr(0, text.find("  - stage: export")) + stages;
}

// The float outputs of a saved model on the data set's features.
std::vector<float> outputs_of(const fs::path& model, const fs::path& features) {
  const Graph graph = load_model(model);
  const data::NpyArray x = data::read_npy(features.string());
  const std::size_t n = x.shape.at(0);
  std::vector<float> out(n * static_cast<std::size_t>(shape_numel(graph.output_shape())));
  float_predictor(graph)(x.data.data(), n, out.data());
  return out;
}

// A logits classifier (no softmax; torch's CrossEntropyLoss trains such a model) with one
// one-hot target column per output: an explicit `loss: ce` on a later stage makes it one.
TEST(ImportPipeline, LogitsClassifierIsAClassifierForALaterCeLoss) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("run_logits_ce", "gemm_matmul", 10, 4, false);
  const std::size_t n = 240;
  std::vector<float> y(n * 4, 0.0f);
  for (std::size_t i = 0; i < n; ++i) y[i * 4 + (i * 7 + i / 5) % 4] = 1.0f;
  data::write_npy((dir / "labels.npy").string(), {n, 4}, y.data());
  std::ofstream(dir / "config.yaml") << pipeline_text(
      "gemm_matmul.onnx", 4,
      "  - stage: prune\n    model: net\n    method: structured\n    sparsity: 0.5\n"
      "    fine_tune: {epochs: 2, loss: ce}\n");
  const Output out = run_cli("run " + (dir / "config.yaml").string() + " -q");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const auto normalization =
      TargetNormalization::from(load_model(dir / "run/02-build/state/net.hlsm"));
  ASSERT_TRUE(normalization.has_value());
  EXPECT_EQ(normalization->classes, 4);
  EXPECT_EQ(normalization->names, (std::vector<std::string>{"t0", "t1", "t2", "t3"}));
  const std::string pruned = import_test::read_text(dir / "run" / "03-prune" / "metrics.json");
  EXPECT_NE(pruned.find("\"accuracy\""), std::string::npos) << pruned;
}

// A later stage that trains the imported classifier with another loss is reported at its
// `loss` when the config is read.
TEST(ImportPipeline, LossThatContradictsTheImportedClassifierIsAnErrorAtLoss) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("logits_mixed", "gemm_matmul", 10, 4, false);
  const std::string config = (dir / "config.yaml").string();
  std::ofstream(config) << pipeline_text(
      "gemm_matmul.onnx", 4,
      "  - stage: train\n    model: net\n    epochs: 1\n    loss: mse\n"
      "  - stage: prune\n    model: net\n    sparsity: 0.5\n    fine_tune: {loss: ce}\n");
  const Output out = run_cli("validate " + config);
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.text, config +
                          ":19:11: error: stage 'train': loss 'mse' cannot train model 'net': it "
                          "is imported as a classifier over its 4 outputs (stage 'prune' trains "
                          "it with loss 'ce'); use loss 'ce'\n"
                          "1 error found; nothing was run.\n");
}

// A fresh train stage goes on from the imported weights, with the normalization the model was
// imported with (targets in their own units): one epoch at a tiny learning rate leaves its
// outputs where they were.
TEST(ImportPipeline, TrainingAnImportedModelStartsFromItsWeights) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("train_imported", "gemm_matmul", 10, 4, false);
  std::ofstream(dir / "config.yaml") << pipeline_text(
      "gemm_matmul.onnx", 4,
      "  - stage: train\n    model: net\n    epochs: 1\n    learning_rate: 1.0e-7\n");
  const Output out = run_cli("run " + (dir / "config.yaml").string() + " -q");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const std::vector<float> before =
      outputs_of(dir / "run/02-build/state/net.hlsm", dir / "features.npy");
  const std::vector<float> after =
      outputs_of(dir / "run/03-train/state/net.hlsm", dir / "features.npy");
  ASSERT_EQ(before.size(), after.size());
  double largest = 0, change = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    largest = std::max(largest, std::abs(static_cast<double>(before[i])));
    change = std::max(change, std::abs(static_cast<double>(after[i]) - before[i]));
  }
  EXPECT_GT(largest, 0.5);
  EXPECT_LT(change, 1e-3) << "largest output " << largest;
  const auto normalization =
      TargetNormalization::from(load_model(dir / "run/03-train/state/net.hlsm"));
  ASSERT_TRUE(normalization.has_value());
  EXPECT_EQ(normalization->classes, 0);
  EXPECT_EQ(normalization->mean, (std::vector<double>(4, 0.0)));
  EXPECT_EQ(normalization->scale, (std::vector<double>(4, 1.0)));
}

// torch's conv(x.unsqueeze(1)) on 16 flat features runs on data the data stage reads as
// [1, 1, 16]: a flatten, then the reshape to one channel.
TEST(ImportPipeline, Conv1dOnFlatFeaturesRunsOnTabularData) {
  HLSLIM_NEED_MODELS();
  const fs::path dir = prepare("run_flat_conv1d", "flat_conv1d", 16, 2, false);
  std::ofstream(dir / "config.yaml")
      << pipeline_text("flat_conv1d.onnx", 2,
                       "  - stage: quantize\n    model: net\n"
                       "  - stage: export\n    model: net\n    test_vectors: 20\n");
  const Output out = run_cli("run " + (dir / "config.yaml").string() + " -q");
  ASSERT_EQ(out.exit_code, 0) << out.text;
  const std::string summary = import_test::read_text(dir / "run" / "02-build" / "net_summary.txt");
  EXPECT_NE(summary.find("flatten_input      flatten          [16]"), std::string::npos) << summary;
  EXPECT_NE(summary.find("reshape_1          reshape          [1, 16]"), std::string::npos)
      << summary;
  EXPECT_TRUE(fs::exists(dir / "run" / "04-export" / "hlslim_model_qonnx.onnx")) << out.text;
}

}  // namespace
}  // namespace hlslim
