// QONNX import: Quant nodes become precision attributes; the fixed-point engine then computes
// exactly what the QONNX file computes (an independent evaluator of the file); and a quantized
// graph exported as QONNX imports with the same precisions and the same engine results.

#include <onnx/onnx_pb.h>

#include <fstream>

#include "export_onnx/qonnx_evaluator.hpp"
#include "export_onnx/test_models.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/import/onnx_import.hpp"
#include "import_support.hpp"

namespace hlslim {
namespace {

using import_test::models_dir;

std::string attr(const Graph& graph, const std::string& layer, const std::string& role) {
  const Layer* l = graph.find(layer);
  if (!l) return "no layer " + layer;
  const auto value = graph.resolve_attr(*l, precision_attr(role));
  return value ? std::get<std::string>(*value) : "unset";
}

onnx::ModelProto load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromIstream(&in)) << path;
  return model;
}

TEST(QonnxImport, QuantNodesBecomeLayerPrecisions) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "qonnx_mlp.onnx", "q");
  ASSERT_EQ(graph.layers.size(), 3u);
  EXPECT_TRUE(has_precision(graph));
  // scale 2^-F and B bits: fixed<B, B - F>; ROUND is RND_CONV, FLOOR is TRN; saturation, and
  // SAT_SYM for a signed narrow range.
  EXPECT_EQ(std::get<std::string>(graph.default_attrs.at(kInputPrecisionAttr)),
            "fixed<10,6,RND_CONV,SAT>");
  EXPECT_EQ(attr(graph, "fc1", "weight"), "fixed<6,1,RND_CONV,SAT>");
  EXPECT_EQ(attr(graph, "fc1", "bias"), "fixed<8,2,RND_CONV,SAT_SYM>");
  EXPECT_EQ(attr(graph, "fc1", "result"), "fixed<12,7,RND_CONV,SAT>");
  EXPECT_EQ(attr(graph, "relu1", "result"), "ufixed<8,4,TRN,SAT>");
  EXPECT_EQ(attr(graph, "fc2", "weight"), "fixed<6,1,RND_CONV,SAT>");
  EXPECT_EQ(attr(graph, "fc2", "bias"), "fixed<8,2,RND_CONV,SAT>");
  EXPECT_EQ(attr(graph, "fc2", "result"), "fixed<12,7,RND_CONV,SAT>");
  // Accumulators hold every sum exactly: input fraction bits plus the weights'.
  const ModelPrecision precision = read_precision(graph);
  EXPECT_EQ(precision.layers[0].accum->fraction_bits(), 4 + 5);
  EXPECT_EQ(precision.layers[2].accum->fraction_bits(), 4 + 5);
  // Weights hold the values the Quant nodes give them.
  for (float w : graph.layers[0].tensors.at("weight").values) {
    EXPECT_EQ(w * 32.0f, std::round(w * 32.0f));
    EXPECT_LE(std::abs(w), 1.0f);
  }
}

void expect_engine_matches_file(const std::string& file) {
  SCOPED_TRACE(file);
  const Graph graph = import_onnx(models_dir() / file, "q");
  const FixedEngine engine(graph);
  const onnx::ModelProto model = load(models_dir() / file);
  export_test::QonnxEvaluator evaluator(model);
  const data::NpyArray x = import_test::npy("qonnx_mlp.x.npy");
  const std::size_t n = x.shape.at(0);
  ASSERT_GE(n, 1000u);
  std::vector<float> ours(n * engine.output_size());
  engine.run(x.data.data(), n, ours.data());
  for (std::size_t e = 0; e < n; ++e) {
    const std::vector<double> in(x.data.begin() + e * 8, x.data.begin() + (e + 1) * 8);
    const std::vector<double> reference = evaluator.run(in);
    ASSERT_EQ(reference.size(), engine.output_size());
    for (std::size_t k = 0; k < reference.size(); ++k) {
      ASSERT_EQ(ours[e * reference.size() + k], reference[k])
          << "first mismatch at event " << e << ", output " << k;
    }
  }
}

TEST(QonnxImport, EngineMatchesTheQonnxFileOnAThousandInputs) {
  HLSLIM_NEED_MODELS();
  expect_engine_matches_file("qonnx_mlp.onnx");
}

// Without a Quant after a dense layer, its result takes the accumulator's type, which holds it
// exactly (hls4ml's `auto`).
TEST(QonnxImport, UnquantizedDenseResultTakesTheAccumulatorsType) {
  HLSLIM_NEED_MODELS();
  const Graph graph = import_onnx(models_dir() / "qonnx_relu_only.onnx", "q");
  const ModelPrecision precision = read_precision(graph);
  EXPECT_EQ(precision.layers[0].result, precision.layers[0].accum);
  EXPECT_EQ(attr(graph, "relu1", "result"), "ufixed<8,4,TRN,SAT>");
  expect_engine_matches_file("qonnx_relu_only.onnx");
}

