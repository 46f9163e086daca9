// The export stage in a pipeline: every file it writes, test vectors the engine reproduces,
// estimates and metrics that agree, and configuration and run-time errors with exact texts.
// (The HLS project's C simulation is run in tests/export_hls, the ONNX files are checked in
// tests/export_onnx.)
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
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
      - {type: dense, name: fc, units: 8}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 3000, noise_events: 300}
  - {stage: train, model: net, epochs: 1}
  - {stage: quantize, model: net}
  - stage: export
    model: net
    project: muon_mlp
    test_vectors: 50
    reuse_factors: {fc: 4}
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("'" + from + "' not in the config");
  text.replace(at, from.size(), to);
  return text;
}

std::string load_error(const std::string& yaml) {
  const auto path = testing::write_text(testing::temp_dir("cfg") / "e.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    std::string text = e.what();
    const std::string prefix = path.string() + ":";
    for (std::size_t at; (at = text.find(prefix)) != std::string::npos;)
      text.erase(at, prefix.size());
    return text;
  }
  return "no error";
}

// A whitespace-separated table of numbers, one row per line.
std::vector<std::vector<double>> read_rows(const fs::path& path) {
  std::vector<std::vector<double>> rows;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream values(line);
    rows.emplace_back();
    for (double v; values >> v;) rows.back().push_back(v);
  }
  return rows;
}

// Every file under `dir`, relative, except what the runner itself keeps there.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = entry.path().lexically_relative(dir).generic_string();
    if (relative == "metrics.json" || relative == "results.json" || relative == "timings.json" ||
        relative.rfind("state/", 0) == 0) {
      continue;
    }
    out.insert(relative);
  }
  return out;
}

