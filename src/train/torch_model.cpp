#include "hlslim/train/torch_model.hpp"

#include <cmath>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/graph/softmax_head.hpp"
#include "hlslim/train/fake_quant.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// Holds one layer's tensors under LibTorch's usual names, so a graph layer "fc1" shows up as
// "fc1.weight" in named_parameters().
struct LayerTensorsImpl : torch::nn::Module {};
TORCH_MODULE(LayerTensors);

bool is_buffer(const std::string& name) {
  return name == "running_mean" || name == "running_var" || name == "weight_mask" ||
         name == "bias_mask";
}

// LibTorch's own default initialisation for Linear and ConvNd (Kaiming-uniform weights with
// a = sqrt(5), bias uniform in +-1/sqrt(fan_in)), and identity for batch norm.
torch::Tensor initial_value(const Layer& layer, const std::string& name, const Shape& shape) {
  torch::NoGradGuard no_grad;
  if (layer.kind == LayerKind::kBatchNorm) {
    return (name == "weight" || name == "running_var") ? torch::ones(shape) : torch::zeros(shape);
  }
  if (name == "weight") {
    auto w = torch::empty(shape);
    torch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));
    return w;
  }
  // Biases are drawn once the weight exists (they need its fan-in): see the constructor.
  return torch::empty(shape);
}

}  // namespace

torch::Tensor to_torch(const Tensor& tensor) {
  return torch::from_blob(const_cast<float*>(tensor.values.data()), tensor.shape, torch::kFloat32)
      .clone();
}

Tensor from_torch(const torch::Tensor& tensor) {
  auto t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  Tensor out;
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  out.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

GraphModuleImpl::GraphModuleImpl(const Graph& graph) : graph_(graph) {
  const auto shapes = graph.shapes();
  for (auto& layer : graph_.layers) layer.tensors.clear();
  slots_.resize(graph.layers.size());
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const auto expected = expected_tensors(layer, shapes[i]);
    if (expected.empty()) continue;
    LayerTensors holder;
    Slots& slots = slots_[i];
    for (const auto& [name, shape] : expected) {
      torch::Tensor value;
      auto it = layer.tensors.find(name);
      if (it != layer.tensors.end()) {
        if (it->second.shape != shape) {
          throw Error("model '" + graph.name + "', layer '" + layer.name + "': tensor '" + name +
                      "' has shape " + shape_str(it->second.shape) + ", expected " +
                      shape_str(shape));
        }
        value = to_torch(it->second);
      } else {
        value = initial_value(layer, name, shape);
      }
      torch::Tensor& registered = is_buffer(name) ? holder->register_buffer(name, value)
                                                  : holder->register_parameter(name, value);
      if (name == "weight") slots.weight = registered;
      if (name == "bias") slots.bias = registered;
      if (name == "running_mean") slots.running_mean = registered;
      if (name == "running_var") slots.running_var = registered;
    }
    // Biases need the weight's fan-in, so they are drawn after the weight, as LibTorch does.
    if (layer.kind != LayerKind::kBatchNorm && layer.params.bias && !layer.tensors.count("bias")) {
      torch::NoGradGuard no_grad;
      const double bound =
          1.0 / std::sqrt(static_cast<double>(slots.weight.numel() / slots.weight.size(0)));
      slots.bias.uniform_(-bound, bound);
    }
    if (auto mask = layer.tensors.find("weight_mask"); mask != layer.tensors.end()) {
      slots.weight_mask = holder->register_buffer("weight_mask", to_torch(mask->second));
    }
    if (auto mask = layer.tensors.find("bias_mask"); mask != layer.tensors.end()) {
      slots.bias_mask = holder->register_buffer("bias_mask", to_torch(mask->second));
    }
    register_module(layer.name, holder);
  }
}

