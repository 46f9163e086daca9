// The QONNX file's form: the ONNX checker, hls4ml's node set, names, Quant parameters, shapes,
// channels-last layouts and the findings about types a Quant node cannot carry.

#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <set>

#include "hlslim/export/onnx_export.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/util/errors.hpp"
#include "test_models.hpp"
#include "test_support.hpp"

namespace hlslim::export_test {
namespace {

onnx::ModelProto export_qonnx(const Graph& graph, const TempDir& dir,
                              OnnxExportResult* result = nullptr) {
  const auto path = dir / (graph.name + ".qonnx.onnx");
  OnnxExportResult r = write_qonnx(graph, path);
  if (result) *result = r;
  return load_model(path);
}

std::set<std::string> initializer_names(const onnx::ModelProto& model) {
  std::set<std::string> names;
  for (const auto& t : model.graph().initializer()) names.insert(t.name());
  return names;
}

const onnx::TensorProto& initializer(const onnx::ModelProto& model, const std::string& name) {
  for (const auto& t : model.graph().initializer()) {
    if (t.name() == name) return t;
  }
  throw std::runtime_error("no initializer " + name);
}

const onnx::NodeProto& node_named(const onnx::ModelProto& model, const std::string& name) {
  for (const auto& n : model.graph().node()) {
    if (n.name() == name) return n;
  }
  throw std::runtime_error("no node " + name);
}

TEST(QonnxExport, PassesTheOnnxCheckerAndStrictShapeInference) {
  TempDir dir("checker");
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    onnx::ModelProto model = export_qonnx(graph, dir);
    EXPECT_NO_THROW(onnx::checker::check_model(model));
    // What onnx.checker.check_model(full_check=True) adds: shape inference that fails on any
    // inconsistency with the declared shapes (custom-domain nodes have no schema to check).
    EXPECT_NO_THROW(onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), onnx::ShapeInferenceOptions(true, 1, false)));
  }
}

TEST(QonnxExport, UsesOnlyNodesHls4mlAccepts) {
  const std::set<std::string> accepted{
      "MatMul",    "Add",  "Mul",     "Conv",    "MaxPool", "AveragePool", "Quant",     "Relu",
      "LeakyRelu", "Tanh", "Sigmoid", "Softmax", "Flatten", "Reshape",     "Transpose", "Identity"};
  TempDir dir("nodes");
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    const onnx::ModelProto model = export_qonnx(graph, dir);
    for (const auto& node : model.graph().node()) {
      EXPECT_TRUE(accepted.count(node.op_type())) << node.op_type();
      if (node.op_type() == "Quant") {
        EXPECT_EQ(node.domain(), "qonnx.custom_op.general");
      } else if (node.op_type() == "Conv" || node.op_type() == "MaxPool" ||
                 node.op_type() == "AveragePool") {
        EXPECT_EQ(node.domain(), "qonnx.custom_op.channels_last") << node.name();
      } else {
        EXPECT_EQ(node.domain(), "") << node.name();
      }
    }
  }
}

TEST(QonnxExport, NamesEveryNodeAndTensorWithAUniqueCIdentifier) {
  TempDir dir("names");
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    OnnxExportResult result;
    const onnx::ModelProto model = export_qonnx(graph, dir, &result);
    ASSERT_EQ(result.node_names.size(), graph.layers.size());
    std::set<std::string> layer_names;  // hls4ml's layers: nodes, initializers, the input
    for (const auto& node : model.graph().node()) {
      EXPECT_TRUE(is_c_identifier(node.name())) << node.name();
      EXPECT_TRUE(layer_names.insert(node.name()).second) << node.name();
      for (const auto& out : node.output()) EXPECT_TRUE(is_c_identifier(out)) << out;
    }
    for (const auto& t : model.graph().initializer()) {
      EXPECT_TRUE(is_c_identifier(t.name())) << t.name();
      EXPECT_TRUE(layer_names.insert(t.name()).second) << t.name();
    }
    EXPECT_TRUE(layer_names.insert(model.graph().input(0).name()).second);
    for (const std::string& name : result.node_names) {
      EXPECT_NO_THROW(node_named(model, name)) << name;
    }
  }
  const Graph conv = conv1d_model();  // layers "conv.1" and "conv-2"
  TempDir dir2("names2");
  OnnxExportResult result;
  export_qonnx(conv, dir2, &result);
  EXPECT_EQ(result.node_names,
            (std::vector<std::string>{"conv_1", "relu1", "pool1", "conv_2", "flatten", "fc"}));
}

