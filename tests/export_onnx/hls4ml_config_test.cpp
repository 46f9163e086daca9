// The hls4ml configuration and test vectors written next to the QONNX file.

#include "hlslim/export/hls4ml_config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "hlslim/util/errors.hpp"
#include "test_models.hpp"
#include "test_support.hpp"

namespace hlslim::export_test {
namespace {

struct Written {
  onnx::ModelProto model;
  YAML::Node config;
};

Written write_all(const Graph& graph, const TempDir& dir, const Hls4mlOptions& options = {}) {
  const OnnxExportResult result = write_qonnx(graph, dir / "model.onnx");
  write_hls4ml_config(graph, result, options, dir / "model.onnx", dir / "tb_data/input.dat",
                      dir / "tb_data/output.dat", dir / "hls4ml_config.yml");
  return {load_model(dir / "model.onnx"), YAML::LoadFile((dir / "hls4ml_config.yml").string())};
}

std::string precision(const YAML::Node& config, const std::string& node, const std::string& role) {
  const YAML::Node entry = config["HLSConfig"]["LayerName"][node];
  if (!entry || !entry["Precision"] || !entry["Precision"][role]) return "(none)";
  return entry["Precision"][role].as<std::string>();
}

TEST(Hls4mlConfig, LayerNameKeysAreTheInputAndTheQonnxNodeNames) {
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    TempDir dir("config_keys");
    const Written w = write_all(graph, dir);
    std::vector<std::string> expected{w.model.graph().input(0).name()};
    for (const auto& node : w.model.graph().node()) expected.push_back(node.name());
    std::vector<std::string> keys;
    for (const auto& entry : w.config["HLSConfig"]["LayerName"]) {
      keys.push_back(entry.first.as<std::string>());
    }
    EXPECT_EQ(keys, expected);
  }
}

TEST(Hls4mlConfig, WritesTheProjectSettings) {
  TempDir dir("config_top");
  Hls4mlOptions options;
  options.project = "trigger";
  options.backend = "Vivado";
  options.part = "xcu250-figd2104-2L-e";
  options.io_type = "io_stream";
  options.strategy = "Resource";
  options.clock_period_ns = 4;
  options.reuse_factor = 2;
  const Written w = write_all(dense_model(), dir, options);
  const YAML::Node& c = w.config;
  EXPECT_EQ(c["OutputDir"].as<std::string>(), "trigger_prj");
  EXPECT_EQ(c["ProjectName"].as<std::string>(), "trigger");
  EXPECT_EQ(c["Backend"].as<std::string>(), "Vivado");
  EXPECT_EQ(c["Part"].as<std::string>(), "xcu250-figd2104-2L-e");
  EXPECT_EQ(c["ClockPeriod"].as<double>(), 4.0);
  EXPECT_EQ(c["IOType"].as<std::string>(), "io_stream");
  // Relative to the YAML file's directory.
  EXPECT_EQ(c["OnnxModel"].as<std::string>(), "model.onnx");
  EXPECT_EQ(c["InputData"].as<std::string>(), "tb_data/input.dat");
  EXPECT_EQ(c["OutputPredictions"].as<std::string>(), "tb_data/output.dat");
  const YAML::Node model = c["HLSConfig"]["Model"];
  EXPECT_EQ(model["Precision"]["default"].as<std::string>(), "fixed<16,6>");
  EXPECT_EQ(model["ReuseFactor"].as<int>(), 2);
  EXPECT_EQ(model["Strategy"].as<std::string>(), "Resource");
}

TEST(Hls4mlConfig, GivesEveryLayerItsExactTypes) {
  TempDir dir("config_types");
  const Written w = write_all(conv1d_model(), dir);
  const YAML::Node& c = w.config;
  EXPECT_EQ(precision(c, "model_input", "result"), "fixed<10,3,RND_CONV,SAT>");
  EXPECT_EQ(precision(c, "conv_1", "weight"), "fixed<6,1,RND_CONV,SAT>");
  EXPECT_EQ(precision(c, "conv_1", "bias"), "fixed<8,2,RND_CONV,SAT_SYM>");
  EXPECT_EQ(precision(c, "conv_1", "accum"), "fixed<40,16>");
  EXPECT_EQ(precision(c, "conv_1", "result"), "fixed<12,4,RND_CONV,SAT>");
  EXPECT_EQ(precision(c, "relu1", "result"), "ufixed<10,3,TRN,SAT>");
  EXPECT_EQ(precision(c, "pool1", "result"), "fixed<12,4,TRN,SAT>");
  EXPECT_EQ(precision(c, "flatten", "result"), "auto");
  // A dense layer's result stays open so that hls4ml folds the bias Add into it; the Quant
  // node after it gives the type.
  EXPECT_EQ(precision(c, "fc", "weight"), "fixed<6,1,RND_CONV,SAT>");
  EXPECT_EQ(precision(c, "fc", "accum"), "fixed<40,16>");
  EXPECT_EQ(precision(c, "fc", "result"), "auto");
  EXPECT_EQ(precision(c, "fc_result_quant", "result"), "(none)");

  TempDir dir2("config_types2");
  const Written p = write_all(pooled_model(), dir2);
  EXPECT_EQ(precision(p.config, "bn", "scale"), "fixed<6,1,RND_CONV,SAT>");
  EXPECT_EQ(precision(p.config, "bn", "result"), "auto");
  EXPECT_EQ(precision(p.config, "bn_shift", "bias"), "fixed<8,2,RND_CONV,SAT_SYM>");
  EXPECT_EQ(precision(p.config, "bn_shift", "result"), "fixed<12,4,RND_CONV,SAT>");
  EXPECT_EQ(precision(p.config, "leaky", "param"), "fixed<8,1,RND_CONV,SAT>");
  EXPECT_EQ(precision(p.config, "avg", "accum"), "fixed<24,8>");
}

TEST(Hls4mlConfig, WritesEachLayersReuseFactor) {
  Graph graph = dense_model();
  graph.layers[2].attrs["reuse_factor"] = std::int64_t{3};
  TempDir dir("config_rf");
  Hls4mlOptions options;
  options.reuse_factor = 4;
  const Written w = write_all(graph, dir, options);
  const YAML::Node names = w.config["HLSConfig"]["LayerName"];
  EXPECT_EQ(names["fc1"]["ReuseFactor"].as<int>(), 4);
  EXPECT_EQ(names["out"]["ReuseFactor"].as<int>(), 3);
  EXPECT_EQ(names["out_result_quant"]["ReuseFactor"].as<int>(), 3);
  EXPECT_EQ(names["model_input"]["ReuseFactor"].as<int>(), 4);
}

TEST(Hls4mlConfig, RefusesAResultOfAnotherGraph) {
  TempDir dir("config_mismatch");
  const OnnxExportResult result = write_qonnx(dense_model(), dir / "a.onnx");
  try {
    write_hls4ml_config(conv1d_model(), result, {}, dir / "a.onnx", {}, {}, dir / "c.yml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "model 'conv1d': the QONNX export result passed to write_hls4ml_config() was "
                 "not written from this graph");
  }
}

std::vector<std::vector<double>> read_rows(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    rows.emplace_back();
    double v;
    while (fields >> v) rows.back().push_back(v);
  }
  return rows;
}

TEST(Hls4mlConfig, WritesTestVectorsInTheFilesChannelsLastOrder) {
  const Graph graph = conv2d_model();  // input [2, 6, 8], output [4]
  std::vector<float> x(2 * 96), y(2 * 4);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = 0.1f * static_cast<float>(k) + 1e-7f;
  for (std::size_t k = 0; k < y.size(); ++k) y[k] = -0.3f * static_cast<float>(k);
  TempDir dir("vectors");
  write_hls4ml_test_vectors(graph, x.data(), y.data(), 2, dir / "in.dat", dir / "out.dat");
  const auto in = read_rows(dir / "in.dat");
  const auto out = read_rows(dir / "out.dat");
  ASSERT_EQ(in.size(), 2u);
  ASSERT_EQ(in[1].size(), 96u);
  // Channels-last position 1 is channel 1 of pixel (0, 0): channels-first index 48.
  EXPECT_EQ(static_cast<float>(in[1][1]), x[96 + 48]);
  EXPECT_EQ(static_cast<float>(in[0][2]), x[1]);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[1].size(), 4u);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(static_cast<float>(out[1][k]), y[4 + k]);
}

}  // namespace
}  // namespace hlslim::export_test
