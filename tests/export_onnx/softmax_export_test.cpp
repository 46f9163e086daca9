// A classifier that ends in a softmax: the float ONNX keeps it, while the QONNX, the hls4ml
// configuration and the readiness check describe the firmware, which ends at the logits. The
// QONNX file, evaluated independently, gives the engine's logits bit for bit.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/hls4ml_config.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/export/readiness.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "qonnx_evaluator.hpp"
#include "test_models.hpp"
#include "test_support.hpp"

namespace hlslim::export_test {
namespace {

// dense 12 -> 8, relu, dense 3, softmax.
Graph classifier() {
  Graph g = dense_model();
  g.name = "classifier";
  g.layers.push_back(make_layer("prob", LayerKind::kSoftmax));
  return g;
}

std::vector<std::string> op_types(const onnx::ModelProto& model) {
  std::vector<std::string> ops;
  for (const auto& node : model.graph().node()) ops.push_back(node.op_type());
  return ops;
}

bool has(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

TEST(SoftmaxExport, TheFirmwareGraphIsTheModelWithoutItsTrailingSoftmax) {
  const Graph g = classifier();
  EXPECT_TRUE(ends_in_softmax(g));
  EXPECT_EQ(firmware_layer_count(g), 3u);
  EXPECT_TRUE(dropped_by_firmware(g, 3));
  EXPECT_FALSE(dropped_by_firmware(g, 2));
  const Graph fw = firmware_graph(g);
  ASSERT_EQ(fw.layers.size(), 3u);
  EXPECT_EQ(fw.layers.back().name, "out");
  EXPECT_EQ(fw.default_attrs, g.default_attrs);
  EXPECT_FALSE(ends_in_softmax(dense_model()));
  EXPECT_EQ(firmware_layer_count(dense_model()), 3u);
}

TEST(SoftmaxExport, TheEngineOutputsTheLogits) {
  const Graph g = classifier();
  const FixedEngine with(g);
  const FixedEngine without(dense_model());
  ASSERT_EQ(with.output_size(), 3u);
  const std::vector<float> x = [] {
    Random random(5);
    return random.values(200 * 12, -4.0f, 4.0f);
  }();
  std::vector<float> a(200 * 3), b(200 * 3);
  with.run(x.data(), 200, a.data());
  without.run(x.data(), 200, b.data());
  EXPECT_EQ(a, b);
  // Logits, not probabilities: some are negative, and the rows do not sum to one.
  EXPECT_LT(*std::min_element(a.begin(), a.end()), 0.0f);
}

TEST(SoftmaxExport, FloatOnnxKeepsTheSoftmaxAndQonnxEndsAtTheLogitsBitForBit) {
  const Graph g = classifier();
  TempDir dir("softmax");
  write_onnx(g, dir / "float.onnx");
  EXPECT_TRUE(has(op_types(load_model(dir / "float.onnx")), "Softmax"));

  const OnnxExportResult result = write_qonnx(g, dir / "model.onnx");
  const onnx::ModelProto model = load_model(dir / "model.onnx");
  EXPECT_FALSE(has(op_types(model), "Softmax"));
  EXPECT_EQ(result.node_names.size(), 3u);
  // The same file as the model without the softmax.
  write_qonnx(dense_model(), dir / "plain.onnx");
  onnx::ModelProto plain = load_model(dir / "plain.onnx");
  plain.mutable_graph()->set_name(model.graph().name());
  EXPECT_EQ(model.graph().node_size(), plain.graph().node_size());

  QonnxEvaluator evaluator(model);
  const QonnxValueOrder order = qonnx_value_order(g);
  const FixedEngine engine(g);
  ASSERT_EQ(order.output.size(), engine.output_size());
  Random random(9);
  const std::size_t events = 300;
  const std::vector<float> x = random.values(events * 12, -5.0f, 5.0f);
  std::vector<float> y(events * engine.output_size());
  engine.run(x.data(), events, y.data());
  std::size_t mismatches = 0;
  for (std::size_t e = 0; e < events; ++e) {
    std::vector<double> input(order.input.size());
    for (std::size_t p = 0; p < input.size(); ++p) input[p] = x[e * 12 + order.input[p]];
    const std::vector<double> out = evaluator.run(input);
    ASSERT_EQ(out.size(), 3u);
    for (std::size_t p = 0; p < out.size(); ++p) {
      if (out[p] != y[e * 3 + order.output[p]] && mismatches++ < 5) {
        ADD_FAILURE() << "event " << e << ", output " << p << ": QONNX " << out[p] << ", engine "
                      << y[e * 3 + order.output[p]];
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(SoftmaxExport, TheHls4mlConfigurationHasNoSoftmaxLayerAndReadinessNoTableWarning) {
  const Graph g = classifier();
  TempDir dir("softmax_config");
  const OnnxExportResult result = write_qonnx(g, dir / "model.onnx");
  write_hls4ml_config(g, result, {}, dir / "model.onnx", {}, {}, dir / "hls4ml_config.yml");
  const YAML::Node config = YAML::LoadFile((dir / "hls4ml_config.yml").string());
  const YAML::Node layers = config["HLSConfig"]["LayerName"];
  ASSERT_TRUE(layers.IsMap());
  for (const auto& item : layers) {
    const std::string name = item.first.as<std::string>();
    EXPECT_EQ(name.find("prob"), std::string::npos) << name;
    EXPECT_EQ(name.find("Softmax"), std::string::npos) << name;
  }
  const std::string text = read_file(dir / "hls4ml_config.yml");
  EXPECT_EQ(text.find("oftmax"), std::string::npos) << text;
  for (const ExportFinding& f : check_hls4ml_readiness(g, {})) {
    EXPECT_EQ(f.message.find("lookup tables"), std::string::npos) << f.message;
  }
}

TEST(SoftmaxExport, ASoftmaxInTheMiddleIsStillRefused) {
  Graph g = dense_model();
  g.name = "middle";
  g.layers.insert(g.layers.begin() + 1, make_layer("sm", LayerKind::kSoftmax));
  try {
    const FixedEngine engine(g);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "softmax is not supported by the fixed-point engine: hls4ml computes it with "
                  "lookup tables that the engine does not model"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hlslim::export_test