// hlslim's QONNX export of a quantized graph, imported again: the same layers, names and
// precisions (accumulators aside), and the same engine results.
void expect_round_trip(const Graph& original) {
  SCOPED_TRACE(original.name);
  const auto dir = import_test::temp_dir("round_trip_" + original.name);
  write_qonnx(original, dir / "dense.onnx");
  const Graph imported = import_onnx(dir / "dense.onnx", original.name);
  ASSERT_EQ(imported.layers.size(), original.layers.size());
  const ModelPrecision a = read_precision(original), b = read_precision(imported);
  EXPECT_EQ(a.input, b.input);
  for (std::size_t i = 0; i < original.layers.size(); ++i) {
    EXPECT_EQ(imported.layers[i].name, original.layers[i].name);
    EXPECT_EQ(imported.layers[i].kind, original.layers[i].kind);
    for (const char* role : {"weight", "bias", "result"}) {
      const auto& ra = *a.layers[i].role(role);
      const auto& rb = *b.layers[i].role(role);
      ASSERT_EQ(ra.has_value(), rb.has_value()) << original.layers[i].name << " " << role;
      if (ra) {
        EXPECT_EQ(ra->to_string(), rb->to_string()) << original.layers[i].name << " " << role;
        EXPECT_EQ(attr(imported, original.layers[i].name, role), ra->to_string());
      }
    }
  }
  // The exported accumulators are wider than needed; the imported ones are exact: the same
  // results either way.
  const FixedEngine engine_a(original), engine_b(imported);
  export_test::Random random(11);
  const std::size_t n = 1000;
  const std::vector<float> x = random.values(n * engine_a.input_size(), -6.0f, 6.0f);
  std::vector<float> ya(n * engine_a.output_size()), yb(ya.size());
  engine_a.run(x.data(), n, ya.data());
  engine_b.run(x.data(), n, yb.data());
  for (std::size_t i = 0; i < ya.size(); ++i) ASSERT_EQ(ya[i], yb[i]) << "first mismatch at " << i;
}

TEST(QonnxImport, ExportedDenseModelImportsWithTheSamePrecisionsAndResults) {
  expect_round_trip(export_test::dense_model());
}

// Batch normalizations, written as Mul + Add of per-channel constants: on a channels-last
// convolution output and on a flat value in channels-last order.
TEST(QonnxImport, ExportedBatchNormsImportWithTheSamePrecisionsAndResults) {
  using export_test::make_layer;
  Graph g;
  g.name = "normed";
  g.input_shape = {2, 6, 6};
  Layer conv = make_layer("c1", LayerKind::kConv2d);
  conv.params.filters = 3;
  conv.params.kernel = {3, 3};
  conv.params.stride = {1, 1};
  Layer fc = make_layer("fc", LayerKind::kDense);
  fc.params.units = 2;
  g.layers = {conv,
              make_layer("bn1", LayerKind::kBatchNorm),
              make_layer("r1", LayerKind::kRelu),
              make_layer("flat", LayerKind::kFlatten),
              make_layer("bn2", LayerKind::kBatchNorm),
              fc};
  export_test::fill_weights(g, 5);
  export_test::set_exact_precision(g);
  expect_round_trip(g);
}

// Channels-last Conv and MaxPool of the domain qonnx.custom_op.channels_last, a channels-last
// input and a Flatten into a dense layer whose weights follow the channels-last order.
TEST(QonnxImport, ExportedConvModelImportsWithTheSamePrecisionsAndResults) {
  const Graph original = export_test::conv2d_model();
  expect_round_trip(original);
  const auto dir = import_test::temp_dir("round_trip_conv_weights");
  write_qonnx(original, dir / "conv2d.onnx");
  const Graph imported = import_onnx(dir / "conv2d.onnx", "conv2d");
  EXPECT_EQ(imported.input_shape, original.input_shape);
  EXPECT_EQ(imported.layers[0].tensors.at("weight").shape,
            original.layers[0].tensors.at("weight").shape);
}

// A weight quantized and then transposed (stored [out, in], with a Quant of the default domain)
// and a bias quantized and then reshaped import as the same model as the plain file.
TEST(QonnxImport, QuantizedConstantsTransposedOrReshapedKeepTheirTypes) {
  HLSLIM_NEED_MODELS();
  const Graph plain = import_onnx(models_dir() / "qonnx_plain.onnx", "q");
  const Graph transposed = import_onnx(models_dir() / "qonnx_transposed.onnx", "q");
  ASSERT_EQ(transposed.layers.size(), plain.layers.size());
  for (std::size_t i = 0; i < plain.layers.size(); ++i) {
    SCOPED_TRACE(plain.layers[i].name);
    EXPECT_EQ(transposed.layers[i].name, plain.layers[i].name);
    ASSERT_EQ(transposed.layers[i].tensors.size(), plain.layers[i].tensors.size());
    for (const auto& [role, tensor] : plain.layers[i].tensors) {
      EXPECT_EQ(transposed.layers[i].tensors.at(role).shape, tensor.shape) << role;
      EXPECT_EQ(transposed.layers[i].tensors.at(role).values, tensor.values) << role;
    }
    for (const char* role : {"weight", "bias", "result"}) {
      EXPECT_EQ(attr(transposed, plain.layers[i].name, role),
                attr(plain, plain.layers[i].name, role))
          << role;
    }
  }
  EXPECT_EQ(attr(transposed, "fc1", "weight"), "fixed<6,1,RND_CONV,SAT>");
  EXPECT_EQ(attr(transposed, "fc1", "bias"), "fixed<8,2,RND_CONV,SAT_SYM>");
}

}  // namespace
}  // namespace hlslim
