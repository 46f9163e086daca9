// The ONNX operators that become hlslim layers: Gemm, MatMul (+ Add), Conv, pools, batch
// normalization and activations.

#include <cmath>
#include <map>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "importer.hpp"

namespace hlslim::onnx_import {
namespace {

Tensor to_tensor(const std::vector<std::int64_t>& dims, const std::vector<double>& values,
                 double factor = 1.0) {
  Tensor t(dims);
  for (std::size_t i = 0; i < values.size(); ++i)
    t.values[i] = static_cast<float>(values[i] * factor);
  return t;
}

}  // namespace

void Importer::dense(const onnx::NodeProto& node, const Constant& weight, bool transposed,
                     double alpha, const std::string& weight_name) {
  flatten_for(node);
  const std::int64_t n_in = act_.dims[0];
  if (weight.dims.size() != 2 || weight.dims[transposed ? 1 : 0] != n_in) {
    fail(node, "multiplies " + std::to_string(n_in) + " features by a weight of shape " +
                   shape_str(weight.dims) + (transposed ? " (transposed)" : ""));
  }
  const std::int64_t n_out = weight.dims[transposed ? 0 : 1];
  LayerParams params;
  params.units = n_out;
  params.bias = false;
  const auto order = act_.order;
  if (!order.empty() && !is_permutation(order, static_cast<std::size_t>(n_in))) {
    fail(node, "reads its " + std::to_string(n_in) +
                   " features in an order that is not a permutation of them");
  }
  Layer& layer = add_layer(node, LayerKind::kDense, params);
  Tensor w({n_out, n_in});
  for (std::int64_t i = 0; i < n_in; ++i) {
    // ONNX feature i is hlslim's feature order[i] (a layout folded into the weights).
    const std::int64_t column = order.empty() ? i : order[static_cast<std::size_t>(i)];
    for (std::int64_t o = 0; o < n_out; ++o) {
      const double v = transposed ? weight.values[o * n_in + i] : weight.values[i * n_out + o];
      w.values[o * n_in + column] = static_cast<float>(alpha * v);
    }
  }
  layer.tensors["weight"] = std::move(w);
  const std::size_t index = graph_.layers.size() - 1;
  role_from_constant(weight_name, index, "weight");
  if (alpha != 1.0 && !roles_[index].empty()) {
    fail(node, "scales a quantized weight by alpha " + std::to_string(alpha) +
                   ", which no ap_fixed type represents");
  }
  shape_ = {n_out};
  advance(node, {n_out}, {});
  bias_target_ = index;
}

void Importer::gemm(const onnx::NodeProto& node) {
  if (node.input(0) != act_.name) fail(node, "must read the flowing value as its input A");
  if (int_attr(node, "transA", 0) != 0) fail(node, "has transA set, which is not supported");
  const Constant& b = constant(node, 1);
  const bool has_c = node.input_size() > 2 && !node.input(2).empty();
  const double beta = float_attr(node, "beta", 1.0);
  dense(node, b, int_attr(node, "transB", 0) != 0, float_attr(node, "alpha", 1.0), node.input(1));
  if (!has_c) return;
  const std::size_t index = graph_.layers.size() - 1;
  Layer& layer = graph_.layers[index];
  const Constant& c = constant(node, 2);
  const std::int64_t units = layer.params.units;
  if (c.values.size() != 1 && static_cast<std::int64_t>(c.values.size()) != units) {
    fail(node, "adds C of shape " + shape_str(c.dims) + " to " + std::to_string(units) +
                   " outputs; only a scalar or one value per output is supported");
  }
  Tensor bias({units});
  for (std::int64_t o = 0; o < units; ++o)
    bias.values[o] = static_cast<float>(beta * c.values[c.values.size() == 1 ? 0 : o]);
  layer.params.bias = true;
  layer.tensors["bias"] = std::move(bias);
  role_from_constant(node.input(2), index, "bias");
  if ((beta != 1.0 || c.values.size() == 1) && roles_[index].count("bias")) {
    fail(node, "scales or broadcasts a quantized bias, which is not supported");
  }
}

void Importer::matmul(const onnx::NodeProto& node) {
  if (node.input(0) != act_.name) {
    fail(node, "multiplies a constant by the flowing value; only value x constant is supported");
  }
  dense(node, constant(node, 1), false, 1.0, node.input(1));
}

// For a per-channel constant of a Mul or Add: the hlslim channel of each of its values. It
// broadcasts along the features of a flat value (in the value's order), along axis 1 of a
// channels-first value, or along the last axis of a channels-last one ([H, W, C] as
// hlslim's QONNX export writes it). Empty when it does not.
std::vector<std::int64_t> Importer::channel_map(const onnx::NodeProto& node,
                                                const Constant& c) const {
  const auto n = static_cast<std::int64_t>(c.values.size());
  std::vector<std::int64_t> map(static_cast<std::size_t>(n));
  std::vector<std::int64_t> dims(c.dims);
  const std::size_t rank = act_.dims.size() + 1;
  if (dims.size() > rank) return {};
  dims.insert(dims.begin(), rank - dims.size(), 1);
  if (act_.dims.size() == 1) {
    if (n != act_.dims[0]) return {};
    for (std::int64_t p = 0; p < n; ++p)
      map[p] = act_.order.empty() ? p : act_.order[static_cast<std::size_t>(p)];
    return map;
  }
  const std::int64_t channels = shape_.at(0);
  if (n != channels) return {};
  std::vector<std::int64_t> first(rank, 1), last(rank, 1);
  first[1] = last[rank - 1] = channels;
  const bool canonical = act_.order.empty() && act_.dims == shape_;
  bool channels_last = !act_.order.empty() && act_.dims.back() == channels;
  if (channels_last) {
    // The value must be hlslim's tensor transposed to [spatial..., C].
    const std::int64_t spatial = shape_numel(shape_) / channels;
    for (std::int64_t p = 0; p < spatial * channels && channels_last; ++p)
      channels_last =
          act_.order[static_cast<std::size_t>(p)] == (p % channels) * spatial + p / channels;
  }
  if (!((canonical && dims == first) || (channels_last && dims == last))) {
    (void)node;
    return {};
  }
  for (std::int64_t p = 0; p < n; ++p) map[p] = p;
  return map;
}

// Mul by a per-channel constant (and an Add after it): a batch normalization with mean 0 and
// variance 1, as QONNX exports and some converters write one.
void Importer::scale(const onnx::NodeProto& node) {
  const int c_input = node.input(0) == act_.name ? 1 : 0;
  const Constant& c = constant(node, c_input);
  const std::vector<std::int64_t> map = channel_map(node, c);
  if (map.empty()) {
    fail(node, "multiplies by a constant of shape " + shape_str(c.dims) +
                   "; only one factor per channel or feature (a batch normalization) is "
                   "supported");
  }
  if (act_.dims.size() == 1 && shape_.size() != 1) flatten_for(node);
  const std::int64_t channels = shape_.at(0);
  LayerParams params;
  // Any eps that leaves 1 + eps == 1 in float: the layer computes x * weight + bias exactly.
  params.eps = 1e-12;
  std::map<std::string, Tensor> tensors;
  tensors["weight"] = Tensor({channels}, 1.0f);
  tensors["bias"] = Tensor({channels}, 0.0f);
  tensors["running_mean"] = Tensor({channels}, 0.0f);
  tensors["running_var"] = Tensor({channels}, 1.0f);
  for (std::size_t p = 0; p < map.size(); ++p)
    tensors["weight"].values[static_cast<std::size_t>(map[p])] = static_cast<float>(c.values[p]);
  Layer& layer = add_layer(node, LayerKind::kBatchNorm, params);
  layer.tensors = std::move(tensors);
  const std::size_t index = graph_.layers.size() - 1;
  role_from_constant(node.input(c_input), index, "weight");
  const auto dims = act_.dims;
  const auto order = act_.order;
  advance(node, dims, order);
  bias_target_ = index;
  shift_map_ = map;
}

void Importer::add_bias(const onnx::NodeProto& node) {
  const int c_input = node.input(0) == act_.name ? 1 : 0;
  if (bias_target_ && graph_.layers[*bias_target_].kind == LayerKind::kBatchNorm) {
    const std::size_t index = *bias_target_;
    const Constant& c = constant(node, c_input);
    if (channel_map(node, c) != shift_map_) {
      fail(node, "adds a constant of shape " + shape_str(c.dims) + " after layer '" +
                     graph_.layers[index].name + "'; only one value per channel is supported");
    }
    auto& bias = graph_.layers[index].tensors.at("bias").values;
    for (std::size_t p = 0; p < shift_map_.size(); ++p)
      bias[static_cast<std::size_t>(shift_map_[p])] += static_cast<float>(c.values[p]);
    role_from_constant(node.input(c_input), index, "bias");
    const auto dims = act_.dims;
    const auto order = act_.order;
    advance(node, dims, order);
    return;
  }
  if (!bias_target_) {
    fail(node,
         "adds to a value that is not the output of a dense or convolution layer just "
         "before it; only such a bias is supported");
  }
  const std::size_t index = *bias_target_;
  Layer& layer = graph_.layers[index];
  const Constant& c = constant(node, c_input);
  const bool is_dense = layer.kind == LayerKind::kDense;
  const std::int64_t channels = is_dense ? layer.params.units : layer.params.filters;
  // The constant must broadcast along the channels: [C] (dense), [C, 1, ...] or [1, C, 1, ...].
  bool fits = c.values.size() == 1;
  if (!fits && static_cast<std::int64_t>(c.values.size()) == channels) {
    const std::size_t rank = act_.dims.size() + 1;
    std::vector<std::int64_t> dims(c.dims);
    if (dims.size() <= rank) {
      dims.insert(dims.begin(), rank - dims.size(), 1);
      const std::size_t channel_axis = is_dense ? rank - 1 : 1;
      fits = dims[channel_axis] == channels;
    }
  }
  if (!fits) {
    fail(node, "adds a constant of shape " + shape_str(c.dims) + " to the " +
                   std::to_string(channels) + " outputs of layer '" + layer.name +
                   "'; only one value per output (a bias) is supported");
  }
  const bool had_bias = layer.params.bias;
  if (!had_bias) {
    layer.params.bias = true;
    layer.tensors["bias"] = Tensor({channels});
  }
  auto& bias = layer.tensors["bias"].values;
  for (std::int64_t o = 0; o < channels; ++o)
    bias[o] += static_cast<float>(c.values[c.values.size() == 1 ? 0 : o]);
  const std::string name = node.input(c_input);
  if (constant_types_.count(name) && (had_bias || c.values.size() == 1)) {
    fail(node, "adds a quantized bias to a layer that has one, or broadcasts it; not supported");
  }
  role_from_constant(name, index, "bias");
  const auto dims = act_.dims;
  const auto order = act_.order;
  advance(node, dims, order);
  bias_target_ = index;
}

void Importer::conv(const onnx::NodeProto& node) {
  if (node.input(0) != act_.name) fail(node, "must read the flowing value as its input X");
  const Constant& w = constant(node, 1);
  const std::size_t spatial = w.dims.size() >= 2 ? w.dims.size() - 2 : 0;
  if (spatial != 1 && spatial != 2) {
    fail(node, "has a weight of shape " + shape_str(w.dims) +
                   "; only 1-D and 2-D convolutions are supported");
  }
  if (int_attr(node, "group", 1) != 1) {
    fail(node,
         "has group " + std::to_string(int_attr(node, "group", 1)) + "; only group 1 is supported");
  }
  const std::vector<std::int64_t> kernel(w.dims.begin() + 2, w.dims.end());
  if (const auto ks = ints_attr(node, "kernel_shape"); ks && *ks != kernel) {
    fail(node,
         "has kernel_shape [" + join_ints(*ks) + "] but a weight of shape " + shape_str(w.dims));
  }
  if (const auto d = ints_attr(node, "dilations")) {
    for (auto v : *d)
      if (v != 1) fail(node, "has dilations [" + join_ints(*d) + "]; only 1 is supported");
  }
  to_layout(node, spatial + 1);
  if (act_.dims[0] != w.dims[1]) {
    fail(node, "reads " + std::to_string(act_.dims[0]) + " channels with a weight of shape " +
                   shape_str(w.dims));
  }
  LayerParams params;
  params.filters = w.dims[0];
  params.kernel = kernel;
  params.stride = ints_attr(node, "strides").value_or(std::vector<std::int64_t>(spatial, 1));
  const bool unit_stride =
      std::all_of(params.stride.begin(), params.stride.end(), [](auto s) { return s == 1; });
  const std::string auto_pad = string_attr(node, "auto_pad", "NOTSET");
  std::vector<std::int64_t> pads =
      ints_attr(node, "pads").value_or(std::vector<std::int64_t>(2 * spatial, 0));
  bool valid = true, same = unit_stride;
  if (auto_pad == "VALID") {
    same = false;
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    valid = false;
    for (std::size_t d = 0; d < spatial; ++d)
      if (auto_pad == "SAME_LOWER" && kernel[d] % 2 == 0) same = false;
  } else if (auto_pad == "NOTSET" && pads.size() == 2 * spatial) {
    for (std::size_t d = 0; d < spatial; ++d) {
      const std::int64_t begin = (kernel[d] - 1) / 2, end = kernel[d] - 1 - begin;
      if (pads[d] != 0 || pads[d + spatial] != 0) valid = false;
      if (pads[d] != begin || pads[d + spatial] != end) same = false;
    }
  } else {
    valid = same = false;
  }
  if (valid) {
    params.padding = Padding::kValid;
  } else if (same) {
    params.padding = Padding::kSame;
  } else {
    fail(node, "pads [" + join_ints(pads) + "] (auto_pad " + auto_pad + ", strides [" +
                   join_ints(params.stride) +
                   "]); only no padding ('valid') or stride 1 with (kernel - 1) / 2 before and "
                   "the rest after ('same') are supported");
  }
  const bool has_bias = node.input_size() > 2 && !node.input(2).empty();
  params.bias = has_bias;
  Layer& layer = add_layer(node, spatial == 1 ? LayerKind::kConv1d : LayerKind::kConv2d, params);
  layer.tensors["weight"] = to_tensor(w.dims, w.values);
  const std::size_t index = graph_.layers.size() - 1;
  if (has_bias) {
    const Constant& b = constant(node, 2);
    if (static_cast<std::int64_t>(b.values.size()) != params.filters)
      fail(node, "has a bias of shape " + shape_str(b.dims) + " for " +
                     std::to_string(params.filters) + " filters");
    layer.tensors["bias"] = to_tensor({params.filters}, b.values);
    role_from_constant(node.input(2), index, "bias");
  }
  role_from_constant(node.input(1), index, "weight");
  const ShapeResult out = infer_output_shape(graph_.layers[index], shape_);
  if (!out.ok()) fail(node, out.error);
  shape_ = out.shape;
  advance(node, out.shape, {});
  bias_target_ = index;
}

void Importer::pool(const onnx::NodeProto& node) {
  const auto kernel = ints_attr(node, "kernel_shape");
  if (!kernel || (kernel->size() != 1 && kernel->size() != 2)) {
    fail(node, "needs a kernel_shape of 1 or 2 dimensions");
  }
  const std::size_t spatial = kernel->size();
  if (std::any_of(kernel->begin(), kernel->end(), [](auto k) { return k < 1; })) {
    fail(node, "has kernel_shape [" + join_ints(*kernel) + "]; each size must be at least 1");
  }
  const auto strides = ints_attr(node, "strides").value_or(std::vector<std::int64_t>(spatial, 1));
  if (strides != *kernel) {
    fail(node, "has strides [" + join_ints(strides) + "] and kernel_shape [" + join_ints(*kernel) +
                   "]; only pools whose stride equals their window are supported");
  }
  const auto pads = ints_attr(node, "pads").value_or(std::vector<std::int64_t>(2 * spatial, 0));
  const std::string auto_pad = string_attr(node, "auto_pad", "NOTSET");
  if ((auto_pad != "NOTSET" && auto_pad != "VALID") ||
      std::any_of(pads.begin(), pads.end(), [](auto p) { return p != 0; })) {
    fail(node, "pads its input; only pools without padding are supported");
  }
  if (const auto d = ints_attr(node, "dilations")) {
    for (auto v : *d)
      if (v != 1) fail(node, "has dilations [" + join_ints(*d) + "]; only 1 is supported");
  }
  if (node.output_size() > 1 && !node.output(1).empty())
    fail(node, "has its indices output used, which is not supported");
  to_layout(node, spatial + 1);
  if (int_attr(node, "ceil_mode", 0) != 0) {
    for (std::size_t d = 0; d < spatial; ++d) {
      if (act_.dims[d + 1] % (*kernel)[d] != 0)
        fail(node,
             "rounds its output size up (ceil_mode) where the window does not divide the "
             "input; not supported");
    }
  }
  const bool average = node.op_type() == "AveragePool";
  LayerParams params;
  params.pool = *kernel;
  const LayerKind kind = spatial == 1 ? (average ? LayerKind::kAvgPool1d : LayerKind::kMaxPool1d)
                                      : (average ? LayerKind::kAvgPool2d : LayerKind::kMaxPool2d);
  add_layer(node, kind, params);
  const ShapeResult out = infer_output_shape(graph_.layers.back(), shape_);
  if (!out.ok()) fail(node, out.error);
  shape_ = out.shape;
  advance(node, out.shape, {});
}

void Importer::global_pool(const onnx::NodeProto& node) {
  if (act_.dims.size() < 2) fail(node, "needs an input with spatial dimensions");
  to_layout(node, act_.dims.size());
  const bool average = node.op_type() == "GlobalAveragePool";
  add_layer(node, average ? LayerKind::kGlobalAvgPool : LayerKind::kGlobalMaxPool);
  // ONNX keeps the spatial dimensions (of size 1); hlslim's output is [channels], the same
  // values in the same order.
  std::vector<std::int64_t> dims(act_.dims.size(), 1);
  dims[0] = act_.dims[0];
  shape_ = {act_.dims[0]};
  advance(node, dims, {});
}

void Importer::batch_norm(const onnx::NodeProto& node) {
  if (node.input(0) != act_.name) fail(node, "must read the flowing value as its input X");
  if (int_attr(node, "training_mode", 0) != 0) fail(node, "is in training mode; export in eval()");
  for (int i = 1; i < node.output_size(); ++i) {
    if (!node.output(i).empty()) fail(node, "has its running statistics read as outputs");
  }
  to_layout(node, act_.dims.size());
  const std::int64_t channels = act_.dims[0];
  const char* names[] = {"weight", "bias", "running_mean", "running_var"};
  LayerParams params;
  params.eps = float_attr(node, "epsilon", 1e-5);
  params.momentum = std::clamp(1.0 - float_attr(node, "momentum", 0.9), 0.0, 1.0);
  std::map<std::string, Tensor> tensors;
  for (int i = 0; i < 4; ++i) {
    const Constant& c = constant(node, i + 1);
    if (static_cast<std::int64_t>(c.values.size()) != channels) {
      fail(node, "has a " + std::string(names[i]) + " of shape " + shape_str(c.dims) + " for " +
                     std::to_string(channels) + " channels");
    }
    tensors[names[i]] = to_tensor({channels}, c.values);
  }
  Layer& layer = add_layer(node, LayerKind::kBatchNorm, params);
  layer.tensors = std::move(tensors);
  advance(node, act_.dims, {});
}

void Importer::activation(const onnx::NodeProto& node, LayerKind kind) {
  LayerParams params;
  if (kind == LayerKind::kLeakyRelu) params.alpha = float_attr(node, "alpha", 0.01);
  const auto order = act_.order;
  const auto dims = act_.dims;
  add_layer(node, kind, params);
  advance(node, dims, order);
}

void Importer::softmax(const onnx::NodeProto& node) {
  const std::int64_t axis = int_attr(node, "axis", opset_ < 13 ? 1 : -1);
  flatten_for(node);
  if (axis != -1 && axis != 1) {
    fail(node, "normalises along axis " + std::to_string(axis) +
                   "; only the last axis of a [batch, features] input is supported");
  }
  const auto order = act_.order;
  add_layer(node, LayerKind::kSoftmax);
  advance(node, act_.dims, order);
}

}  // namespace hlslim::onnx_import
