// Float ONNX files written by torch.onnx.export and by onnx.helper (tf2onnx's channels-last
// patterns, Gemm with transB=0, MatMul + Add) are imported and evaluated through hlslim's own
// float path (the LibTorch module the trainer uses), against PyTorch's outputs on 1,000 inputs.

#include "hlslim/import/onnx_import.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/train/training.hpp"
#include "import_support.hpp"

namespace hlslim {
namespace {

using import_test::models_dir;
using import_test::npy;

std::vector<LayerKind> kinds(const Graph& graph) {
  std::vector<LayerKind> out;
  for (const auto& layer : graph.layers) out.push_back(layer.kind);
  return out;
}

// Runs `graph` in float on NAME.x.npy and compares with NAME.y.npy to 1e-5 (relative above 1).
// A final softmax is applied here, to the logits of the graph without it: the float path
// predicts logits for models trained with cross-entropy.
void expect_matches_pytorch(const Graph& imported, const std::string& name) {
  Graph graph = imported;
  const bool softmax = graph.layers.back().kind == LayerKind::kSoftmax;
  if (softmax) graph.layers.pop_back();
  const data::NpyArray x = npy(name + ".x.npy");
  const data::NpyArray y = npy(name + ".y.npy");
  const std::size_t n = x.shape.at(0);
  ASSERT_GE(n, 1000u);
  ASSERT_EQ(x.data.size() / n, static_cast<std::size_t>(shape_numel(graph.input_shape))) << name;
  const std::size_t outputs = y.data.size() / n;
  ASSERT_EQ(outputs, static_cast<std::size_t>(shape_numel(graph.output_shape()))) << name;
  std::vector<float> ours(y.data.size());
  float_predictor(graph)(x.data.data(), n, ours.data());
  for (std::size_t e = 0; softmax && e < n; ++e) {
    float* row = ours.data() + e * outputs;
    const double top = *std::max_element(row, row + outputs);
    double sum = 0;
    for (std::size_t k = 0; k < outputs; ++k) sum += std::exp(row[k] - top);
    for (std::size_t k = 0; k < outputs; ++k)
      row[k] = static_cast<float>(std::exp(row[k] - top) / sum);
  }
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double tolerance = 1e-5 * std::max(1.0, std::abs(static_cast<double>(y.data[i])));
    ASSERT_NEAR(ours[i], y.data[i], tolerance)
        << name << ": first mismatch at event " << i / outputs << ", output " << i % outputs;
  }
}

TEST(OnnxImport, MlpWithSoftmaxMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "mlp_softmax.onnx", "mlp");
  EXPECT_EQ(graph.name, "mlp");
  EXPECT_EQ(graph.input_shape, (Shape{16}));
  using K = LayerKind;
  EXPECT_EQ(kinds(graph),
            (std::vector<K>{K::kDense, K::kRelu, K::kDense, K::kTanh, K::kDense, K::kSoftmax}));
  // Layer names come from the node names ("/0/Gemm"), made C identifiers.
  EXPECT_EQ(graph.layers[0].name, "dense_0_Gemm");
  EXPECT_EQ(graph.layers[5].name, "softmax_5_Softmax");
  expect_matches_pytorch(graph, "mlp_softmax");
}

TEST(OnnxImport, Conv1dWithBatchNormAndPoolsMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "conv1d.onnx", "conv1d");
  EXPECT_EQ(graph.input_shape, (Shape{2, 32}));
  using K = LayerKind;
  EXPECT_EQ(kinds(graph),
            (std::vector<K>{K::kConv1d, K::kBatchNorm, K::kRelu, K::kMaxPool1d, K::kConv1d,
                            K::kSigmoid, K::kAvgPool1d, K::kFlatten, K::kDense}));
  EXPECT_EQ(graph.layers[0].params.padding, Padding::kSame);
  EXPECT_EQ(graph.layers[4].params.padding, Padding::kValid);
  EXPECT_NEAR(graph.layers[1].params.momentum, 0.1, 1e-6);
  expect_matches_pytorch(graph, "conv1d");
}

TEST(OnnxImport, Conv2dWithBatchNormAndGlobalPoolMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "conv2d.onnx", "conv2d");
  EXPECT_EQ(graph.input_shape, (Shape{1, 8, 8}));
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kConv2d, K::kBatchNorm, K::kLeakyRelu, K::kMaxPool2d,
                                          K::kConv2d, K::kRelu, K::kGlobalAvgPool, K::kDense}));
  EXPECT_NEAR(graph.layers[2].params.alpha, 0.1, 1e-7);
  expect_matches_pytorch(graph, "conv2d");
}

TEST(OnnxImport, AveragePoolThenBatchNormOfFeaturesMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "conv2d_pool_bn.onnx", "pool_bn");
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kConv2d, K::kRelu, K::kAvgPool2d, K::kFlatten,
                                          K::kBatchNorm, K::kDense}));
  expect_matches_pytorch(graph, "conv2d_pool_bn");
}

