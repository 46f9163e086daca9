// The operators that change only how values are laid out: Transpose, Reshape, the layout a
// layer needs (to_layout, flatten_for), and QONNX's channels-last operators.

#include "hlslim/util/errors.hpp"
#include "importer.hpp"

namespace hlslim::onnx_import {
namespace {

std::vector<std::int64_t> strides_of(const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> strides(dims.size(), 1);
  for (std::size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return strides;
}

}  // namespace

bool is_permutation(const std::vector<std::int64_t>& values, std::size_t n) {
  if (values.size() != n) return false;
  std::vector<bool> seen(n, false);
  for (const std::int64_t v : values) {
    if (v < 0 || v >= static_cast<std::int64_t>(n) || seen[static_cast<std::size_t>(v)])
      return false;
    seen[static_cast<std::size_t>(v)] = true;
  }
  return true;
}

bool identity_order(const std::vector<std::int64_t>& order) {
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<std::int64_t>(i)) return false;
  return true;
}

void Importer::transpose(const onnx::NodeProto& node) {
  const std::size_t rank = act_.dims.size() + 1;
  std::vector<std::int64_t> perm;
  if (const auto attr = ints_attr(node, "perm")) {
    perm = *attr;
  } else {
    for (std::size_t d = rank; d-- > 0;) perm.push_back(static_cast<std::int64_t>(d));
  }
  if (!is_permutation(perm, rank)) {
    fail(node, "has perm [" + join_ints(perm) + "], which is not a permutation of the " +
                   std::to_string(rank) + " dimensions of its input (0 to " +
                   std::to_string(rank - 1) + ", each once)");
  }
  if (perm[0] != 0) {
    fail(node, "has perm [" + join_ints(perm) + "]; it must keep the batch dimension first");
  }
  std::vector<std::int64_t> old_dims{1};
  old_dims.insert(old_dims.end(), act_.dims.begin(), act_.dims.end());
  std::vector<std::int64_t> new_dims;
  for (std::size_t d = 1; d < rank; ++d) new_dims.push_back(old_dims.at(perm[d]));
  const auto old_strides = strides_of(old_dims);
  std::vector<std::int64_t> full_new{1};
  full_new.insert(full_new.end(), new_dims.begin(), new_dims.end());
  const std::int64_t n = shape_numel(act_.dims);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::vector<std::int64_t> index(rank, 0);  // multi-index in the new layout
  for (std::int64_t flat = 0; flat < n; ++flat) {
    std::int64_t old_flat = 0;
    for (std::size_t d = 0; d < rank; ++d) old_flat += index[d] * old_strides[perm[d]];
    order[flat] = act_.order.empty() ? old_flat : act_.order[old_flat];
    for (std::size_t d = rank; d-- > 1;) {
      if (++index[d] < full_new[d]) break;
      index[d] = 0;
    }
  }
  advance(node, new_dims, order);
}

void Importer::reshape(const onnx::NodeProto& node, const std::vector<std::int64_t>& target) {
  if (target.empty()) fail(node, "reshapes to a scalar, which is not supported");
  if (target[0] != 0 && target[0] != 1 && target[0] != -1) {
    fail(node, "reshapes to [" + join_ints(target) + "], changing the batch dimension");
  }
  std::vector<std::int64_t> dims(target.begin() + 1, target.end());
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 0) {
      if (d >= act_.dims.size()) fail(node, "copies a dimension the input does not have");
      dims[d] = act_.dims[d];
    }
    if (dims[d] < -1) {
      fail(node, "reshapes to [" + join_ints(target) + "], which is not a shape");
    }
    if (dims[d] == -1) {
      if (inferred >= 0 || target[0] == -1) {
        fail(node, "reshapes to [" + join_ints(target) + "] with more than one inferred size");
      }
      inferred = static_cast<int>(d);
    } else {
      known *= dims[d];
    }
  }
  const std::int64_t n = shape_numel(act_.dims);
  if (inferred >= 0 && known > 0) dims[static_cast<std::size_t>(inferred)] = n / known;
  if (shape_numel(dims) != n) {
    fail(node, "reshapes " + shape_str(act_.dims) + " (without the batch) to [" +
                   join_ints(target) + "]: the sizes differ");
  }
  advance(node, dims, act_.order);
}

