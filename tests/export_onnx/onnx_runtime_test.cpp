// The standard (float) ONNX export: the ONNX checker, and ONNX Runtime (onnxruntime-node, run
// with Node.js) against the independent float forward pass of float_forward.hpp.

#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "float_forward.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "test_models.hpp"
#include "test_support.hpp"

namespace hlslim::export_test {
namespace {

// The exact models plus the layers the engine does not compute.
std::vector<Graph> float_models() {
  std::vector<Graph> models = exact_models();
  Graph act = dense_model();
  act.name = "activations";
  Layer fc = make_layer("fc2", LayerKind::kDense);
  fc.params.units = 5;
  act.layers.push_back(make_layer("tanh", LayerKind::kTanh));
  act.layers.push_back(fc);
  act.layers.push_back(make_layer("sigmoid", LayerKind::kSigmoid));
  act.layers.push_back(make_layer("softmax", LayerKind::kSoftmax));
  fill_weights(act, 9);
  models.push_back(act);
  return models;
}

TEST(FloatOnnxExport, PassesTheOnnxCheckerAndStrictShapeInference) {
  TempDir dir("float_checker");
  for (const Graph& graph : float_models()) {
    SCOPED_TRACE(graph.name);
    OnnxExportResult result = write_onnx(graph, dir / "m.onnx");
    EXPECT_EQ(result.node_names.size(), graph.layers.size());
    EXPECT_TRUE(result.findings.empty());
    onnx::ModelProto model = load_model(dir / "m.onnx");
    EXPECT_NO_THROW(onnx::checker::check_model(model));
    EXPECT_NO_THROW(onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), onnx::ShapeInferenceOptions(true, 1, false)));
    for (const auto& node : model.graph().node()) {
      EXPECT_TRUE(is_c_identifier(node.name())) << node.name();
      EXPECT_EQ(node.domain(), "");
    }
  }
}

std::string run_command(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    status = -1;
    return output;
  }
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  status = ::pclose(pipe);
  return output;
}

TEST(OnnxRuntime, RunsTheFloatExportLikeTheFloatForwardPass) {
  const std::filesystem::path modules = std::filesystem::path(HLSLIM_ORT_DIR) / "node_modules";
  if (!std::filesystem::exists(modules / "onnxruntime-node")) {
    GTEST_SKIP() << "onnxruntime-node is not installed in " << HLSLIM_ORT_DIR
                 << " (ctest runs the install fixture first)";
  }
  TempDir dir("ort");
  const std::size_t events = 4;
  for (const Graph& graph : float_models()) {
    SCOPED_TRACE(graph.name);
    write_onnx(graph, dir / "m.onnx");
    const std::size_t in_size = static_cast<std::size_t>(shape_numel(graph.input_shape));
    Random random(21);
    const std::vector<float> x = random.values(events * in_size, -2.0f, 2.0f);
    nlohmann::json input;
    std::vector<std::int64_t> dims{static_cast<std::int64_t>(events)};
    dims.insert(dims.end(), graph.input_shape.begin(), graph.input_shape.end());
    input["dims"] = dims;
    input["data"] = x;
    std::ofstream(dir / "input.json") << input.dump();

    int status = 0;
    const std::string command = "NODE_PATH='" + modules.string() + "' '" + HLSLIM_NODE + "' '" +
                                HLSLIM_ORT_SCRIPT + "' '" + (dir / "m.onnx").string() + "' '" +
                                (dir / "input.json").string() + "' 2>&1";
    const std::string output = run_command(command, status);
    ASSERT_EQ(status, 0) << output;
    const nlohmann::json result = nlohmann::json::parse(output);
    const std::vector<double> y = result["data"].get<std::vector<double>>();
    const std::size_t out_size = static_cast<std::size_t>(shape_numel(graph.output_shape()));
    ASSERT_EQ(y.size(), events * out_size);
    for (std::size_t e = 0; e < events; ++e) {
      const std::vector<double> reference = float_forward(
          graph, std::vector<double>(x.begin() + e * in_size, x.begin() + (e + 1) * in_size));
      for (std::size_t k = 0; k < out_size; ++k) {
        const double got = y[e * out_size + k], want = reference[k];
        ASSERT_NEAR(got, want, 1e-5 * std::max(1.0, std::fabs(want)))
            << "event " << e << ", output " << k;
      }
    }
  }
}

}  // namespace
}  // namespace hlslim::export_test