TEST(OnnxImport, WholeInputMaxPoolMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "global_max.onnx", "global_max");
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kConv2d, K::kMaxPool2d, K::kFlatten, K::kDense}));
  expect_matches_pytorch(graph, "global_max");
}

TEST(OnnxImport, ViewFlattenWithComputedShapeMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  // x.view(x.size(0), -1): the Reshape's shape comes from Shape, Gather, Unsqueeze, Concat.
  const Graph graph = import_onnx(models_dir() / "view_flatten.onnx", "view");
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kConv2d, K::kRelu, K::kFlatten, K::kDense}));
  EXPECT_EQ(graph.layers[0].name, "conv_Conv");
  expect_matches_pytorch(graph, "view_flatten");
}

TEST(OnnxImport, GlobalMaxPoolThenReshapeMatchesPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "global_max_pool.onnx", "gmp");
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kConv2d, K::kGlobalMaxPool, K::kDense}));
  EXPECT_EQ(graph.layers[0].params.padding, Padding::kSame);
  expect_matches_pytorch(graph, "global_max_pool");
}

TEST(OnnxImport, GemmWithoutTransposeAndMatMulAddMatchPyTorch) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "gemm_matmul.onnx", "gemm");
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kDense, K::kRelu, K::kDense}));
  EXPECT_EQ(graph.layers[0].name, "fc1");
  EXPECT_EQ(graph.layers[2].name, "fc2");
  EXPECT_TRUE(graph.layers[2].params.bias);  // the Add became its bias
  expect_matches_pytorch(graph, "gemm_matmul");
}

TEST(OnnxImport, ChannelsLastTransposesFoldIntoInputAndDenseWeights) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "channels_last.onnx", "keras");
  // The file reads [N, 8, 8, 2]; hlslim reads the same image channels first.
  EXPECT_EQ(graph.input_shape, (Shape{2, 8, 8}));
  using K = LayerKind;
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kConv2d, K::kRelu, K::kFlatten, K::kDense}));
  expect_matches_pytorch(graph, "channels_last");
}

TEST(OnnxImport, FlatInputTakesDataOfAnotherShapeThroughAFlatten) {
  HLSLIM_NEED_MODELS();
  Graph graph = import_onnx(models_dir() / "gemm_matmul.onnx", "gemm");
  EXPECT_EQ(fit_input_shape(graph, {1, 1, 10}), "");
  EXPECT_EQ(graph.input_shape, (Shape{1, 1, 10}));
  EXPECT_EQ(graph.layers.front().kind, LayerKind::kFlatten);
  EXPECT_EQ(graph.layers.front().name, "flatten_input");
  EXPECT_EQ(fit_input_shape(graph, {1, 1, 10}), "");  // already fits: unchanged
  EXPECT_EQ(graph.layers.size(), 4u);
  EXPECT_EQ(fit_input_shape(graph, {1, 1, 12}),
            "the model reads [1, 1, 10] (10 values) but the data has [1, 1, 12] (12 values)");

  Graph conv = import_onnx(models_dir() / "conv2d.onnx", "conv2d");
  EXPECT_EQ(fit_input_shape(conv, {8, 8}),
            "the model reads [1, 8, 8] (64 values) but the data has [8, 8]; only a model reading "
            "a flat input can take data of another shape");
}

TEST(OnnxImport, Conv1dOnFlatFeaturesKeepsReadingFlatFeatures) {
  HLSLIM_NEED_MODELS();
  // torch's conv(x.unsqueeze(1)) on [N, 16]: a reshape layer makes the one channel.
  Graph graph = import_onnx(models_dir() / "flat_conv1d.onnx", "flat_conv1d");
  EXPECT_EQ(graph.input_shape, (Shape{16}));
  using K = LayerKind;
  EXPECT_EQ(kinds(graph),
            (std::vector<K>{K::kReshape, K::kConv1d, K::kRelu, K::kFlatten, K::kDense}));
  EXPECT_EQ(graph.layers.front().params.shape, (Shape{1, 16}));
  expect_matches_pytorch(graph, "flat_conv1d");
  // Data stored [1, 1, 16] (or [1, 16]) feeds it through a flatten in front.
  EXPECT_EQ(fit_input_shape(graph, {1, 1, 16}), "");
  EXPECT_EQ(graph.input_shape, (Shape{1, 1, 16}));
  EXPECT_EQ(kinds(graph), (std::vector<K>{K::kFlatten, K::kReshape, K::kConv1d, K::kRelu,
                                          K::kFlatten, K::kDense}));
  expect_matches_pytorch(graph, "flat_conv1d");
}

}  // namespace
}  // namespace hlslim
