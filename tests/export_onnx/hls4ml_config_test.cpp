// The hls4ml configuration and test vectors written next to the QONNX file.

#include "hlslim/export/hls4ml_config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "hlslim/export/readiness.hpp"
#include "hlslim/quant/fixed_type.hpp"
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
  // hls4ml's max pool holds each window in its accum type: the type of the values it reads.
  EXPECT_EQ(precision(c, "pool1", "accum"), "ufixed<10,3,TRN,SAT>");
  EXPECT_EQ(c["HLSConfig"]["LayerName"]["relu1"]["table_t"].as<std::string>(),
            "ufixed<10,3,TRN,SAT>");
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

// The types hls4ml's templates read, per layer class it makes of an exported node (hls4ml 1.3,
// docs/ir/attributes.rst: the NamedType attributes of Input, Dense, Conv1D/2D, Pooling2D,
// Activation, ParametrizedActivation, ApplyAlpha, Reshape, Transpose and Merge). A role left out
// of the configuration falls back to the model default, so each must be written: explicitly,
// or `auto` only where hls4ml infers it exactly (a dense result from the Quant after it, the
// batch-norm scaling's exact product, types a reshape or the folded bias Add passes through).
struct Hls4mlRoles {
  std::set<std::string> precision;    // keys of Precision
  std::set<std::string> inferred;     // of those, the ones that may be `auto`
  std::set<std::string> layer_types;  // `_t` keys read from the layer's own settings
};

Hls4mlRoles roles_of(const onnx::NodeProto& node, const onnx::GraphProto& graph) {
  const std::string& op = node.op_type();
  const std::string& name = node.name();
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (op == "MatMul") {  // Dense
    bool bias = false;
    for (const auto& n : graph.node()) bias = bias || n.name() == name + "_bias";
    Hls4mlRoles r{{"weight", "accum", "result"}, {"result"}, {}};
    if (bias) r.precision.insert("bias");  // without one, hls4ml makes a 1-bit zero bias
    return r;
  }
  if (op == "Conv") {  // Conv1D / Conv2D
    Hls4mlRoles r{{"weight", "accum", "result"}, {}, {}};
    if (node.input_size() == 3) r.precision.insert("bias");
    return r;
  }
  if (op == "MaxPool" || op == "AveragePool") return {{"accum", "result"}, {}, {}};  // Pooling2D
  if (op == "Relu") return {{"result"}, {}, {"table_t"}};                            // Activation
  if (op == "LeakyRelu") return {{"param", "result"}, {}, {"table_t"}};   // ParametrizedActivation
  if (op == "Mul") return {{"scale", "bias", "result"}, {"result"}, {}};  // ApplyAlpha
  if (op == "Add" && ends_with("_shift")) return {{"scale", "bias", "result"}, {}, {}};
  if (op == "Add") return {{"result"}, {"result"}, {}};  // Merge, folded into the Dense layer
  if (op == "Flatten" || op == "Reshape" || op == "Transpose" || op == "Identity") {
    return {{"result"}, {"result"}, {}};  // Reshape / Transpose; Identity is skipped
  }
  if (op == "Quant") return {};  // its result type is the Quant's own
  ADD_FAILURE() << "no hls4ml roles known for op " << op << " (node " << name << ")";
  return {};
}

TEST(Hls4mlConfig, WritesEveryTypeHls4mlsTemplatesReadForEveryExportedNode) {
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    TempDir dir("config_roles");
    const Written w = write_all(graph, dir);
    const YAML::Node names = w.config["HLSConfig"]["LayerName"];
    const std::string input = w.model.graph().input(0).name();
    ASSERT_TRUE(parse_fixed_type(precision(w.config, input, "result")).type.has_value());
    std::set<std::string> ops;
    for (const auto& node : w.model.graph().node()) {
      SCOPED_TRACE(node.name());
      ops.insert(node.op_type());
      const Hls4mlRoles expected = roles_of(node, w.model.graph());
      std::set<std::string> written;
      const YAML::Node entry = names[node.name()];
      ASSERT_TRUE(entry.IsDefined());
      if (entry["Precision"]) {
        for (const auto& role : entry["Precision"]) {
          const std::string key = role.first.as<std::string>();
          const std::string value = role.second.as<std::string>();
          written.insert(key);
          if (value == "auto") {
            EXPECT_TRUE(expected.inferred.count(key)) << key << " is auto";
          } else {
            EXPECT_TRUE(parse_fixed_type(value).type.has_value()) << key << ": " << value;
          }
        }
      }
      EXPECT_EQ(written, expected.precision);
      for (const std::string& key : expected.layer_types) {
        ASSERT_TRUE(entry[key].IsDefined()) << key;
        EXPECT_TRUE(parse_fixed_type(entry[key].as<std::string>()).type.has_value());
      }
    }
  }
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