TEST(ExportStage, WritesEveryFormatWithTestVectorsEstimatesAndMetrics) {
  const auto dir = testing::temp_dir("export");
  run_pipeline(PipelineConfig::load(testing::write_text(dir / "x.yaml", kConfig), {},
                                    testing::test_registry()),
               {});
  const fs::path out = dir / "out" / "04-export";
  const json m = json::parse(read_file(out / "metrics.json"));

  // Every file written is listed in the metrics, relative to the stage's directory.
  std::set<std::string> listed;
  for (const auto& file : m["files"]) listed.insert(file.get<std::string>());
  EXPECT_EQ(listed, files_under(out));
  for (const std::string file :
       {"readiness.json", "muon_mlp.onnx", "muon_mlp_qonnx.onnx", "hls4ml_config.yml",
        "tb_data/tb_input_features.dat", "tb_data/tb_output_predictions.dat",
        "hls/firmware/muon_mlp.cpp", "hls/firmware/muon_mlp.h", "hls/firmware/defines.h",
        "hls/firmware/parameters.h", "hls/firmware/weights/fc_w.h", "hls/muon_mlp_test.cpp",
        "hls/tb_data/tb_input_features.dat", "hls/tb_data/tb_output_predictions.dat",
        "hls/build_prj.tcl", "hls/csim/build_csim.sh", "estimates.json"}) {
    EXPECT_TRUE(listed.count(file)) << file;
    EXPECT_GT(fs::file_size(out / file), 0u) << file;
  }
  EXPECT_EQ(m["test_vectors"], 50);
  EXPECT_EQ(m["formats"], json::parse(R"(["onnx", "qonnx", "hls4ml", "hls"])"));

  // The hls4ml configuration points to the files next to it and carries the reuse factors.
  const YAML::Node config = YAML::LoadFile((out / "hls4ml_config.yml").string());
  EXPECT_EQ(config["ProjectName"].as<std::string>(), "muon_mlp");
  EXPECT_EQ(config["Backend"].as<std::string>(), "Vitis");
  EXPECT_EQ(config["Part"].as<std::string>(), "xcvu13p-flga2577-2-e");
  EXPECT_EQ(config["ClockPeriod"].as<double>(), 2.5);
  EXPECT_EQ(config["OnnxModel"].as<std::string>(), "muon_mlp_qonnx.onnx");
  EXPECT_EQ(config["InputData"].as<std::string>(), "tb_data/tb_input_features.dat");
  EXPECT_EQ(config["OutputPredictions"].as<std::string>(), "tb_data/tb_output_predictions.dat");
  EXPECT_EQ(config["HLSConfig"]["Model"]["ReuseFactor"].as<int>(), 1);
  EXPECT_EQ(config["HLSConfig"]["LayerName"]["fc"]["ReuseFactor"].as<int>(), 4);
  EXPECT_EQ(config["HLSConfig"]["LayerName"]["out"]["ReuseFactor"].as<int>(), 1);

  // 50 test events in both projects, and the engine gives the expected outputs for them.
  const auto inputs = read_rows(out / "hls" / "tb_data" / "tb_input_features.dat");
  const auto outputs = read_rows(out / "hls" / "tb_data" / "tb_output_predictions.dat");
  const auto hls4ml_inputs = read_rows(out / "tb_data" / "tb_input_features.dat");
  const auto hls4ml_outputs = read_rows(out / "tb_data" / "tb_output_predictions.dat");
  ASSERT_EQ(inputs.size(), 50u);
  ASSERT_EQ(outputs.size(), 50u);
  EXPECT_EQ(hls4ml_inputs, inputs) << "a flat input has the same order in both";
  ASSERT_EQ(hls4ml_outputs.size(), 50u);
  const Graph model = load_model(dir / "out" / "03-quantize" / "state" / "net.hlsm");
  const FixedEngine engine(model);
  std::vector<float> x;
  for (const auto& row : inputs) {
    ASSERT_EQ(row.size(), engine.input_size());
    x.insert(x.end(), row.begin(), row.end());
  }
  std::vector<float> y(50 * engine.output_size());
  engine.run(x.data(), 50, y.data());
  for (std::size_t e = 0; e < 50; ++e) {
    ASSERT_EQ(outputs[e].size(), engine.output_size());
    ASSERT_EQ(hls4ml_outputs[e].size(), engine.output_size());
    for (std::size_t j = 0; j < engine.output_size(); ++j) {
      const float want = y[e * engine.output_size() + j];
      EXPECT_EQ(static_cast<float>(outputs[e][j]), want) << "event " << e << " output " << j;
      EXPECT_EQ(static_cast<float>(hls4ml_outputs[e][j]), want) << "event " << e << " output " << j;
    }
  }

  // The estimates file and the metrics agree; fc's reuse factor 4 sets the interval.
  const json estimates = json::parse(read_file(out / "estimates.json"));
  EXPECT_EQ(m["estimates"], estimates["total"]);
  EXPECT_EQ(m["estimates"]["initiation_interval"], 4);
  EXPECT_EQ(estimates["layers"][1]["name"], "fc");  // after the flatten
  EXPECT_EQ(estimates["layers"][1]["reuse_factor"], 4);
  EXPECT_DOUBLE_EQ(m["estimates"]["latency_ns"].get<double>(),
                   2.5 * m["estimates"]["latency_cycles"].get<double>());
  std::int64_t lut = 0, multiplies = 0;
  for (const auto& layer : estimates["layers"]) {
    lut += layer["lut"].get<std::int64_t>();
    multiplies += layer["multiplies"].get<std::int64_t>();
  }
  EXPECT_EQ(m["estimates"]["lut"].get<std::int64_t>(), lut);
  EXPECT_EQ(m["estimates"]["multiplies"].get<std::int64_t>(), multiplies);
  EXPECT_GT(multiplies, 0);
  EXPECT_TRUE(m.contains("utilisation"));

  // Readiness: no errors, and the file holds what the metrics count.
  const json readiness = json::parse(read_file(out / "readiness.json"));
  EXPECT_EQ(m["readiness"]["errors"], 0);
  EXPECT_EQ(readiness.size(), m["readiness"]["warnings"].get<std::size_t>());
}

constexpr const char* kConvConfig = R"(output: out
threads: 2
models:
  net:
    layers:
      - {type: reshape, shape: [11, 16]}
      - {type: conv1d, name: conv, filters: 4, kernel: 3, padding: same}
      - {type: relu}
      - {type: flatten}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 2000, noise_events: 200}
  - {stage: train, model: net, epochs: 1}
  - {stage: quantize, model: net}
  - {stage: export, model: net, project: conv_net, test_vectors: 20, conv_interval_target: 4}
)";

