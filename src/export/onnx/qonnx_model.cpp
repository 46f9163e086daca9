#include "qonnx_model.hpp"

#include <cmath>
#include <numeric>
#include <optional>
#include <variant>

#include "export_common.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/util/errors.hpp"
#include "onnx_builder.hpp"
#include "qonnx_quant.hpp"

namespace hlslim::onnx_export {
namespace {

// A tensor of the exported graph. `shape` is the LibTorch shape (channels first, no batch);
// spatial tensors are exported channels-last. A flat tensor made by flattening a spatial one
// holds its values in channels-last order: `perm` maps an exported position to the
// channels-first index, and `perm_source` is the spatial shape it came from.
struct Value {
  std::string name;
  Shape shape;
  std::vector<std::int64_t> perm;
  Shape perm_source;
};

bool is_spatial(const Shape& shape) {
  return shape.size() >= 2;
}

// Dimensions of the exported tensor: batch 1, then channels last.
Dims channels_last_dims(const Shape& shape) {
  Dims dims{1};
  if (!is_spatial(shape)) {
    dims.insert(dims.end(), shape.begin(), shape.end());
    return dims;
  }
  dims.insert(dims.end(), shape.begin() + 1, shape.end());
  dims.push_back(shape[0]);
  return dims;
}

Dims channels_first_dims(const Shape& shape) {
  Dims dims{1};
  dims.insert(dims.end(), shape.begin(), shape.end());
  return dims;
}

std::vector<std::int64_t> value_order(const Value& value) {
  if (is_spatial(value.shape)) return channels_last_order(value.shape);
  if (!value.perm.empty()) return value.perm;
  std::vector<std::int64_t> order(static_cast<std::size_t>(shape_numel(value.shape)));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

std::vector<double> to_double(const std::vector<float>& values) {
  return std::vector<double>(values.begin(), values.end());
}

class QonnxWriter {
 public:
  explicit QonnxWriter(const Graph& graph)
      : graph_(graph),
        builder_(graph.name.empty() ? "hlslim" : graph.name, {kQuantDomain, kChannelsLastDomain}) {}

  QonnxModel run();

 private:
  using Precision = std::vector<std::pair<std::string, std::string>>;

  void config(const std::string& node, int layer, Precision precision = {}) {
    out_.configs.push_back({node, layer, std::move(precision)});
  }
  const FixedType& role(std::size_t i, const char* name) const {
    return **precision_.layers[i].role(name);
  }
  std::string layer_context(std::size_t i) const { return "layer '" + graph_.layers[i].name + "'"; }
  // The type of the values entering layer i: the last result type before it, else the input's.
  const FixedType& input_type(std::size_t i) const {
    for (std::size_t k = i; k-- > 0;) {
      if (precision_.layers[k].result) return *precision_.layers[k].result;
    }
    return precision_.input;
  }

  void add_quant(const std::string& node, const std::string& input, const std::string& output,
                 const FixedType& type);
  std::string quant_constant(std::size_t i, const std::string& base, const char* role_name,
                             const Dims& dims, const std::vector<double>& values);
  Value quant_result(std::size_t i, const Value& in, const FixedType& type, const std::string& node,
                     const std::string& what);
  std::string add_reshape(const std::string& node, const std::string& input, const Dims& dims,
                          std::size_t layer);
  void add_transpose(const std::string& node, const std::string& input,
                     const std::vector<std::int64_t>& perm, const Dims& dims, std::size_t layer);

  Value dense(std::size_t i, const Value& in);
  Value conv(std::size_t i, const Value& in);
  Value pool(std::size_t i, const Value& in);
  Value flatten(std::size_t i, const Value& in);
  Value reshape(std::size_t i, const Value& in);
  Value batch_norm(std::size_t i, const Value& in);
  Value elementwise(std::size_t i, const Value& in);

  const Graph& graph_;
  OnnxBuilder builder_;
  ModelPrecision precision_;
  std::vector<Shape> shapes_;
  std::vector<std::string> bases_;
  QonnxModel out_;
};

void QonnxWriter::add_quant(const std::string& node, const std::string& input,
                            const std::string& output, const FixedType& type) {
  const QuantSpec spec = quant_spec(type);
  builder_.add_initializer(node + "_scale", {}, {static_cast<float>(spec.scale)});
  builder_.add_initializer(node + "_zeropt", {}, {0.0f});
  builder_.add_initializer(node + "_bitwidth", {}, {static_cast<float>(spec.bitwidth)});
  auto& q = builder_.add_node("Quant", node,
                              {input, node + "_scale", node + "_zeropt", node + "_bitwidth"},
                              {output}, kQuantDomain);
  OnnxBuilder::set_int(q, "signed", spec.is_signed ? 1 : 0);
  OnnxBuilder::set_int(q, "narrow", spec.narrow ? 1 : 0);
  OnnxBuilder::set_string(q, "rounding_mode", spec.rounding);
}

// Constants are stored as the values their type gives them, so that their Quant node is exact
// whatever the type's modes: quantizing a value that is already on the grid changes nothing.
std::string QonnxWriter::quant_constant(std::size_t i, const std::string& base,
                                        const char* role_name, const Dims& dims,
                                        const std::vector<double>& values) {
  const FixedType& type = role(i, role_name);
  std::vector<float> quantized(values.size());
  bool exact = true;
  for (std::size_t k = 0; k < values.size(); ++k) {
    quantized[k] = quantized_float(values[k], type, exact);
  }
  const std::string node = base + "_quant";
  if (!exact) {
    out_.result.findings.push_back(
        {node, Severity::kWarning,
         layer_context(i) + " " + role_name + " " + type.to_string() +
             ": some quantized values need more than float32's 24 significant bits; the "
             "initializer holds the nearest floats"});
  }
  builder_.add_initializer(base, dims, quantized);
  add_quant(node, base, node + "_out", type);
  builder_.add_value_info(node + "_out", dims);
  config(node, static_cast<int>(i));
  return node + "_out";
}

Value QonnxWriter::quant_result(std::size_t i, const Value& in, const FixedType& type,
                                const std::string& node, const std::string& what) {
  const QuantSpec spec = quant_spec(type);
  if (!spec.mismatches.empty()) {
    out_.result.findings.push_back(
        {node, Severity::kWarning,
         what + " " + type.to_string() +
             " is not exact as a Quant node: " + join(spec.mismatches, "; ")});
  }
  Value out = in;
  out.name = node + "_out";
  add_quant(node, in.name, out.name, type);
  builder_.add_value_info(out.name, channels_last_dims(in.shape));
  config(node, static_cast<int>(i));
  return out;
}

// A Reshape's output tensor is named after the node: hls4ml's io_stream flow replaces a Reshape
// by a Repack layer and looks its output up by the layer's name (as Keras models name them).
std::string QonnxWriter::add_reshape(const std::string& node, const std::string& input,
                                     const Dims& dims, std::size_t layer) {
  builder_.add_int64_initializer(node + "_shape", {static_cast<std::int64_t>(dims.size())}, dims);
  builder_.add_node("Reshape", node, {input, node + "_shape"}, {node});
  builder_.add_value_info(node, dims);
  config(node, static_cast<int>(layer), {{"result", "auto"}});
  return node;
}

void QonnxWriter::add_transpose(const std::string& node, const std::string& input,
                                const std::vector<std::int64_t>& perm, const Dims& dims,
                                std::size_t layer) {
  auto& t = builder_.add_node("Transpose", node, {input}, {node + "_out"});
  OnnxBuilder::set_ints(t, "perm", perm);
  builder_.add_value_info(node + "_out", dims);
  config(node, static_cast<int>(layer), {{"result", "auto"}});
}

// MatMul + Add (hls4ml turns them into one Dense layer). The Dense result stays "auto": hls4ml
// folds the bias into the Dense layer only when its result type is unspecified, and then takes
// the result type from the Quant node that follows.
Value QonnxWriter::dense(std::size_t i, const Value& in) {
  const Layer& layer = graph_.layers[i];
  const std::string& base = bases_[i];
  const std::int64_t n_in = in.shape[0];
  const std::int64_t n_out = layer.params.units;
  const std::vector<float> weight = masked_tensor(layer, "weight");
  const std::vector<std::int64_t> order = value_order(in);
  std::vector<double> exported(static_cast<std::size_t>(n_in * n_out));
  for (std::int64_t p = 0; p < n_in; ++p) {
    for (std::int64_t o = 0; o < n_out; ++o) {
      exported[p * n_out + o] = weight[o * n_in + order[p]];
    }
  }
  const std::string w = quant_constant(i, base + "_w", "weight", {n_in, n_out}, exported);
  builder_.add_node("MatMul", base, {in.name, w}, {base + "_out"});
  builder_.add_value_info(base + "_out", {1, n_out});
  Precision p{{"weight", role(i, "weight").to_string()}};
  if (layer.params.bias) p.push_back({"bias", role(i, "bias").to_string()});
  p.push_back({"accum", role(i, "accum").to_string()});
  p.push_back({"result", "auto"});
  config(base, static_cast<int>(i), p);
  Value out{base + "_out", {n_out}, {}, {}};
  if (layer.params.bias) {
    const std::string b =
        quant_constant(i, base + "_b", "bias", {n_out}, to_double(masked_tensor(layer, "bias")));
    builder_.add_node("Add", base + "_bias", {out.name, b}, {base + "_bias_out"});
    builder_.add_value_info(base + "_bias_out", {1, n_out});
    config(base + "_bias", static_cast<int>(i), {{"result", "auto"}});
    out.name = base + "_bias_out";
  }
  return quant_result(i, out, role(i, "result"), base + "_result_quant",
                      layer_context(i) + " result");
}

// Channels-last Conv with OHWI weights [filters, kernel..., channels].
Value QonnxWriter::conv(std::size_t i, const Value& in) {
  const Layer& layer = graph_.layers[i];
  const LayerParams& params = layer.params;
  const std::string& base = bases_[i];
  const std::int64_t channels = in.shape[0];
  const std::int64_t filters = params.filters;
  const std::int64_t taps = shape_numel(params.kernel);
  const std::vector<float> weight = masked_tensor(layer, "weight");
  std::vector<double> exported(weight.size());
  for (std::int64_t m = 0; m < filters; ++m) {
    for (std::int64_t c = 0; c < channels; ++c) {
      for (std::int64_t s = 0; s < taps; ++s) {
        exported[(m * taps + s) * channels + c] = weight[(m * channels + c) * taps + s];
      }
    }
  }
  Dims w_dims{filters};
  w_dims.insert(w_dims.end(), params.kernel.begin(), params.kernel.end());
  w_dims.push_back(channels);
  std::vector<std::string> inputs{in.name,
                                  quant_constant(i, base + "_w", "weight", w_dims, exported)};
  if (params.bias) {
    inputs.push_back(
        quant_constant(i, base + "_b", "bias", {filters}, to_double(masked_tensor(layer, "bias"))));
  }
  const ConvGeometry geometry = conv_geometry(layer);
  auto& node = builder_.add_node("Conv", base, inputs, {base + "_out"}, kChannelsLastDomain);
  OnnxBuilder::set_ints(node, "kernel_shape", params.kernel);
  OnnxBuilder::set_ints(node, "strides", geometry.strides);
  OnnxBuilder::set_ints(node, "pads", geometry.pads);
  OnnxBuilder::set_ints(node, "dilations", std::vector<std::int64_t>(params.kernel.size(), 1));
  OnnxBuilder::set_int(node, "group", 1);
  const Shape& out_shape = shapes_[i + 1];
  builder_.add_value_info(base + "_out", channels_last_dims(out_shape));
  Precision p{{"weight", role(i, "weight").to_string()}};
  if (params.bias) p.push_back({"bias", role(i, "bias").to_string()});
  p.push_back({"accum", role(i, "accum").to_string()});
  p.push_back({"result", role(i, "result").to_string()});
  config(base, static_cast<int>(i), p);
  return quant_result(i, {base + "_out", out_shape, {}, {}}, role(i, "result"),
                      base + "_result_quant", layer_context(i) + " result");
}

// Pools are 2-D channels-last MaxPool/AveragePool with stride = window. hls4ml's ONNX reader
// takes a 1-D pool's input as [channels, length] even in channels-last form, so 1-D pools are
// written as 2-D ones of height 1 between two Reshapes; global pools are pools over the whole
// extent followed by a Flatten.
Value QonnxWriter::pool(std::size_t i, const Value& in) {
  const Layer& layer = graph_.layers[i];
  const std::string& base = bases_[i];
  const bool global =
      layer.kind == LayerKind::kGlobalMaxPool || layer.kind == LayerKind::kGlobalAvgPool;
  const bool average = layer.kind == LayerKind::kAvgPool1d || layer.kind == LayerKind::kAvgPool2d ||
                       layer.kind == LayerKind::kGlobalAvgPool;
  const std::int64_t channels = in.shape[0];
  Shape spatial(in.shape.begin() + 1, in.shape.end());
  std::vector<std::int64_t> window = global ? spatial : layer.params.pool;
  std::string x = in.name;
  if (spatial.size() == 1) {
    spatial.insert(spatial.begin(), 1);
    window.insert(window.begin(), 1);
    x = add_reshape(base + "_to_2d", x, {1, 1, spatial[1], channels}, i);
  }
  const Shape pooled{channels, spatial[0] / window[0], spatial[1] / window[1]};
  auto& node = builder_.add_node(average ? "AveragePool" : "MaxPool", base, {x}, {base + "_out"},
                                 kChannelsLastDomain);
  OnnxBuilder::set_ints(node, "kernel_shape", window);
  OnnxBuilder::set_ints(node, "strides", window);
  OnnxBuilder::set_ints(node, "pads", {0, 0, 0, 0});
  if (!average) OnnxBuilder::set_ints(node, "dilations", {1, 1});
  builder_.add_value_info(base + "_out", channels_last_dims(pooled));
  // hls4ml's pools compute in `accum` whatever the operation: a max pool holds each window's
  // values in it, so it gets the type of the values entering the pool (exact; hls4ml's model
  // default would cut them).
  const std::string accum = average ? role(i, "accum").to_string() : input_type(i).to_string();
  config(base, static_cast<int>(i), {{"accum", accum}, {"result", role(i, "result").to_string()}});
  Value out = quant_result(i, {base + "_out", pooled, {}, {}}, role(i, "result"),
                           base + "_result_quant", layer_context(i) + " result");
  if (global) {
    auto& flat =
        builder_.add_node("Flatten", base + "_flatten", {out.name}, {base + "_flatten_out"});
    OnnxBuilder::set_int(flat, "axis", 1);
    builder_.add_value_info(base + "_flatten_out", {1, channels});
    config(base + "_flatten", static_cast<int>(i), {{"result", "auto"}});
    return {base + "_flatten_out", {channels}, {}, {}};
  }
  if (in.shape.size() == 2) {
    const Shape& out_shape = shapes_[i + 1];
    return {add_reshape(base + "_to_1d", out.name, channels_last_dims(out_shape), i),
            out_shape,
            {},
            {}};
  }
  return out;
}

// ONNX Flatten of a channels-last tensor flattens in channels-last order: the next dense
// layer's weight rows follow that order (Value::perm).
Value QonnxWriter::flatten(std::size_t i, const Value& in) {
  const std::string& base = bases_[i];
  const std::int64_t n = shape_numel(in.shape);
  auto& node = builder_.add_node("Flatten", base, {in.name}, {base + "_out"});
  OnnxBuilder::set_int(node, "axis", 1);
  builder_.add_value_info(base + "_out", {1, n});
  config(base, static_cast<int>(i), {{"result", "auto"}});
  if (is_spatial(in.shape)) return {base + "_out", {n}, value_order(in), in.shape};
  return {base + "_out", {n}, in.perm, in.perm_source};
}

// A reshape follows LibTorch's (channels-first) element order: the tensor is brought to that
// order first (Transpose), reshaped, and transposed to channels-last again when the target has
// several channels. Transposes of single-channel tensors are not needed: channels-first and
// channels-last orders coincide.
Value QonnxWriter::reshape(std::size_t i, const Value& in) {
  const std::string& base = bases_[i];
  const Shape& target = graph_.layers[i].params.shape;
  std::string x = in.name;
  const Shape source = is_spatial(in.shape) ? in.shape : in.perm_source;
  if (!is_spatial(in.shape) && !in.perm.empty()) {
    x = add_reshape(base + "_unflatten", x, channels_last_dims(source), i);
  }
  if (!source.empty() && source[0] > 1) {
    const auto rank = static_cast<std::int64_t>(source.size());
    std::vector<std::int64_t> perm{0, rank};
    for (std::int64_t d = 1; d < rank; ++d) perm.push_back(d);
    add_transpose(base + "_to_channels_first", x, perm, channels_first_dims(source), i);
    x = base + "_to_channels_first_out";
  }
  if (is_spatial(target) && target[0] > 1) {
    const std::string reshaped = add_reshape(base, x, channels_first_dims(target), i);
    const auto rank = static_cast<std::int64_t>(target.size());
    std::vector<std::int64_t> perm{0};
    for (std::int64_t d = 2; d <= rank; ++d) perm.push_back(d);
    perm.push_back(1);
    add_transpose(base + "_to_channels_last", reshaped, perm, channels_last_dims(target), i);
    return {base + "_to_channels_last_out", target, {}, {}};
  }
  return {add_reshape(base, x, channels_last_dims(target), i), target, {}, {}};
}

// y = scale * x + shift as Mul + Add of quantized per-channel constants (hls4ml makes one
// ApplyAlpha layer of them); scale and shift are computed as the engine computes them.
Value QonnxWriter::batch_norm(std::size_t i, const Value& in) {
  const Layer& layer = graph_.layers[i];
  const std::string& base = bases_[i];
  const auto& gamma = layer.tensors.at("weight").values;
  const auto& beta = layer.tensors.at("bias").values;
  const auto& mean = layer.tensors.at("running_mean").values;
  const auto& var = layer.tensors.at("running_var").values;
  std::vector<double> scale(gamma.size()), shift(gamma.size());
  for (std::size_t c = 0; c < gamma.size(); ++c) {
    scale[c] = gamma[c] / std::sqrt(static_cast<double>(var[c]) + layer.params.eps);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  if (!is_spatial(in.shape)) {  // one channel per feature, in the exported order
    const std::vector<std::int64_t> order = value_order(in);
    std::vector<double> s(order.size()), t(order.size());
    for (std::size_t p = 0; p < order.size(); ++p) {
      s[p] = scale[order[p]];
      t[p] = shift[order[p]];
    }
    scale.swap(s);
    shift.swap(t);
  }
  // A [C] constant broadcasts over the last (channel) axis of the channels-last tensor.
  const Dims c_dims{static_cast<std::int64_t>(scale.size())};
  const Dims dims = channels_last_dims(in.shape);
  const std::string s = quant_constant(i, base + "_s", "weight", c_dims, scale);
  builder_.add_node("Mul", base, {in.name, s}, {base + "_out"});
  builder_.add_value_info(base + "_out", dims);
  const std::string w = role(i, "weight").to_string(), b = role(i, "bias").to_string();
  config(base, static_cast<int>(i), {{"scale", w}, {"bias", b}, {"result", "auto"}});
  const std::string t = quant_constant(i, base + "_b", "bias", c_dims, shift);
  builder_.add_node("Add", base + "_shift", {base + "_out", t}, {base + "_shift_out"});
  builder_.add_value_info(base + "_shift_out", dims);
  config(base + "_shift", static_cast<int>(i),
         {{"scale", w}, {"bias", b}, {"result", role(i, "result").to_string()}});
  Value out = in;
  out.name = base + "_shift_out";
  return quant_result(i, out, role(i, "result"), base + "_result_quant",
                      layer_context(i) + " result");
}

// Relu, LeakyRelu, Tanh, Sigmoid, Softmax and Identity (dropout): same shape and order.
Value QonnxWriter::elementwise(std::size_t i, const Value& in) {
  const Layer& layer = graph_.layers[i];
  const std::string& base = bases_[i];
  const char* op = nullptr;
  switch (layer.kind) {
    case LayerKind::kRelu:
      op = "Relu";
      break;
    case LayerKind::kLeakyRelu:
      op = "LeakyRelu";
      break;
    case LayerKind::kTanh:
      op = "Tanh";
      break;
    case LayerKind::kSigmoid:
      op = "Sigmoid";
      break;
    case LayerKind::kSoftmax:
      op = "Softmax";
      break;
    case LayerKind::kDropout:
      op = "Identity";
      break;
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kBatchNorm:
      throw Error(layer_context(i) + ": a " + layer_kind_name(layer.kind) +
                  " layer is not elementwise");
  }
  auto& node = builder_.add_node(op, base, {in.name}, {base + "_out"});
  builder_.add_value_info(base + "_out", channels_last_dims(in.shape));
  Value out = in;
  out.name = base + "_out";
  // The engine's types for layers it computes; for tanh, sigmoid and softmax the result type
  // the graph resolves, when it has one.
  std::optional<FixedType> result;
  if (layer.kind == LayerKind::kRelu || layer.kind == LayerKind::kLeakyRelu) {
    result = role(i, "result");
  } else if (layer.kind != LayerKind::kDropout) {
    if (const auto attr = graph_.resolve_attr(layer, precision_attr("result"))) {
      if (const auto* text = std::get_if<std::string>(&*attr)) {
        if (FixedTypeResult parsed = parse_fixed_type(*text)) result = *parsed.type;
      }
    }
  }
  Precision p;
  if (layer.kind == LayerKind::kLeakyRelu) {
    bool exact = true;
    const FixedType& w = role(i, "weight");
    OnnxBuilder::set_float(node, "alpha", quantized_float(layer.params.alpha, w, exact));
    p.push_back({"param", w.to_string()});
  }
  if (layer.kind == LayerKind::kSoftmax) OnnxBuilder::set_int(node, "axis", -1);
  if (result) p.push_back({"result", result->to_string()});
  if (layer.kind == LayerKind::kDropout) p.push_back({"result", "auto"});
  config(base, static_cast<int>(i), p);
  // hls4ml's activation configuration declares a lookup-table type (`table_t`, set as a layer
  // key, not a Precision role) for every activation; ReLU and leaky ReLU read no table, and get
  // their result type so that hls4ml's default fixed<18,8> appears nowhere in the firmware.
  if (result && (layer.kind == LayerKind::kRelu || layer.kind == LayerKind::kLeakyRelu)) {
    out_.configs.back().types.push_back({"table_t", result->to_string()});
  }
  if (!result) return out;
  return quant_result(i, out, *result, base + "_result_quant", layer_context(i) + " result");
}

QonnxModel QonnxWriter::run() {
  if (!graph_.has_weights()) {
    throw Error("model '" + graph_.name + "': cannot export: some layer lacks its weights");
  }
  precision_ = read_precision(graph_);
  shapes_ = graph_.shapes();
  NameTable names;
  const std::string input = names.claim("model_input");
  bases_ = claim_layer_names(graph_, names);
  out_.result.node_names = bases_;

  builder_.add_input(input, channels_last_dims(shapes_[0]));
  config(input, -1, {{"result", precision_.input.to_string()}});
  Value value{input, shapes_[0], {}, {}};
  // hls4ml reads the input in its own type (the configuration says which); the Quant node
  // states it in the file.
  value = quant_result(0, value, precision_.input, input + "_quant", "input");
  out_.configs.back().layer = -1;
  out_.order.input = value_order(value);

  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    switch (graph_.layers[i].kind) {
      case LayerKind::kDense:
        value = dense(i, value);
        break;
      case LayerKind::kConv1d:
      case LayerKind::kConv2d:
        value = conv(i, value);
        break;
      case LayerKind::kMaxPool1d:
      case LayerKind::kMaxPool2d:
      case LayerKind::kAvgPool1d:
      case LayerKind::kAvgPool2d:
      case LayerKind::kGlobalMaxPool:
      case LayerKind::kGlobalAvgPool:
        value = pool(i, value);
        break;
      case LayerKind::kFlatten:
        value = flatten(i, value);
        break;
      case LayerKind::kReshape:
        value = reshape(i, value);
        break;
      case LayerKind::kBatchNorm:
        value = batch_norm(i, value);
        break;
      case LayerKind::kDropout:
      case LayerKind::kRelu:
      case LayerKind::kLeakyRelu:
      case LayerKind::kTanh:
      case LayerKind::kSigmoid:
      case LayerKind::kSoftmax:
        value = elementwise(i, value);
        break;
    }
  }
  // The last node's output is the graph output: move its declaration from the value infos.
  auto* infos = builder_.model().mutable_graph()->mutable_value_info();
  for (int k = 0; k < infos->size(); ++k) {
    if (infos->Get(k).name() == value.name) {
      infos->DeleteSubrange(k, 1);
      break;
    }
  }
  builder_.add_output(value.name, channels_last_dims(value.shape));
  out_.order.output = value_order(value);
  out_.model = std::move(builder_.model());
  return std::move(out_);
}

}  // namespace

QonnxModel build_qonnx(const Graph& graph) {
  // The firmware ends at the logits before a trailing softmax (engine/firmware.hpp).
  if (ends_in_softmax(graph)) return QonnxWriter(firmware_graph(graph)).run();
  return QonnxWriter(graph).run();
}

}  // namespace hlslim::onnx_export

namespace hlslim {

OnnxExportResult write_qonnx(const Graph& quantized_graph, const std::filesystem::path& path) {
  onnx_export::QonnxModel built = onnx_export::build_qonnx(quantized_graph);
  onnx_export::save_model(built.model, path);
  return std::move(built.result);
}

QonnxValueOrder qonnx_value_order(const Graph& quantized_graph) {
  return onnx_export::build_qonnx(quantized_graph).order;
}

}  // namespace hlslim