void Importer::to_layout(const onnx::NodeProto& node, std::size_t rank) {
  if (!act_.order.empty()) {
    if (!graph_.layers.empty()) {
      fail(node,
           "reads values in another order than hlslim's channels-first layout; a Transpose "
           "is only supported on the model input or where its values are flattened into "
           "a dense layer");
    }
    // Nothing computed yet: the model reads its input in this layout.
    graph_.input_shape = act_.dims;
    shape_ = act_.dims;
    act_.order.clear();
  }
  if (act_.dims.size() != rank) {
    fail(node, "needs an input of " + std::to_string(rank + 1) +
                   " dimensions (batch and channels first), got " + shape_str(act_.dims) +
                   " without the batch");
  }
  if (shape_ != act_.dims) {
    if (graph_.layers.empty() && graph_.input_shape.size() != 1) {
      graph_.input_shape = act_.dims;
    } else {
      // Also on a flat model input (torch's x.unsqueeze(1) before a Conv1d): the model keeps
      // reading flat features, which data of any shape with as many values can feed.
      LayerParams params;
      params.shape = act_.dims;
      onnx::NodeProto reshape_node;
      if (rank == 1) reshape_node.set_name(flatten_node_);
      add_layer(reshape_node, rank == 1 ? LayerKind::kFlatten : LayerKind::kReshape, params);
    }
    shape_ = act_.dims;
  }
}

void Importer::flatten_for(const onnx::NodeProto& node) {
  if (act_.dims.size() != 1) {
    fail(node, "needs a flat input [batch, features], got " + shape_str(act_.dims) +
                   " without the batch; flatten it first");
  }
  if (shape_.size() != 1) {
    onnx::NodeProto flatten_node;
    flatten_node.set_name(flatten_node_);
    add_layer(flatten_node, LayerKind::kFlatten);
    shape_ = {shape_numel(shape_)};
  }
}

// QONNX's channels-last Conv, MaxPool and AveragePool (as hlslim's QONNX export writes them):
// the standard operator between a Transpose to channels first and one back, with the Conv's
// weight from [M, k..., C] to [M, C, k...].
void Importer::channels_last(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (op != "Conv" && op != "MaxPool" && op != "AveragePool") {
    fail(node,
         "is not supported; of the channels-last operators only Conv, MaxPool and "
         "AveragePool are");
  }
  const auto rank = static_cast<std::int64_t>(act_.dims.size());
  if (rank < 2) fail(node, "needs an input with spatial dimensions");
  onnx::NodeProto to_first;
  to_first.set_name(node.name() + "/to_channels_first");
  to_first.add_output(to_first.name());
  auto* perm = to_first.add_attribute();
  perm->set_name("perm");
  perm->add_ints(0);
  perm->add_ints(rank);
  for (std::int64_t d = 1; d < rank; ++d) perm->add_ints(d);
  transpose(to_first);

  onnx::NodeProto standard = node;
  standard.clear_domain();
  standard.set_input(0, to_first.name());
  standard.set_output(0, node.name() + "/channels_first");
  if (op == "Conv") {
    const Constant& w = constant(node, 1);
    if (w.dims.size() < 3) fail(node, "has a weight of shape " + shape_str(w.dims));
    const std::int64_t filters = w.dims.front(), channels = w.dims.back();
    const std::int64_t taps = shape_numel(w.dims) / (filters * channels);
    Constant oihw{{filters, channels}, std::vector<double>(w.values.size())};
    oihw.dims.insert(oihw.dims.end(), w.dims.begin() + 1, w.dims.end() - 1);
    for (std::int64_t m = 0; m < filters; ++m)
      for (std::int64_t c = 0; c < channels; ++c)
        for (std::int64_t t = 0; t < taps; ++t)
          oihw.values[(m * channels + c) * taps + t] = w.values[(m * taps + t) * channels + c];
    const std::string name = node.input(1) + "/channels_first";
    constants_[name] = oihw;
    if (const auto it = constant_types_.find(node.input(1)); it != constant_types_.end())
      constant_types_[name] = it->second;
    standard.set_input(1, name);
    conv(standard);
  } else {
    pool(standard);
  }

  onnx::NodeProto to_last;
  to_last.set_name(node.name() + "/to_channels_last");
  to_last.add_output(node.output(0));
  perm = to_last.add_attribute();
  perm->set_name("perm");
  perm->add_ints(0);
  for (std::int64_t d = 2; d <= rank; ++d) perm->add_ints(d);
  perm->add_ints(1);
  const auto keep = bias_target_;
  transpose(to_last);
  bias_target_ = keep;
}

}  // namespace hlslim::onnx_import