TEST(ExportStage, AnIntervalTargetChoosesTheParallelizationFactorHls4mlIsGiven) {
  const auto dir = testing::temp_dir("export_pf");
  run_pipeline(PipelineConfig::load(testing::write_text(dir / "x.yaml", kConvConfig), {},
                                    testing::test_registry()),
               {});
  const fs::path out = dir / "out" / "04-export";
  // 16 output positions; an interval of 4 cycles needs at most 4 partitions: PF 4, the
  // smallest valid factor that meets it.
  const YAML::Node config = YAML::LoadFile((out / "hls4ml_config.yml").string());
  EXPECT_EQ(config["HLSConfig"]["LayerName"]["conv"]["ParallelizationFactor"].as<int>(), 4);
  const json estimates = json::parse(read_file(out / "estimates.json"));
  EXPECT_EQ(estimates["design"], "hlslim io_parallel");
  const json& hls4ml = estimates["hls4ml"];
  EXPECT_EQ(hls4ml["design"], "hls4ml io_parallel");
  EXPECT_EQ(hls4ml["targets"]["conv_interval_target"], 4);
  ASSERT_EQ(hls4ml["parallelization_choices"].size(), 1u);
  const json& choice = hls4ml["parallelization_choices"][0];
  EXPECT_EQ(choice["layer"], "conv");
  EXPECT_EQ(choice["positions"], 16);
  EXPECT_EQ(choice["parallelization_factor"], 4);
  EXPECT_EQ(choice["met"], true);
  EXPECT_EQ(hls4ml["total"]["initiation_interval"], 4);
  // hlslim's own project computes every position at once: one event per cycle.
  EXPECT_EQ(estimates["total"]["initiation_interval"], 1);
  const json m = json::parse(read_file(out / "metrics.json"));
  EXPECT_EQ(m["estimates"], estimates["total"]);
}

TEST(ExportStage, ATargetNoFactorMeetsIsAReadinessWarningAndANote) {
  const auto dir = testing::temp_dir("export_missed");
  const std::string yaml =
      replaced(kConvConfig, "conv_interval_target: 4", "conv_latency_target: 1");
  run_pipeline(
      PipelineConfig::load(testing::write_text(dir / "x.yaml", yaml), {}, testing::test_registry()),
      {});
  const fs::path out = dir / "out" / "04-export";
  const json readiness = json::parse(read_file(out / "readiness.json"));
  ASSERT_EQ(readiness.size(), 1u) << readiness.dump(2);
  EXPECT_EQ(readiness[0]["node"], "conv");
  EXPECT_EQ(readiness[0]["severity"], "warning");
  const std::string message = readiness[0]["message"];
  EXPECT_EQ(message.rfind("layer 'conv': no parallelization factor meets the target (latency 1 "
                          "cycles): every one of its 16 output positions at once gives latency ",
                          0),
            0u)
      << message;
  const json estimates = json::parse(read_file(out / "estimates.json"));
  EXPECT_EQ(estimates["hls4ml"]["notes"], json::array({message}));
  EXPECT_EQ(estimates["hls4ml"]["parallelization_choices"][0]["met"], false);
  EXPECT_EQ(json::parse(read_file(out / "metrics.json"))["readiness"]["warnings"], 1);
  const YAML::Node config = YAML::LoadFile((out / "hls4ml_config.yml").string());
  EXPECT_EQ(config["HLSConfig"]["LayerName"]["conv"]["ParallelizationFactor"].as<int>(), 16);
}

TEST(ExportStage, AParallelizationFactorSetForALayerWinsOverTheTargets) {
  const auto dir = testing::temp_dir("export_pf_set");
  const std::string yaml = replaced(kConvConfig, "conv_interval_target: 4",
                                    "conv_interval_target: 4, parallelization_factors: {conv: 8}");
  run_pipeline(
      PipelineConfig::load(testing::write_text(dir / "x.yaml", yaml), {}, testing::test_registry()),
      {});
  const fs::path out = dir / "out" / "04-export";
  const YAML::Node config = YAML::LoadFile((out / "hls4ml_config.yml").string());
  EXPECT_EQ(config["HLSConfig"]["LayerName"]["conv"]["ParallelizationFactor"].as<int>(), 8);
  const json estimates = json::parse(read_file(out / "estimates.json"));
  EXPECT_TRUE(estimates["hls4ml"]["parallelization_choices"].empty());
  EXPECT_EQ(estimates["hls4ml"]["layers"][1]["parallelization_factor"], 8);
}

