#pragma once

// The one table of layer kinds: what every kind is, for every part of hlslim that handles
// layers. Consumers switch on LayerCategory where a family is handled alike, or on LayerKind
// where kinds differ, and never with `default:`: the build treats a switch that misses an
// enumerator as an error (-Werror=switch), so a new kind or category lists every place that
// must decide. docs/architecture.md, "Adding a layer kind", walks through them.
#include <vector>

#include "hlslim/graph/layer.hpp"

namespace hlslim {

/// Families of layer kinds.
enum class LayerCategory {
  kLinear,         ///< weights and a sum of products per output (dense, convolutions)
  kPool,           ///< maximum or mean over windows, or over all positions
  kActivation,     ///< a function of each value (softmax: of the whole vector)
  kNormalization,  ///< batch norm: an affine map per channel at inference
  kReshape,        ///< the same values in another shape (flatten, reshape)
  kIdentity,       ///< dropout: identity at inference
};

/// What shape of input a kind works on (without the batch dimension).
enum class InputRank {
  kFlat,     ///< [features]
  k1d,       ///< [channels, length]
  k2d,       ///< [channels, height, width]
  kSpatial,  ///< [channels, length] or [channels, height, width]
  kAny,      ///< any shape
};

/// How the values of one input channel (or feature) reach the output.
enum class ChannelFlow {
  kMixed,        ///< every output channel or unit reads every input channel (dense, conv)
  kPerChannel,   ///< output channel c reads input channel c only (pools, batch norm)
  kElementwise,  ///< each output value reads the input value at its own position only
  kAcross,       ///< each output value reads every input value (softmax)
  kRearranged,   ///< the values of every channel, reordered into a new shape
};

struct LayerTraits {
  LayerKind kind;
  const char* name;  ///< as written in configs: "dense", "max_pool2d", ...
  LayerCategory category;
  InputRank input;
  ChannelFlow channels;
  bool has_tensors;     ///< owns tensors (weight and bias, or batch-norm statistics)
  const char* summary;  ///< one line for the generated docs
};

/// The traits of one kind.
const LayerTraits& layer_traits(LayerKind kind);

/// Every kind's traits, in the order of LayerKind.
const std::vector<LayerTraits>& all_layer_traits();

/// Every kind, in the order of LayerKind (for tests and docs that walk all of them).
std::vector<LayerKind> all_layer_kinds();

/// "linear", "pool", ... for messages and docs.
const char* layer_category_name(LayerCategory category);

/// Spatial dimensions a window slides over: 1 or 2 for InputRank k1d / k2d, else 0.
int spatial_dims(LayerKind kind);

}  // namespace hlslim