torch::Tensor GraphModuleImpl::apply_layer(std::size_t index, torch::Tensor x) {
  const Layer& layer = graph_.layers[index];
  const LayerParams& p = layer.params;
  const Slots& s = slots_[index];
  const LayerPrecision* q = precision_ ? &precision_->layers[index] : nullptr;
  auto weight = [&]() {
    torch::Tensor w = s.weight_mask.defined() ? s.weight * s.weight_mask : s.weight;
    return q && q->weight ? quantized(index, QuantRole::kWeight, w, q->weight) : w;
  };
  auto bias = [&]() {
    if (!s.bias.defined()) return s.bias;
    torch::Tensor b = s.bias_mask.defined() ? s.bias * s.bias_mask : s.bias;
    return q && q->bias ? quantized(index, QuantRole::kBias, b, q->bias) : b;
  };
  // Every layer that declares a result type rounds and overflows its output into it.
  auto result = [&](torch::Tensor y) {
    return q && q->result ? quantized(index, QuantRole::kResult, y, q->result) : y;
  };
  if (q && layer.kind == LayerKind::kBatchNorm) return result(quantized_batch_norm(index, x));
  if (q && layer.kind == LayerKind::kLeakyRelu) {
    const torch::Tensor alpha = torch::full({}, p.alpha, x.options());
    const torch::Tensor a = q->weight ? quantize_values(alpha, *q->weight) : alpha;
    return result(torch::where(x >= 0, x, x * a));
  }
  switch (layer.kind) {
    case LayerKind::kDense:
      return result(torch::linear(x, weight(), bias()));
    case LayerKind::kConv1d:
      if (p.padding == Padding::kSame)
        return result(torch::conv1d(x, weight(), bias(), p.stride, "same"));
      return result(torch::conv1d(x, weight(), bias(), p.stride));
    case LayerKind::kConv2d:
      if (p.padding == Padding::kSame)
        return result(torch::conv2d(x, weight(), bias(), p.stride, "same"));
      return result(torch::conv2d(x, weight(), bias(), p.stride));
    case LayerKind::kMaxPool1d:
      return result(torch::max_pool1d(x, p.pool, p.pool));
    case LayerKind::kMaxPool2d:
      return result(torch::max_pool2d(x, p.pool, p.pool));
    case LayerKind::kAvgPool1d:
      return result(torch::avg_pool1d(x, p.pool, p.pool));
    case LayerKind::kAvgPool2d:
      return result(torch::avg_pool2d(x, p.pool, p.pool));
    case LayerKind::kGlobalMaxPool:
      return result(std::get<0>(x.flatten(2).max(2)));
    case LayerKind::kGlobalAvgPool:
      return result(x.flatten(2).mean(2));
    case LayerKind::kFlatten:
      return x.flatten(1);
    case LayerKind::kReshape: {
      std::vector<std::int64_t> shape{x.size(0)};
      shape.insert(shape.end(), p.shape.begin(), p.shape.end());
      return x.reshape(shape);
    }
    case LayerKind::kBatchNorm:
      return torch::batch_norm(x, s.weight, s.bias, s.running_mean, s.running_var, is_training(),
                               p.momentum, p.eps, /*cudnn_enabled=*/false);
    case LayerKind::kDropout:
      return torch::dropout(x, p.rate, is_training());
    case LayerKind::kRelu:
      return result(torch::relu(x));
    case LayerKind::kLeakyRelu:
      return result(torch::leaky_relu(x, p.alpha));
    case LayerKind::kTanh:
      return result(torch::tanh(x));
    case LayerKind::kSigmoid:
      return result(torch::sigmoid(x));
    case LayerKind::kSoftmax:
      return result(torch::softmax(x, 1));
  }
  throw Error("layer '" + layer.name + "': unsupported type");
}

torch::Tensor GraphModuleImpl::quantized(std::size_t layer, QuantRole role, const torch::Tensor& x,
                                         const std::optional<FixedType>& type) {
  if (quantizers_) {
    torch::Tensor out = quantizers_->quantize(layer, role, x);
    if (out.defined()) return out;
  }
  return fake_quantize(x, *type);
}

torch::Tensor GraphModuleImpl::quantized_batch_norm(std::size_t index,
                                                    const torch::Tensor& x) const {
  // The engine's batch norm: y = scale * x + shift with the frozen statistics, scale and
  // shift quantized to the layer's weight and bias types.
  const Slots& s = slots_[index];
  const LayerPrecision& q = precision_->layers[index];
  torch::Tensor scale = s.weight / torch::sqrt(s.running_var + graph_.layers[index].params.eps);
  torch::Tensor shift = s.bias - s.running_mean * scale;
  if (q.weight) scale = fake_quantize(scale, *q.weight);
  if (q.bias) shift = fake_quantize(shift, *q.bias);
  std::vector<std::int64_t> shape(static_cast<std::size_t>(x.dim()), 1);
  shape[1] = -1;
  return x * scale.view(shape) + shift.view(shape);
}