TEST(ExportStage, ParallelizationFactorsThatCannotBeUsedAreConfigErrors) {
  const std::string conv = "conv_interval_target: 4";
  EXPECT_EQ(load_error(replaced(kConvConfig, conv, "parallelization_factors: {conv: 3}")),
            "15:102: error: stage 'export': model 'net', layer 'conv': parallelization factor 3 "
            "does not divide its 16 output positions (valid: 1, 2, 4, 8, 16)\n1 error found; "
            "nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConvConfig, conv, "parallelization_factors: {conv1d: 0}")),
            "15:104: error: stage 'export': parallelization_factors.conv1d must be at least 1, "
            "got 0\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConvConfig, conv, "parallelization_factors: {conv: all}")),
            "15:102: error: stage 'export': parallelization_factors.conv must be an integer, got "
            "'all'\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConvConfig, conv, "parallelization_factors: {out: 2}")),
            "15:96: error: stage 'export': parallelization_factors.out: layer 'out' is a dense "
            "layer (parallelization factors apply to conv1d and conv2d layers)\n1 error found; "
            "nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConvConfig, conv, "parallelization_factors: {cnv: 2}")),
            "15:96: error: stage 'export': model 'net' has no convolution or type 'cnv' (did "
            "you mean 'conv'?)\n1 error found; nothing was run.\n");
}

TEST(ExportStage, Io_streamWritesAStreamingProjectAndAStreamingHls4mlConfiguration) {
  const auto dir = testing::temp_dir("export_stream");
  const std::string yaml = replaced(kConvConfig, "conv_interval_target: 4", "io_type: io_stream");
  run_pipeline(
      PipelineConfig::load(testing::write_text(dir / "x.yaml", yaml), {}, testing::test_registry()),
      {});
  const fs::path out = dir / "out" / "04-export";
  const YAML::Node config = YAML::LoadFile((out / "hls4ml_config.yml").string());
  EXPECT_EQ(config["IOType"].as<std::string>(), "io_stream");
  EXPECT_TRUE(fs::is_regular_file(out / "hls/csim/hls_stream.h"));
  const std::string top = read_file(out / "hls/firmware/conv_net.h");
  EXPECT_NE(top.find("hls::stream<input_stream_t>& input"), std::string::npos) << top;
  const json estimates = json::parse(read_file(out / "estimates.json"));
  EXPECT_EQ(estimates["design"], "hlslim io_stream");
  EXPECT_EQ(estimates["hls4ml"]["design"], "hls4ml io_stream");
}

TEST(ExportStage, FormatsChooseWhatIsWritten) {
  const auto dir = testing::temp_dir("export_formats");
  const std::string yaml =
      replaced(kConfig, "    test_vectors: 50\n", "    test_vectors: 0\n    formats: [onnx]\n");
  run_pipeline(
      PipelineConfig::load(testing::write_text(dir / "x.yaml", yaml), {}, testing::test_registry()),
      {});
  const fs::path out = dir / "out" / "04-export";
  EXPECT_EQ(files_under(out),
            (std::set<std::string>{"readiness.json", "muon_mlp.onnx", "estimates.json"}));
  const json m = json::parse(read_file(out / "metrics.json"));
  EXPECT_EQ(m["test_vectors"], 0);
  EXPECT_EQ(m["estimates"]["initiation_interval"], 4);
}

TEST(ExportStage, AModelThatIsNotQuantizedIsAConfigError) {
  // Found by validate, before anything runs: no quantize stage (nor a distill stage with
  // quantize.enabled, nor a QONNX import) gives the model its precisions.
  EXPECT_EQ(load_error(replaced(kConfig, "  - {stage: quantize, model: net}\n", "")),
            "13:5: error: stage 'export': model 'net' is not quantized: put a quantize stage (or "
            "a distill stage with quantize.enabled) for it before the export\n1 error found; "
            "nothing was run.\n");
}