TEST(QonnxExport, NamesStayUniqueWhenLayerNamesCollide) {
  Graph g = dense_model();
  g.layers[0].name = "Fc";
  g.layers[1].name = "fc";
  g.layers[2].name = "fc_result";
  TempDir dir("collide");
  OnnxExportResult result;
  export_qonnx(g, dir, &result);
  EXPECT_EQ(result.node_names, (std::vector<std::string>{"Fc", "fc2", "fcresult"}));
}

TEST(QonnxExport, QuantParametersArePowerOfTwoScalarInitializers) {
  TempDir dir("quant");
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    const onnx::ModelProto model = export_qonnx(graph, dir);
    const std::set<std::string> inits = initializer_names(model);
    int quants = 0;
    for (const auto& node : model.graph().node()) {
      if (node.op_type() != "Quant") continue;
      ++quants;
      ASSERT_EQ(node.input_size(), 4);
      for (int k = 1; k < 4; ++k) {
        ASSERT_TRUE(inits.count(node.input(k))) << node.name();
        EXPECT_EQ(initializer(model, node.input(k)).dims_size(), 0);
      }
      const double scale = initializer(model, node.input(1)).float_data(0);
      int exponent = 0;
      EXPECT_EQ(std::frexp(scale, &exponent), 0.5) << node.name();
      EXPECT_EQ(initializer(model, node.input(2)).float_data(0), 0.0f);
      const float bits = initializer(model, node.input(3)).float_data(0);
      EXPECT_EQ(bits, std::round(bits));
      std::set<std::string> attributes;
      for (const auto& a : node.attribute()) attributes.insert(a.name());
      EXPECT_EQ(attributes, (std::set<std::string>{"signed", "narrow", "rounding_mode"}));
    }
    EXPECT_GT(quants, 2);
  }
}

TEST(QonnxExport, DeclaresTheShapeOfEveryTensor) {
  TempDir dir("shapes");
  for (const Graph& graph : exact_models()) {
    SCOPED_TRACE(graph.name);
    const onnx::ModelProto model = export_qonnx(graph, dir);
    std::set<std::string> declared;
    for (const auto& v : model.graph().value_info()) declared.insert(v.name());
    for (const auto& v : model.graph().input()) declared.insert(v.name());
    for (const auto& v : model.graph().output()) declared.insert(v.name());
    for (const auto& node : model.graph().node()) {
      for (const auto& name : node.input()) EXPECT_TRUE(declared.count(name)) << name;
      for (const auto& name : node.output()) EXPECT_TRUE(declared.count(name)) << name;
    }
    // hls4ml takes the first dimension as the batch.
    EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(0).dim_value(), 1);
  }
}

