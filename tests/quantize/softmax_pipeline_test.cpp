// A classifier with a trailing softmax through quantize and export: the quantize stage accepts
// the softmax, the firmware (QONNX, hls4ml configuration, HLS project, test vectors) ends at the
// logits, the float ONNX keeps it, and the export says so. `softmax: hls4ml` is a positioned
// config error until hls4ml's tables are modelled bit for bit.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "hlslim/data/npy.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Three Gaussian blobs over 8 features, class-index labels.
fs::path write_dataset(const std::string& name) {
  const fs::path dir = testing::temp_dir(name);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> means(3 * 8);
  for (float& m : means) m = 1.5f * normal(rng);
  std::vector<float> features, labels;
  const std::size_t events = 900;
  for (std::size_t i = 0; i < events; ++i) {
    for (std::size_t f = 0; f < 8; ++f) features.push_back(means[(i % 3) * 8 + f] + normal(rng));
    labels.push_back(static_cast<float>(i % 3));
  }
  data::write_npy((dir / "features.npy").string(), {events, 8}, features.data());
  data::write_npy((dir / "labels.npy").string(), {events}, labels.data());
  testing::write_text(dir / "labels.json", R"({"columns": ["class"], "classes": ["a", "b", "c"]})");
  return dir;
}

std::string config(const std::string& export_extra) {
  return R"(output: out
seed: 2
threads: 2
models:
  tagger:
    layers:
      - {type: flatten}
      - {type: dense, name: fc1, units: 16}
      - {type: relu}
      - {type: dense, name: out, units: 3}
      - {type: softmax, name: prob}
stages:
  - stage: data
    source: npy
    npy: {images: features.npy, labels: labels.npy, labels_json: labels.json}
    input: full
    targets: [class]
    split: {train: 0.6, validation: 0.2, test: 0.2}
  - {stage: train, model: tagger, loss: ce, monitor: accuracy, epochs: 2, batch_size: 64}
  - stage: quantize
    model: tagger
    precision: {input: auto, weight: 'fixed<8,auto,RND_CONV,SAT>', bias: 'fixed<8,auto,RND_CONV,SAT>'}
  - {stage: export, model: tagger, project: tagger, test_vectors: 40)" +
         export_extra + "}\n";
}

TEST(SoftmaxPipeline, TheFirmwareDropsATrailingSoftmaxAndTheExportSaysSo) {
  const fs::path dir = write_dataset("softmax_pipeline");
  const auto path = testing::write_text(dir / "p.yaml", config(""));
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const fs::path out = dir / "out" / "04-export";

  const json metrics = json::parse(read_file(out / "metrics.json"));
  EXPECT_EQ(metrics["softmax"], json({{"layer", "prob"}, {"firmware", "dropped"}}));
  const json readiness = json::parse(read_file(out / "readiness.json"));
  bool noted = false;
  for (const json& f : readiness) {
    if (f["node"] == "prob" && f["severity"] == "note") {
      noted = true;
      EXPECT_NE(f["message"].get<std::string>().find(
                    "softmax dropped: the firmware (QONNX, hls4ml configuration, HLS project, test "
                    "vectors) ends at the logits before softmax layer 'prob'"),
                std::string::npos)
          << f;
    }
  }
  EXPECT_TRUE(noted) << readiness;
  EXPECT_EQ(metrics["readiness"]["warnings"], 0) << readiness;

  // The float ONNX keeps the softmax; the QONNX and the hls4ml configuration end at 'out'.
  EXPECT_NE(read_file(out / "tagger.onnx").find("Softmax"), std::string::npos);
  EXPECT_EQ(read_file(out / "tagger_qonnx.onnx").find("Softmax"), std::string::npos);
  const std::string hls4ml = read_file(out / "hls4ml_config.yml");
  EXPECT_EQ(hls4ml.find("prob"), std::string::npos) << hls4ml;
  EXPECT_EQ(hls4ml.find("oftmax"), std::string::npos) << hls4ml;
  EXPECT_EQ(read_file(out / "hls" / "firmware" / "tagger.cpp").find("oftmax"), std::string::npos);

  // The test vectors are logits, three per event: not probabilities.
  std::istringstream lines(read_file(out / "tb_data" / "tb_output_predictions.dat"));
  std::size_t rows = 0;
  bool beyond_probabilities = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream values(line);
    std::vector<double> row;
    for (double v; values >> v;) row.push_back(v);
    ASSERT_EQ(row.size(), 3u) << line;
    double sum = 0;
    for (double v : row) {
      sum += v;
      beyond_probabilities = beyond_probabilities || v < 0 || v > 1;
    }
    beyond_probabilities = beyond_probabilities || std::abs(sum - 1) > 0.1;
    ++rows;
  }
  EXPECT_EQ(rows, 40u);
  EXPECT_TRUE(beyond_probabilities);
  EXPECT_NE(read_file(dir / "out" / "run.log")
                .find("export: softmax dropped: the firmware (QONNX, hls4ml configuration"),
            std::string::npos);
}

TEST(SoftmaxPipeline, Hls4mlSoftmaxIsAPositionedConfigErrorForNow) {
  const fs::path dir = testing::temp_dir("softmax_hls4ml");
  const auto path = testing::write_text(dir / "p.yaml", config(", softmax: hls4ml"));
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find(path.string() +
                        ":23:80: error: stage 'export': softmax: 'hls4ml' is not supported yet: "
                        "hls4ml computes its Softmax layer from lookup tables of exponentials "
                        "and inverses, which the fixed-point engine does not model bit for bit, "
                        "so the test vectors and figures would not be the firmware's; use 'drop' "
                        "(the firmware outputs the logits, and the argmax is the same)"),
              std::string::npos)
        << text;
  }
}

}  // namespace
}  // namespace hlslim
