// import_onnx(): the walk over an ONNX graph's nodes, its constants, and the operators that
// change only how the values are laid out (Transpose, Reshape, Flatten, Squeeze, ...).

#include "hlslim/import/onnx_import.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <optional>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"
#include "importer.hpp"

namespace hlslim {
namespace onnx_import {
namespace {

const char* const kSupported =
    "Gemm, MatMul, Add (a bias), Mul (a scale per channel), Conv, BatchNormalization, Relu, "
    "LeakyRelu, Sigmoid, Tanh, "
    "Softmax, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, "
    "Transpose, Squeeze, Unsqueeze, Pad (of width 0), Identity, Dropout, Constant, Shape, "
    "Gather, Concat and Cast (on constants), and QONNX Quant";

const char* const kChannelsLastDomain = "qonnx.custom_op.channels_last";

bool is_quant_domain(const std::string& domain) {
  return domain == "qonnx.custom_op.general" || domain == "finn.custom_op.general" ||
         domain == "onnx.brevitas";
}

// A QONNX quantizer: any operator of a QONNX domain, or Quant, BipolarQuant or Trunc in the
// default domain. The same rule holds on values and on constants.
bool is_quant_node(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  return is_quant_domain(node.domain()) || op == "Quant" || op == "BipolarQuant" || op == "Trunc";
}

// The dimensions of a constant without its size-1 `axes` (Squeeze), or with size-1 axes
// inserted at `axes` (Unsqueeze); empty `axes` on Squeeze: every size-1 dimension.
std::optional<std::vector<std::int64_t>> squeezed_dims(const std::vector<std::int64_t>& dims,
                                                       std::vector<std::int64_t> axes,
                                                       bool squeeze) {
  const auto rank = static_cast<std::int64_t>(dims.size() + (squeeze ? 0 : axes.size()));
  std::vector<bool> listed(static_cast<std::size_t>(rank), false);
  for (auto a : axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank || listed[static_cast<std::size_t>(a)]) return std::nullopt;
    listed[static_cast<std::size_t>(a)] = true;
  }
  std::vector<std::int64_t> out;
  std::size_t next = 0;
  for (std::int64_t d = 0; d < rank; ++d) {
    const bool l = listed[static_cast<std::size_t>(d)];
    if (squeeze) {
      const bool drop = axes.empty() ? dims[d] == 1 : l;
      if (drop && dims[d] != 1) return std::nullopt;
      if (!drop) out.push_back(dims[d]);
    } else {
      out.push_back(l ? 1 : dims[next++]);
    }
  }
  return out;
}

// A C identifier made of an ONNX node name ("/fc1/Gemm" -> "fc1_Gemm"); empty if none is left.
std::string identifier(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace

Importer::Importer(const onnx::ModelProto& model, std::string file, std::string model_name)
    : model_(model), file_(std::move(file)) {
  graph_.name = std::move(model_name);
}

void Importer::fail(const onnx::NodeProto& node, const std::string& message) const {
  throw Error(file_ + ": " + node_label(node) + " " + message);
}

const Constant& Importer::constant(const onnx::NodeProto& node, int input) const {
  if (input >= node.input_size() || node.input(input).empty()) {
    fail(node, "lacks its input " + std::to_string(input + 1));
  }
  const auto it = constants_.find(node.input(input));
  if (it == constants_.end()) {
    fail(node, "needs a constant as input " + std::to_string(input + 1) + " ('" +
                   node.input(input) + "'), got a computed value");
  }
  return it->second;
}

void Importer::read_inputs() {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& input : model_.graph().input()) {
    if (!is_constant(input.name())) inputs.push_back(&input);
  }
  if (inputs.size() != 1) {
    throw Error(file_ + ": the graph has " + std::to_string(inputs.size()) +
                " inputs; hlslim imports models with exactly one");
  }
  const onnx::ValueInfoProto& input = *inputs[0];
  const auto& shape = input.type().tensor_type().shape();
  std::vector<std::int64_t> dims;
  for (int d = 1; d < shape.dim_size(); ++d) {
    if (!shape.dim(d).has_dim_value() || shape.dim(d).dim_value() < 1) {
      throw Error(file_ + ": the input '" + input.name() + "' has no fixed size in dimension " +
                  std::to_string(d) + "; only the batch dimension (the first) may vary");
    }
    dims.push_back(shape.dim(d).dim_value());
  }
  if (dims.empty() || dims.size() > 3) {
    throw Error(file_ + ": the input '" + input.name() + "' has " +
                std::to_string(shape.dim_size()) +
                " dimensions; hlslim reads [batch, features], [batch, channels, length] or "
                "[batch, channels, height, width] (or the same channels last)");
  }
  graph_.input_shape = dims;
  shape_ = dims;
  act_ = {input.name(), dims, {}};
}

Graph Importer::run() {
  for (const auto& opset : model_.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      opset_ = static_cast<int>(opset.version());
  }
  for (const auto& init : model_.graph().initializer()) {
    constants_[init.name()] = tensor_values(init, file_ + ": initializer '" + init.name() + "'");
  }
  read_inputs();
  for (const auto& node : model_.graph().node()) visit(node);

  if (model_.graph().output_size() != 1) {
    throw Error(file_ + ": the graph has " + std::to_string(model_.graph().output_size()) +
                " outputs; hlslim imports models with exactly one");
  }
  const std::string& output = model_.graph().output(0).name();
  if (output != act_.name) {
    throw Error(file_ + ": the graph output '" + output +
                "' is not the end of the chain of layers (which ends in '" + act_.name + "')");
  }
  if (!act_.order.empty() && !identity_order(act_.order)) {
    throw Error(file_ + ": the graph output '" + output +
                "' is in another layout than hlslim's (channels first); end the model with "
                "its output in channels-first order or flat");
  }
  if (graph_.layers.empty()) throw Error(file_ + ": the graph has no layers");
  try {
    graph_.shapes();
  } catch (const Error& e) {
    throw Error(file_ + ": " + e.what());
  }
  if (quantized_) store_precisions();
  return std::move(graph_);
}

void Importer::advance(const onnx::NodeProto& node, std::vector<std::int64_t> dims,
                       std::vector<std::int64_t> order) {
  if (identity_order(order)) order.clear();
  act_ = {node.output(0), std::move(dims), std::move(order)};
  bias_target_.reset();
}

Layer& Importer::add_layer(const onnx::NodeProto& node, LayerKind kind, LayerParams params) {
  const std::string type = layer_kind_name(kind);
  std::string name = identifier(node.name());
  if (name.empty()) name = type + "_" + std::to_string(++kind_counts_[type]);
  if (std::isdigit(static_cast<unsigned char>(name[0]))) name = type + "_" + name;
  for (int k = 2; names_.count(name); ++k) {
    const std::string candidate = name + "_" + std::to_string(k);
    if (!names_.count(candidate)) name = candidate;
  }
  names_.insert(name);
  Layer layer;
  layer.name = name;
  layer.kind = kind;
  layer.params = params;
  graph_.layers.push_back(std::move(layer));
  roles_.emplace_back();
  bias_target_.reset();
  flatten_node_.clear();
  return graph_.layers.back();
}

void Importer::visit(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (node.output_size() < 1) fail(node, "has no output");
  if (!node.domain().empty() && node.domain() != "ai.onnx" && !is_quant_domain(node.domain()) &&
      node.domain() != kChannelsLastDomain) {
    fail(node, "is an operator of the domain '" + node.domain() +
                   "', which is not supported; supported: " + kSupported);
  }
  if (op == "Constant") {
    const auto* value = attribute(node, "value");
    if (value && value->has_t()) {
      constants_[node.output(0)] = tensor_values(value->t(), file_ + ": " + node_label(node));
    } else if (const auto* f = attribute(node, "value_float")) {
      constants_[node.output(0)] = {{}, {static_cast<double>(f->f())}};
    } else if (const auto* i = attribute(node, "value_int")) {
      constants_[node.output(0)] = {{}, {static_cast<double>(i->i())}};
    } else if (const auto* fs = attribute(node, "value_floats")) {
      constants_[node.output(0)] = {{fs->floats_size()},
                                    {fs->floats().begin(), fs->floats().end()}};
    } else if (const auto* is = attribute(node, "value_ints")) {
      constants_[node.output(0)] = {{is->ints_size()}, {is->ints().begin(), is->ints().end()}};
    } else {
      fail(node, "holds a kind of value that is not supported (a tensor, float(s) or int(s))");
    }
    return;
  }
  // Which inputs are constants, and which is the value flowing between layers.
  bool reads_activation = false;
  for (const auto& input : node.input()) {
    if (input.empty() || is_constant(input)) continue;
    if (input != act_.name) {
      fail(node, "reads '" + input +
                     "', which is not the output of the node before it: hlslim imports one chain "
                     "of layers (no branches or skip connections)");
    }
    reads_activation = true;
  }
  if (!reads_activation) {
    if (!fold_constant(node))
      fail(node, "computes on constants only, which is not supported for this operator");
    return;
  }
  if (op == "Shape") {
    // The shape of the flowing value with a batch of 1, for Reshapes computed from it.
    Constant shape{{static_cast<std::int64_t>(act_.dims.size() + 1)}, {1.0}};
    for (auto d : act_.dims) shape.values.push_back(static_cast<double>(d));
    constants_[node.output(0)] = shape;
    return;
  }
  if (node.domain() == kChannelsLastDomain) {
    channels_last(node);
  } else if (is_quant_node(node)) {
    quant(node);
  } else if (op == "Gemm") {
    gemm(node);
  } else if (op == "MatMul") {
    matmul(node);
  } else if (op == "Add") {
    add_bias(node);
  } else if (op == "Mul") {
    scale(node);
  } else if (op == "Conv") {
    conv(node);
  } else if (op == "MaxPool" || op == "AveragePool") {
    pool(node);
  } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    global_pool(node);
  } else if (op == "BatchNormalization") {
    batch_norm(node);
  } else if (op == "Relu") {
    activation(node, LayerKind::kRelu);
  } else if (op == "LeakyRelu") {
    activation(node, LayerKind::kLeakyRelu);
  } else if (op == "Sigmoid") {
    activation(node, LayerKind::kSigmoid);
  } else if (op == "Tanh") {
    activation(node, LayerKind::kTanh);
  } else if (op == "Softmax") {
    softmax(node);
  } else if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout" && node.output_size() > 1 && !node.output(1).empty()) {
      for (const auto& other : model_.graph().node()) {
        for (const auto& input : other.input()) {
          if (input == node.output(1)) fail(node, "has its mask read, which is not supported");
        }
      }
    }
    const auto keep = bias_target_;
    advance(node, act_.dims, act_.order);
    bias_target_ = keep;
  } else if (op == "Pad") {
    // torch writes a Pad of zeros before each AveragePool; only a Pad that adds nothing passes.
    std::vector<std::int64_t> pads = ints_attr(node, "pads").value_or(std::vector<std::int64_t>{});
    if (node.input_size() > 1 && !node.input(1).empty()) {
      const Constant& c = constant(node, 1);
      pads.assign(c.values.begin(), c.values.end());
    }
    if (std::any_of(pads.begin(), pads.end(), [](auto p) { return p != 0; })) {
      fail(node, "pads by [" + join_ints(pads) +
                     "]; only a Pad that adds nothing is supported (pad inside Conv instead)");
    }
    advance(node, act_.dims, act_.order);
  } else if (op == "Transpose") {
    transpose(node);
  } else if (op == "Flatten") {
    const auto rank = static_cast<std::int64_t>(act_.dims.size() + 1);
    std::int64_t axis = int_attr(node, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis != 1) {
      fail(node, "flattens from axis " + std::to_string(axis) +
                     "; only axis 1 (everything but the batch) is supported");
    }
    advance(node, {shape_numel(act_.dims)}, act_.order);
    flatten_node_ = node.name();
  } else if (op == "Reshape") {
    const Constant& target = constant(node, 1);
    if (int_attr(node, "allowzero", 0) != 0 &&
        std::find(target.values.begin(), target.values.end(), 0.0) != target.values.end()) {
      fail(node, "has allowzero set and a zero in its shape, which is not supported");
    }
    reshape(node, std::vector<std::int64_t>(target.values.begin(), target.values.end()));
    if (act_.dims.size() == 1) flatten_node_ = node.name();
  } else if (op == "Squeeze" || op == "Unsqueeze") {
    std::vector<std::int64_t> axes;
    if (const auto attr = ints_attr(node, "axes")) {
      axes = *attr;
    } else if (node.input_size() > 1 && !node.input(1).empty()) {
      const Constant& c = constant(node, 1);
      axes.assign(c.values.begin(), c.values.end());
    }
    const bool squeeze = op == "Squeeze";
    std::vector<std::int64_t> full{1};
    full.insert(full.end(), act_.dims.begin(), act_.dims.end());
    const auto out_rank = static_cast<std::int64_t>(full.size() + (squeeze ? 0 : axes.size()));
    std::vector<bool> seen(static_cast<std::size_t>(out_rank), false);
    for (auto& a : axes) {
      const std::int64_t given = a;
      if (a < 0) a += out_rank;
      if (a < 0 || a >= out_rank) {
        fail(node, "has axis " + std::to_string(given) + ", outside the " +
                       std::to_string(out_rank) + " dimensions of its " +
                       (squeeze ? "input" : "output"));
      }
      if (seen[static_cast<std::size_t>(a)]) {
        fail(node, "lists axis " + std::to_string(given) + " more than once");
      }
      seen[static_cast<std::size_t>(a)] = true;
      if (a == 0) fail(node, "would change the batch dimension, which is not supported");
    }
    std::vector<std::int64_t> dims;
    if (squeeze) {
      for (std::size_t d = 1; d < full.size(); ++d) {
        const bool listed = axes.empty() ? full[d] == 1
                                         : std::find(axes.begin(), axes.end(),
                                                     static_cast<std::int64_t>(d)) != axes.end();
        if (listed && full[d] != 1) fail(node, "squeezes a dimension that is not 1");
        if (!listed) dims.push_back(full[d]);
      }
    } else {
      std::size_t next = 1;
      for (std::int64_t d = 1; d < out_rank; ++d) {
        if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
          dims.push_back(1);
        } else {
          dims.push_back(full.at(next++));
        }
      }
    }
    advance(node, dims, act_.order);
  } else {
    fail(node, "is not supported; supported operators: " + std::string(kSupported));
  }
}