TEST(Hls4mlConfig, StatesEveryConvolutionsParallelizationFactor) {
  // conv.1 has 10 output positions, conv-2 (k2, stride 2 on 5) has 2.
  Graph graph = conv1d_model();
  TempDir dir("config_pf");
  Written w = write_all(graph, dir);
  YAML::Node names = w.config["HLSConfig"]["LayerName"];
  // Without the attribute every position at once: the design hlslim's own project builds.
  EXPECT_EQ(names["conv_1"]["ParallelizationFactor"].as<int>(), 10);
  EXPECT_EQ(names["conv_2"]["ParallelizationFactor"].as<int>(), 2);
  EXPECT_FALSE(names["conv_1_result_quant"]["ParallelizationFactor"].IsDefined());
  EXPECT_FALSE(names["fc"]["ParallelizationFactor"].IsDefined());

  graph.layers[0].attrs["parallelization_factor"] = std::int64_t{5};
  w = write_all(graph, dir);
  EXPECT_EQ(w.config["HLSConfig"]["LayerName"]["conv_1"]["ParallelizationFactor"].as<int>(), 5);
  EXPECT_TRUE(check_hls4ml_readiness(graph, {}).empty());

  // Not a divisor of 10: the configuration states the value hls4ml would use, and readiness
  // says so.
  graph.layers[0].attrs["parallelization_factor"] = std::int64_t{4};
  w = write_all(graph, dir);
  EXPECT_EQ(w.config["HLSConfig"]["LayerName"]["conv_1"]["ParallelizationFactor"].as<int>(), 5);
  const std::vector<ExportFinding> findings = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].node, "conv_1");
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].message,
            "layer 'conv.1': parallelization factor 4 is not valid for 10 output positions "
            "(valid: 1, 2, 5, 10); hls4ml uses 5");

  // io_stream convolutions read one pixel per step: no factor is written or checked.
  Hls4mlOptions stream;
  stream.io_type = "io_stream";
  w = write_all(graph, dir, stream);
  EXPECT_FALSE(w.config["HLSConfig"]["LayerName"]["conv_1"]["ParallelizationFactor"].IsDefined());
  EXPECT_TRUE(check_hls4ml_readiness(graph, stream).empty());

  // Not an integer: nothing can be written, an error.
  graph.layers[0].attrs["parallelization_factor"] = std::string("all");
  const std::vector<ExportFinding> errors = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].severity, Severity::kError);
  EXPECT_EQ(errors[0].message,
            "layer 'conv.1': attribute parallelization_factor must be an integer of at least 1");
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

TEST(Hls4mlConfig, TestVectorsReadBackTheSameAsFloat32AndAsFloat64) {
  // Nine significant digits read back exactly only as float32: 0.1f printed "0.100000001"
  // reads as float64 0.100000001, not the float's 0.100000001490116..., and a value on a half
  // step of the input type then rounds differently in an hls4ml C simulation fed float64.
  const Graph graph = dense_model();  // 12 inputs, 3 outputs
  std::vector<float> x(12), y(3);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = 0.1f * static_cast<float>(k) + 1.0f / 3.0f;
  x[0] = 0.1f;
  x[1] = 1.0f + 1.0f / 4096.0f;  // a half step of a 12-fraction-bit type: exact in both
  x[2] = -1e-8f;
  x[3] = 3.0e+12f;
  for (std::size_t k = 0; k < y.size(); ++k) y[k] = -0.7f * static_cast<float>(k + 1);
  TempDir dir("vectors_exact");
  write_hls4ml_test_vectors(graph, x.data(), y.data(), 1, dir / "in.dat", dir / "out.dat");
  std::ifstream in(dir / "in.dat");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  std::istringstream fields(line);
  std::string text;
  std::size_t k = 0;
  while (fields >> text) {
    ASSERT_LT(k, x.size());
    EXPECT_EQ(std::strtof(text.c_str(), nullptr), x[k]) << text;
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), static_cast<double>(x[k])) << text;
    ++k;
  }
  EXPECT_EQ(k, x.size());
  const auto out = read_rows(dir / "out.dat");  // read as double
  ASSERT_EQ(out.size(), 1u);
  for (std::size_t o = 0; o < y.size(); ++o) EXPECT_EQ(out[0][o], static_cast<double>(y[o]));
}

}  // namespace
}  // namespace hlslim::export_test
