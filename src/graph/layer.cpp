#include "hlslim/graph/layer.hpp"

#include <array>
#include <utility>

#include "hlslim/graph/tensor.hpp"

namespace hlslim {
namespace {

constexpr std::array<std::pair<LayerKind, const char*>, 18> kNames{{
    {LayerKind::kDense, "dense"},
    {LayerKind::kConv1d, "conv1d"},
    {LayerKind::kConv2d, "conv2d"},
    {LayerKind::kMaxPool1d, "max_pool1d"},
    {LayerKind::kMaxPool2d, "max_pool2d"},
    {LayerKind::kAvgPool1d, "avg_pool1d"},
    {LayerKind::kAvgPool2d, "avg_pool2d"},
    {LayerKind::kGlobalMaxPool, "global_max_pool"},
    {LayerKind::kGlobalAvgPool, "global_avg_pool"},
    {LayerKind::kFlatten, "flatten"},
    {LayerKind::kReshape, "reshape"},
    {LayerKind::kBatchNorm, "batch_norm"},
    {LayerKind::kDropout, "dropout"},
    {LayerKind::kRelu, "relu"},
    {LayerKind::kLeakyRelu, "leaky_relu"},
    {LayerKind::kTanh, "tanh"},
    {LayerKind::kSigmoid, "sigmoid"},
    {LayerKind::kSoftmax, "softmax"},
}};

}  // namespace

const char* layer_kind_name(LayerKind kind) {
  for (const auto& [k, name] : kNames)
    if (k == kind) return name;
  return "?";
}

std::optional<LayerKind> parse_layer_kind(const std::string& name) {
  for (const auto& [k, n] : kNames)
    if (name == n) return k;
  return std::nullopt;
}

std::vector<std::string> layer_kind_names() {
  std::vector<std::string> out;
  for (const auto& entry : kNames) out.emplace_back(entry.second);
  return out;
}

std::string shape_str(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Tensor::Tensor(std::vector<std::int64_t> shape_in, float fill)
    : shape(std::move(shape_in)),
      values(static_cast<std::size_t>(shape_numel(shape)), fill) {}

}  // namespace hlslim
