// write_onnx(): the float model as standard ONNX, channels-first like LibTorch, for ONNX
// Runtime and any other standard consumer.

#include "export_common.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/util/errors.hpp"
#include "onnx_builder.hpp"

namespace hlslim {
namespace {

using onnx_export::Dims;
using onnx_export::OnnxBuilder;

Dims batch_dims(const Shape& shape) {
  Dims dims{-1};
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

const std::vector<float>& values(const Layer& layer, const char* name) {
  return layer.tensors.at(name).values;
}

// Emits layer `layer` reading `x`; returns the name of its output tensor.
std::string emit_layer(OnnxBuilder& b, const Layer& layer, const std::string& base,
                       const std::string& x, const Shape& in) {
  const LayerParams& p = layer.params;
  const std::string y = base + "_out";
  auto declare = [&](const std::string& name, const Shape& shape) {
    b.add_value_info(name, batch_dims(shape));
  };
  switch (layer.kind) {
    case LayerKind::kDense: {
      b.add_initializer(base + "_w", {p.units, in[0]}, onnx_export::masked_tensor(layer, "weight"));
      std::vector<std::string> inputs{x, base + "_w"};
      if (p.bias) {
        b.add_initializer(base + "_b", {p.units}, onnx_export::masked_tensor(layer, "bias"));
        inputs.push_back(base + "_b");
      }
      auto& node = b.add_node("Gemm", base, inputs, {y});
      OnnxBuilder::set_int(node, "transB", 1);
      break;
    }
    case LayerKind::kConv1d:
    case LayerKind::kConv2d: {
      Dims w_dims{p.filters, in[0]};
      w_dims.insert(w_dims.end(), p.kernel.begin(), p.kernel.end());
      b.add_initializer(base + "_w", w_dims, onnx_export::masked_tensor(layer, "weight"));
      std::vector<std::string> inputs{x, base + "_w"};
      if (p.bias) {
        b.add_initializer(base + "_b", {p.filters}, onnx_export::masked_tensor(layer, "bias"));
        inputs.push_back(base + "_b");
      }
      const onnx_export::ConvGeometry g = onnx_export::conv_geometry(layer);
      auto& node = b.add_node("Conv", base, inputs, {y});
      OnnxBuilder::set_ints(node, "kernel_shape", p.kernel);
      OnnxBuilder::set_ints(node, "strides", g.strides);
      OnnxBuilder::set_ints(node, "pads", g.pads);
      OnnxBuilder::set_ints(node, "dilations", std::vector<std::int64_t>(p.kernel.size(), 1));
      OnnxBuilder::set_int(node, "group", 1);
      break;
    }
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d: {
      const bool max = layer.kind == LayerKind::kMaxPool1d || layer.kind == LayerKind::kMaxPool2d;
      auto& node = b.add_node(max ? "MaxPool" : "AveragePool", base, {x}, {y});
      OnnxBuilder::set_ints(node, "kernel_shape", p.pool);
      OnnxBuilder::set_ints(node, "strides", p.pool);
      OnnxBuilder::set_ints(node, "pads", std::vector<std::int64_t>(2 * p.pool.size(), 0));
      break;
    }
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool: {
      const bool max = layer.kind == LayerKind::kGlobalMaxPool;
      b.add_node(max ? "GlobalMaxPool" : "GlobalAveragePool", base, {x}, {base + "_pooled"});
      Shape pooled(in.size(), 1);
      pooled[0] = in[0];
      declare(base + "_pooled", pooled);
      OnnxBuilder::set_int(b.add_node("Flatten", base + "_flatten", {base + "_pooled"}, {y}),
                           "axis", 1);
      break;
    }
    case LayerKind::kFlatten:
      OnnxBuilder::set_int(b.add_node("Flatten", base, {x}, {y}), "axis", 1);
      break;
    case LayerKind::kReshape: {
      std::vector<std::int64_t> shape{-1};
      shape.insert(shape.end(), p.shape.begin(), p.shape.end());
      b.add_int64_initializer(base + "_shape", {static_cast<std::int64_t>(shape.size())}, shape);
      b.add_node("Reshape", base, {x, base + "_shape"}, {y});
      break;
    }
    case LayerKind::kBatchNorm: {
      const Dims c{in[0]};
      b.add_initializer(base + "_gamma", c, values(layer, "weight"));
      b.add_initializer(base + "_beta", c, values(layer, "bias"));
      b.add_initializer(base + "_mean", c, values(layer, "running_mean"));
      b.add_initializer(base + "_var", c, values(layer, "running_var"));
      auto& node =
          b.add_node("BatchNormalization", base,
                     {x, base + "_gamma", base + "_beta", base + "_mean", base + "_var"}, {y});
      OnnxBuilder::set_float(node, "epsilon", static_cast<float>(p.eps));
      break;
    }
    case LayerKind::kDropout:
      b.add_node("Identity", base, {x}, {y});
      break;
    case LayerKind::kRelu:
      b.add_node("Relu", base, {x}, {y});
      break;
    case LayerKind::kLeakyRelu:
      OnnxBuilder::set_float(b.add_node("LeakyRelu", base, {x}, {y}), "alpha",
                             static_cast<float>(p.alpha));
      break;
    case LayerKind::kTanh:
      b.add_node("Tanh", base, {x}, {y});
      break;
    case LayerKind::kSigmoid:
      b.add_node("Sigmoid", base, {x}, {y});
      break;
    case LayerKind::kSoftmax:
      OnnxBuilder::set_int(b.add_node("Softmax", base, {x}, {y}), "axis", -1);
      break;
  }
  return y;
}

}  // namespace

OnnxExportResult write_onnx(const Graph& graph, const std::filesystem::path& path) {
  if (!graph.has_weights()) {
    throw Error("model '" + graph.name + "': cannot export: some layer lacks its weights");
  }
  const std::vector<Shape> shapes = graph.shapes();
  OnnxBuilder builder(graph.name.empty() ? "hlslim" : graph.name, {});
  onnx_export::NameTable names;
  const std::string input = names.claim("model_input");
  OnnxExportResult result;
  result.node_names = onnx_export::claim_layer_names(graph, names);
  builder.add_input(input, batch_dims(shapes[0]));
  std::string x = input;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    x = emit_layer(builder, graph.layers[i], result.node_names[i], x, shapes[i]);
    if (i + 1 < graph.layers.size()) builder.add_value_info(x, batch_dims(shapes[i + 1]));
  }
  builder.add_output(x, batch_dims(shapes.back()));
  onnx_export::save_model(builder.model(), path);
  return result;
}

}  // namespace hlslim