bool Importer::fold_constant(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (is_quant_node(node)) {  // quant_type() rejects BipolarQuant and Trunc
    quant(node);
    return true;
  }
  // The layout operators keep a quantized constant's values, so its type goes along.
  const auto keep_type = [&] {
    const auto it = constant_types_.find(node.input(0));
    if (it != constant_types_.end()) constant_types_[node.output(0)] = it->second;
  };
  if (op == "Identity" || op == "Cast") {
    constants_[node.output(0)] = constant(node, 0);
    if (op == "Identity") keep_type();
    return true;
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    const Constant& data = constant(node, 0);
    std::vector<std::int64_t> axes;
    if (const auto attr = ints_attr(node, "axes")) {
      axes = *attr;
    } else if (node.input_size() > 1 && !node.input(1).empty()) {
      const Constant& c = constant(node, 1);
      axes.assign(c.values.begin(), c.values.end());
    }
    const auto dims = squeezed_dims(data.dims, axes, op == "Squeeze");
    if (!dims) {
      fail(node, "has axes [" + join_ints(axes) + "] that do not fit its constant of shape " +
                     shape_str(data.dims));
    }
    constants_[node.output(0)] = {*dims, data.values};
    keep_type();
    return true;
  }
  if (op == "Reshape") {
    const Constant& data = constant(node, 0);
    const Constant& target = constant(node, 1);
    std::vector<std::int64_t> dims(target.values.begin(), target.values.end());
    const bool allow_zero = int_attr(node, "allowzero", 0) != 0;
    int inferred = -1;
    std::int64_t known = 1;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] == 0 && !allow_zero) {
        if (d >= data.dims.size()) fail(node, "copies a dimension its constant does not have");
        dims[d] = data.dims[d];
      }
      if (dims[d] == -1 && inferred < 0) {
        inferred = static_cast<int>(d);
      } else if (dims[d] < 0) {
        fail(node, "reshapes a constant to [" + join_ints(dims) + "], which is not a shape");
      } else {
        known *= dims[d];
      }
    }
    const auto n = static_cast<std::int64_t>(data.values.size());
    if (inferred >= 0 && known > 0) dims[static_cast<std::size_t>(inferred)] = n / known;
    if (shape_numel(dims) != n) {
      fail(node,
           "reshapes a constant of shape " + shape_str(data.dims) + " to [" +
               join_ints(std::vector<std::int64_t>(target.values.begin(), target.values.end())) +
               "]: the sizes differ");
    }
    constants_[node.output(0)] = {dims, data.values};
    keep_type();
    return true;
  }
  if (op == "Transpose") {
    const Constant& data = constant(node, 0);
    const std::size_t rank = data.dims.size();
    std::vector<std::int64_t> perm;
    if (const auto attr = ints_attr(node, "perm")) {
      perm = *attr;
    } else {
      for (std::size_t d = rank; d-- > 0;) perm.push_back(static_cast<std::int64_t>(d));
    }
    if (!is_permutation(perm, rank)) {
      fail(node, "has perm [" + join_ints(perm) + "], which is not a permutation of the " +
                     std::to_string(rank) + " dimensions of its constant");
    }
    std::vector<std::int64_t> strides(rank, 1), dims(rank);
    for (std::size_t d = rank; d-- > 1;) strides[d - 1] = strides[d] * data.dims[d];
    for (std::size_t d = 0; d < rank; ++d) dims[d] = data.dims[static_cast<std::size_t>(perm[d])];
    Constant out{dims, std::vector<double>(data.values.size())};
    std::vector<std::int64_t> index(rank, 0);  // multi-index in the output
    for (std::size_t flat = 0; flat < out.values.size(); ++flat) {
      std::int64_t from = 0;
      for (std::size_t d = 0; d < rank; ++d)
        from += index[d] * strides[static_cast<std::size_t>(perm[d])];
      out.values[flat] = data.values[static_cast<std::size_t>(from)];
      for (std::size_t d = rank; d-- > 0;) {
        if (++index[d] < dims[d]) break;
        index[d] = 0;
      }
    }
    constants_[node.output(0)] = std::move(out);
    keep_type();
    return true;
  }
  if (op == "Gather") {
    const Constant& data = constant(node, 0);
    const Constant& index = constant(node, 1);
    if (data.dims.size() != 1) return false;
    Constant out{index.dims, {}};
    const auto size = static_cast<std::int64_t>(data.values.size());
    for (double i : index.values) {
      auto k = static_cast<std::int64_t>(i);
      if (k < -size || k >= size) {
        fail(node, "gathers index " + std::to_string(k) + " from a constant of " +
                       std::to_string(size) + " values");
      }
      if (k < 0) k += size;
      out.values.push_back(data.values[static_cast<std::size_t>(k)]);
    }
    constants_[node.output(0)] = out;
    return true;
  }
  if (op == "Concat") {
    Constant out{{0}, {}};
    for (int i = 0; i < node.input_size(); ++i) {
      const Constant& part = constant(node, i);
      if (part.dims.size() != 1) return false;
      out.values.insert(out.values.end(), part.values.begin(), part.values.end());
    }
    out.dims[0] = static_cast<std::int64_t>(out.values.size());
    constants_[node.output(0)] = out;
    return true;
  }
  return false;
}

}  // namespace onnx_import

Graph import_onnx(const std::filesystem::path& path, const std::string& model_name) {
  const onnx::ModelProto model = onnx_import::read_model(path);
  return onnx_import::Importer(model, path.string(), model_name).run();
}

}  // namespace hlslim