TEST(QonnxExport, WritesConvolutionsChannelsLastWithOhwiWeights) {
  TempDir dir("layout");
  const Graph graph = conv2d_model();
  const onnx::ModelProto model = export_qonnx(graph, dir);
  const auto& dims = model.graph().input(0).type().tensor_type().shape().dim();
  ASSERT_EQ(dims.size(), 4);
  EXPECT_EQ(dims[1].dim_value(), 6);  // [1, H, W, C]
  EXPECT_EQ(dims[2].dim_value(), 8);
  EXPECT_EQ(dims[3].dim_value(), 2);
  const onnx::TensorProto& w = initializer(model, "c1_w");
  EXPECT_EQ(std::vector<std::int64_t>(w.dims().begin(), w.dims().end()),
            (std::vector<std::int64_t>{4, 3, 3, 2}));
  // Element [m=1, kh=2, kw=0, c=1] is LibTorch's [m=1, c=1, kh=2, kw=0], quantized.
  const float torch_value = graph.layers[0].tensors.at("weight").values[((1 * 2 + 1) * 3 + 2) * 3];
  const FixedType type = *parse_fixed_type("fixed<6,1,RND_CONV,SAT>").type;
  EXPECT_EQ(w.float_data(((1 * 3 + 2) * 3 + 0) * 2 + 1),
            static_cast<float>(to_double(quantize(torch_value, type), type)));
  const onnx::NodeProto& conv = node_named(model, "c2");
  std::map<std::string, std::vector<std::int64_t>> ints;
  for (const auto& a : conv.attribute()) ints[a.name()] = {a.ints().begin(), a.ints().end()};
  EXPECT_EQ(ints["pads"], (std::vector<std::int64_t>{0, 0, 1, 1}));  // same, k = 2
  EXPECT_EQ(ints["strides"], (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(ints["dilations"], (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(conv.input_size(), 2);  // no bias
}

TEST(QonnxExport, StoresMaskedWeightsAsZero) {
  TempDir dir("masked");
  const Graph graph = pruned_model();
  const onnx::ModelProto model = export_qonnx(graph, dir);
  const auto& mask = graph.layers[0].tensors.at("weight_mask").values;
  const onnx::TensorProto& w = initializer(model, "fc1_w");  // [in 12, out 8]
  int zeros = 0;
  for (int o = 0; o < 8; ++o) {
    for (int k = 0; k < 12; ++k) {
      if (mask[o * 12 + k] == 0.0f) {
        EXPECT_EQ(w.float_data(k * 8 + o), 0.0f);
        ++zeros;
      }
    }
  }
  EXPECT_GT(zeros, 20);
  EXPECT_EQ(initializer(model, "fc1_b").float_data(0), 0.0f);
}

TEST(QonnxExport, ReportsTypesAQuantNodeCannotCarry) {
  Graph graph = dense_model();
  graph.layers[0].attrs["precision.result"] = std::string("fixed<12,4,RND,SAT>");
  graph.layers[1].attrs["precision.result"] = std::string("ufixed<10,3,TRN_ZERO,WRAP>");
  graph.default_attrs["precision.input"] = std::string("fixed<10,3,RND_CONV,SAT_ZERO>");
  // Constants are stored quantized, so their modes never matter.
  graph.default_attrs["precision.weight"] = std::string("fixed<6,1,RND_INF,WRAP>");
  TempDir dir("findings");
  OnnxExportResult result;
  const onnx::ModelProto model = export_qonnx(graph, dir, &result);
  ASSERT_EQ(result.findings.size(), 3u);
  EXPECT_EQ(result.findings[0].node, "model_input_quant");
  EXPECT_EQ(result.findings[0].severity, Severity::kWarning);
  EXPECT_EQ(result.findings[0].message,
            "input fixed<10,3,RND_CONV,SAT_ZERO> is not exact as a Quant node: SAT_ZERO sets "
            "values beyond the range to 0 but the Quant saturates them");
  EXPECT_EQ(result.findings[1].node, "fc1_result_quant");
  EXPECT_EQ(result.findings[1].message,
            "layer 'fc1' result fixed<12,4,RND,SAT> is not exact as a Quant node: RND rounds "
            "ties toward +infinity but the Quant rounds them to even (ROUND): values exactly "
            "halfway between two steps may differ by one step");
  EXPECT_EQ(result.findings[2].node, "relu1_result_quant");
  EXPECT_EQ(result.findings[2].message,
            "layer 'relu1' result ufixed<10,3,TRN_ZERO> is not exact as a Quant node: "
            "TRN_ZERO truncates toward zero but the Quant rounds toward -infinity (FLOOR): "
            "negative values between two steps differ by one step; WRAP wraps values beyond the "
            "range around but the Quant saturates them");
  // The nearest modes hls4ml reads are written.
  const onnx::NodeProto& q = node_named(model, "fc1_result_quant");
  for (const auto& a : q.attribute()) {
    if (a.name() == "rounding_mode") {
      EXPECT_EQ(a.s(), "ROUND");
    } else if (a.name() == "narrow") {
      EXPECT_EQ(a.i(), 0);
    }
  }
}

TEST(QonnxExport, MapsSatSymToNarrowOnlyWhenSigned) {
  TempDir dir("narrow");
  Graph graph = dense_model();
  graph.layers[1].attrs["precision.result"] = std::string("ufixed<10,3,TRN,SAT_SYM>");
  const onnx::ModelProto model = export_qonnx(graph, dir);
  auto narrow = [&](const std::string& node) {
    for (const auto& a : node_named(model, node).attribute()) {
      if (a.name() == "narrow") return a.i();
    }
    return std::int64_t{-1};
  };
  EXPECT_EQ(narrow("fc1_b_quant"), 1);  // fixed<8,2,RND_CONV,SAT_SYM>
  EXPECT_EQ(narrow("relu1_result_quant"), 0);
  EXPECT_EQ(narrow("fc1_result_quant"), 0);
}

TEST(QonnxExport, FailsOnAMissingPrecision) {
  Graph graph = dense_model();
  graph.default_attrs.erase("precision.accum");
  TempDir dir("missing");
  try {
    write_qonnx(graph, dir / "m.onnx");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model 'dense', layer 'fc1': precision.accum missing");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "m.onnx"));
}

}  // namespace
}  // namespace hlslim::export_test