void GraphModuleImpl::set_fake_quant(std::optional<ModelPrecision> precision) {
  if (precision && precision->layers.size() != graph_.layers.size()) {
    throw Error("model '" + graph_.name + "': precisions for " +
                std::to_string(precision->layers.size()) + " layers, the model has " +
                std::to_string(graph_.layers.size()));
  }
  precision_ = std::move(precision);
}

torch::Tensor GraphModuleImpl::forward(torch::Tensor x) {
  return run_layers(std::move(x), graph_.layers.size());
}

torch::Tensor GraphModuleImpl::forward_logits(torch::Tensor x) {
  const std::size_t n = graph_.layers.size();
  return run_layers(std::move(x), ends_in_softmax(graph_) ? n - 1 : n);
}

torch::Tensor GraphModuleImpl::run_layers(torch::Tensor x, std::size_t count) {
  if (precision_) x = quantized(0, QuantRole::kInput, x, precision_->input);
  for (std::size_t i = 0; i < count; ++i) {
    x = apply_layer(i, x);
    if (!taps_.empty()) {
      if (auto it = taps_.find(i); it != taps_.end()) it->second = x;
    }
  }
  return x;
}

void GraphModuleImpl::set_taps(std::vector<std::size_t> layers) {
  taps_.clear();
  for (std::size_t i : layers) {
    if (i >= graph_.layers.size())
      throw Error("model '" + graph_.name + "': no layer " + std::to_string(i));
    taps_[i] = torch::Tensor();
  }
}

const torch::Tensor& GraphModuleImpl::tap(std::size_t layer) const {
  return taps_.at(layer);
}

std::vector<torch::Tensor> GraphModuleImpl::forward_all(torch::Tensor x) {
  std::vector<torch::Tensor> outputs;
  outputs.reserve(graph_.layers.size());
  if (precision_) x = quantized(0, QuantRole::kInput, x, precision_->input);
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    x = apply_layer(i, x);
    outputs.push_back(x);
  }
  return outputs;
}

void GraphModuleImpl::load_weights(const Graph& graph) {
  if (graph.layers.size() != graph_.layers.size()) {
    throw Error("model '" + graph.name + "': cannot load weights of a different architecture");
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    Slots& s = slots_[i];
    const auto& tensors = graph.layers[i].tensors;
    const std::pair<const char*, torch::Tensor*> named[] = {{"weight", &s.weight},
                                                            {"bias", &s.bias},
                                                            {"weight_mask", &s.weight_mask},
                                                            {"bias_mask", &s.bias_mask},
                                                            {"running_mean", &s.running_mean},
                                                            {"running_var", &s.running_var}};
    for (const auto& [name, tensor] : named) {
      const auto it = tensors.find(name);
      if (!tensor->defined() || it == tensors.end()) continue;
      tensor->copy_(to_torch(it->second).view(tensor->sizes()));
    }
  }
}

void GraphModuleImpl::apply_masks() {
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    if (s.weight_mask.defined()) s.weight.mul_(s.weight_mask);
    if (s.bias_mask.defined()) s.bias.mul_(s.bias_mask);
  }
}

void GraphModuleImpl::store_weights(Graph& graph) const {
  if (graph.layers.size() != graph_.layers.size()) {
    throw Error("model '" + graph.name + "': cannot store weights into a different architecture");
  }
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    const Slots& s = slots_[i];
    auto& tensors = graph.layers[i].tensors;
    const std::pair<const char*, const torch::Tensor*> named[] = {{"weight", &s.weight},
                                                                  {"bias", &s.bias},
                                                                  {"weight_mask", &s.weight_mask},
                                                                  {"bias_mask", &s.bias_mask},
                                                                  {"running_mean", &s.running_mean},
                                                                  {"running_var", &s.running_var}};
    for (const auto& [name, tensor] : named) {
      if (tensor->defined()) tensors[name] = from_torch(*tensor);
    }
  }
}

}  // namespace hlslim
