#include "hlslim/graph/layer_traits.hpp"

#include <array>
#include <cstddef>

namespace hlslim {
namespace {

using C = LayerCategory;
using I = InputRank;
using F = ChannelFlow;

constexpr std::size_t kKindCount = static_cast<std::size_t>(kLastLayerKind) + 1;

// One row per kind, in the order of LayerKind.
constexpr std::array<LayerTraits, kKindCount> kTraits{{
    {LayerKind::kDense, "dense", C::kLinear, I::kFlat, F::kMixed, true,
     "Fully connected layer on a flat input."},
    {LayerKind::kConv1d, "conv1d", C::kLinear, I::k1d, F::kMixed, true,
     "1-D convolution on [channels, length]."},
    {LayerKind::kConv2d, "conv2d", C::kLinear, I::k2d, F::kMixed, true,
     "2-D convolution on [channels, height, width]."},
    {LayerKind::kMaxPool1d, "max_pool1d", C::kPool, I::k1d, F::kPerChannel, false,
     "1-D max pooling, stride equal to the window."},
    {LayerKind::kMaxPool2d, "max_pool2d", C::kPool, I::k2d, F::kPerChannel, false,
     "2-D max pooling, stride equal to the window."},
    {LayerKind::kAvgPool1d, "avg_pool1d", C::kPool, I::k1d, F::kPerChannel, false,
     "1-D average pooling, stride equal to the window."},
    {LayerKind::kAvgPool2d, "avg_pool2d", C::kPool, I::k2d, F::kPerChannel, false,
     "2-D average pooling, stride equal to the window."},
    {LayerKind::kGlobalMaxPool, "global_max_pool", C::kPool, I::kSpatial, F::kPerChannel, false,
     "Maximum over all spatial positions, per channel."},
    {LayerKind::kGlobalAvgPool, "global_avg_pool", C::kPool, I::kSpatial, F::kPerChannel, false,
     "Mean over all spatial positions, per channel."},
    {LayerKind::kFlatten, "flatten", C::kReshape, I::kAny, F::kRearranged, false,
     "Flattens to [features] (channels-first order)."},
    {LayerKind::kReshape, "reshape", C::kReshape, I::kAny, F::kRearranged, false,
     "Reshapes to a given shape of the same size."},
    {LayerKind::kBatchNorm, "batch_norm", C::kNormalization, I::kAny, F::kPerChannel, true,
     "Batch normalisation over the channel (first) dimension."},
    {LayerKind::kDropout, "dropout", C::kIdentity, I::kAny, F::kElementwise, false,
     "Dropout in training; identity at inference."},
    {LayerKind::kRelu, "relu", C::kActivation, I::kAny, F::kElementwise, false, "max(x, 0)."},
    {LayerKind::kLeakyRelu, "leaky_relu", C::kActivation, I::kAny, F::kElementwise, false,
     "x for x >= 0, alpha * x otherwise."},
    {LayerKind::kTanh, "tanh", C::kActivation, I::kAny, F::kElementwise, false,
     "Hyperbolic tangent."},
    {LayerKind::kSigmoid, "sigmoid", C::kActivation, I::kAny, F::kElementwise, false,
     "Logistic sigmoid."},
    {LayerKind::kSoftmax, "softmax", C::kActivation, I::kFlat, F::kAcross, false,
     "Softmax over a flat input."},
}};

constexpr bool rows_in_kind_order() {
  for (std::size_t i = 0; i < kTraits.size(); ++i) {
    if (static_cast<std::size_t>(kTraits[i].kind) != i) return false;
  }
  return true;
}
static_assert(rows_in_kind_order(), "kTraits needs one row per LayerKind, in enum order");

}  // namespace

const LayerTraits& layer_traits(LayerKind kind) {
  return kTraits[static_cast<std::size_t>(kind)];
}

const std::vector<LayerTraits>& all_layer_traits() {
  static const std::vector<LayerTraits> all(kTraits.begin(), kTraits.end());
  return all;
}

std::vector<LayerKind> all_layer_kinds() {
  std::vector<LayerKind> out;
  for (const auto& traits : kTraits) out.push_back(traits.kind);
  return out;
}

const char* layer_category_name(LayerCategory category) {
  switch (category) {
    case LayerCategory::kLinear:
      return "linear";
    case LayerCategory::kPool:
      return "pool";
    case LayerCategory::kActivation:
      return "activation";
    case LayerCategory::kNormalization:
      return "normalization";
    case LayerCategory::kReshape:
      return "reshape";
    case LayerCategory::kIdentity:
      return "identity";
  }
  return "?";
}

int spatial_dims(LayerKind kind) {
  switch (layer_traits(kind).input) {
    case InputRank::k1d:
      return 1;
    case InputRank::k2d:
      return 2;
    case InputRank::kFlat:
    case InputRank::kSpatial:
    case InputRank::kAny:
      return 0;
  }
  return 0;
}

const char* layer_kind_name(LayerKind kind) {
  return layer_traits(kind).name;
}

std::optional<LayerKind> parse_layer_kind(const std::string& name) {
  for (const auto& traits : kTraits) {
    if (name == traits.name) return traits.kind;
  }
  return std::nullopt;
}

std::vector<std::string> layer_kind_names() {
  std::vector<std::string> out;
  for (const auto& traits : kTraits) out.emplace_back(traits.name);
  return out;
}

}  // namespace hlslim