TEST(ExportStage, InvalidReuseFactorsAreConfigErrorsWithTheNearestValidOnes) {
  const char* const note =
      "; sizes as declared under 'models:' (after a structured prune stage, the export checks "
      "the pruned sizes when it runs)";
  EXPECT_EQ(load_error(replaced(kConfig, "{fc: 4}", "{fc: 7}")),
            std::string("18:25: error: stage 'export': model 'net', layer 'fc': reuse factor 7 "
                        "is not valid for 176 inputs x 8 outputs (nearest valid: 4, 8)") +
                note + "\n1 error found; nothing was run.\n");
  // A type entry applies to every layer of the type; the model-wide value to the rest.
  EXPECT_EQ(load_error(replaced(kConfig, "{fc: 4}", "{dense: 3}")),
            std::string("18:28: error: stage 'export': model 'net', layer 'fc': reuse factor 3 "
                        "is not valid for 176 inputs x 8 outputs (nearest valid: 2, 4)") +
                note +
                "\n18:28: error: stage 'export': model 'net', layer 'out': reuse factor 3 is not "
                "valid for 8 inputs x 2 outputs (nearest valid: 2, 4)" +
                note + "\n2 errors found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "    reuse_factors: {fc: 4}\n", "    reuse_factor: 11\n")),
            std::string("18:19: error: stage 'export': model 'net', layer 'out': reuse factor 11 "
                        "is not valid for 8 inputs x 2 outputs (nearest valid: 8, 16)") +
                note + "\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "{fc: 4}", "{fx: 4, relu_1: 2}")),
            "18:21: error: stage 'export': model 'net' has no layer or layer type 'fx' (did you "
            "mean 'fc'?)\n"
            "18:28: error: stage 'export': reuse_factors.relu_1: layer 'relu_1' is a relu layer, "
            "which multiplies no weights (reuse factors apply to dense and convolution layers)\n"
            "2 errors found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "{fc: 4}", "{fc: 0}")),
            "18:25: error: stage 'export': reuse_factors.fc must be at least 1, got 0\n"
            "1 error found; nothing was run.\n");
}

// After a structured prune stage the sizes are known only when the export runs: a reuse
// factor valid for the declared sizes but not for the pruned ones stops the run there.
TEST(ExportStage, ReuseFactorsAreCheckedAgainOnTheStructurallyPrunedModel) {
  const auto dir = testing::temp_dir("export_pruned");
  std::string yaml = replaced(kConfig, "{fc: 4}", "{out: 16}");
  yaml = replaced(yaml, "  - {stage: quantize, model: net}\n",
                  "  - {stage: prune, model: net, method: structured, sparsity: 0.5, schedule: "
                  "one_shot, fine_tune: {epochs: 1}}\n  - {stage: quantize, model: net}\n");
  const PipelineConfig config =
      PipelineConfig::load(testing::write_text(dir / "x.yaml", yaml), {}, testing::test_registry());
  try {
    run_pipeline(config, {});
    FAIL() << "an invalid reuse factor was exported";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "stage 'export' failed: model 'net' as it reaches the export: layer 'out': reuse "
              "factor 16 is not valid for 4 inputs x 2 outputs (nearest valid: 8)");
  }
  // Without the prune stage, 16 is valid for out's declared 8 inputs x 2 outputs.
  EXPECT_EQ(load_error(replaced(kConfig, "{fc: 4}", "{out: 16}")), "no error");
}

TEST(ExportStage, OtherConfigErrors) {
  EXPECT_EQ(load_error(replaced(kConfig, "    test_vectors: 50\n",
                                "    test_vectors: 50\n    formats: [onnx, hsl]\n")),
            "18:14: error: stage 'export': unknown format 'hsl' (formats: onnx, qonnx, hls4ml, "
            "hls) (did you mean 'hls'?)\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "    test_vectors: 50\n",
                                "    test_vectors: 50\n    formats: [hls4ml]\n")),
            "18:14: error: stage 'export': format 'hls4ml' needs 'qonnx' too: the hls4ml "
            "configuration points to the QONNX file\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig, "project: muon_mlp", "project: muon-mlp")),
            "16:14: error: stage 'export': project 'muon-mlp' must be a C identifier (letters, "
            "digits and '_', not starting with a digit): it names the top function and the "
            "files\n1 error found; nothing was run.\n");
  EXPECT_EQ(load_error(replaced(kConfig,
                                "  - {stage: train, model: net, epochs: 1}\n"
                                "  - {stage: quantize, model: net}\n",
                                "")),
            "12:5: error: stage 'export': model 'net' is not trained by an earlier stage\n1 "
            "error found; nothing was run.\n");
}

}  // namespace
}  // namespace hlslim
