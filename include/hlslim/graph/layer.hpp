#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hlslim/graph/tensor.hpp"

namespace hlslim {

/// Every layer type the graph knows. Each has a row in the traits table (layer_traits.hpp);
/// adding one starts there, and the compiler lists every other place that must decide
/// (docs/architecture.md, "Adding a layer kind").
enum class LayerKind {
  kDense,
  kConv1d,
  kConv2d,
  kMaxPool1d,
  kMaxPool2d,
  kAvgPool1d,
  kAvgPool2d,
  kGlobalMaxPool,
  kGlobalAvgPool,
  kFlatten,
  kReshape,
  kBatchNorm,
  kDropout,
  kRelu,
  kLeakyRelu,
  kTanh,
  kSigmoid,
  kSoftmax,
};

/// The last enumerator of LayerKind: the traits table checks against it that it has a row for
/// every kind.
constexpr LayerKind kLastLayerKind = LayerKind::kSoftmax;

/// Convolution padding: none ('valid'), or zeros keeping the size at stride 1 ('same').
enum class Padding { kValid, kSame };

/// Architecture parameters of a layer as written in the config. Each layer type uses the
/// fields it declares (layer_types.cpp) and leaves the others at their defaults.
struct LayerParams {
  std::int64_t units = 0;             ///< dense: output features
  std::int64_t filters = 0;           ///< conv: output channels
  std::vector<std::int64_t> kernel;   ///< conv: kernel size per spatial dimension
  std::vector<std::int64_t> stride;   ///< conv: stride per spatial dimension
  Padding padding = Padding::kValid;  ///< conv
  bool bias = true;                   ///< dense/conv: learn a bias
  std::vector<std::int64_t> pool;     ///< pooling: window (= stride) per spatial dimension
  std::vector<std::int64_t> shape;    ///< reshape: target shape without the batch
  double eps = 1e-5;                  ///< batch norm: variance epsilon
  double momentum = 0.1;              ///< batch norm: running-statistics momentum
  double rate = 0.0;                  ///< dropout: probability of zeroing
  double alpha = 0.01;                ///< leaky relu: negative slope
};

/// Value of a layer attribute set by a stage (precision, reuse factor, sparsity, ...).
using AttrValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                               std::vector<double>, std::vector<std::string>>;
using AttrMap = std::map<std::string, AttrValue>;

/// One named layer: its type, architecture parameters, weights and attributes. Tensors use
/// LibTorch's names and layouts: "weight" ([out, in] for dense, [out, in, k...] for conv),
/// "bias", batch norm's "weight", "bias", "running_mean", "running_var"; a "weight_mask" of the
/// weight's shape, when present, multiplies the weight in every forward pass.
struct Layer {
  std::string name;
  LayerKind kind = LayerKind::kDense;
  LayerParams params;
  std::map<std::string, Tensor> tensors;
  AttrMap attrs;
};

/// "dense", "conv2d", ... as written in configs.
const char* layer_kind_name(LayerKind kind);

/// Parses a type name; nullopt when unknown.
std::optional<LayerKind> parse_layer_kind(const std::string& name);

/// Every type name, in declaration order (for messages and docs).
std::vector<std::string> layer_kind_names();

}  // namespace hlslim
