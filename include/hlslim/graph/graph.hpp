#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hlslim/graph/layer.hpp"

namespace hlslim {

/// Size of one layer, as reported by Graph::summary().
struct LayerSummary {
  std::string name;
  std::string type;
  Shape output_shape;
  std::int64_t parameters = 0;
  std::int64_t nonzero_parameters = 0;  ///< parameters neither masked nor exactly zero
  std::int64_t macs = 0;
};

/// The shared model graph: a named chain of layers from one input to one output, the form every
/// trigger network of this tool takes. Stages read and rewrite it (train, prune, quantize,
/// export); it holds weights and attributes without depending on LibTorch.
///
/// Attributes resolve like hls4ml's configuration: the layer's own value, else the value for
/// its type, else the model default.
class Graph {
 public:
  std::string name;
  Shape input_shape;
  std::vector<Layer> layers;
  AttrMap default_attrs;
  std::map<std::string, AttrMap> type_attrs;  ///< keyed by layer type name

  /// Input shape of every layer plus the final output shape (size layers+1). Throws
  /// hlslim::Error naming the layer when a shape does not fit.
  std::vector<Shape> shapes() const;

  Shape output_shape() const { return shapes().back(); }

  Layer* find(const std::string& layer_name);
  const Layer* find(const std::string& layer_name) const;

  /// Resolves an attribute for a layer: layer name > layer type > model default.
  std::optional<AttrValue> resolve_attr(const Layer& layer, const std::string& key) const;

  /// True when every layer holds every tensor it needs with the right shape.
  bool has_weights() const;

  /// Per-layer sizes; and their totals.
  std::vector<LayerSummary> summary() const;
  LayerSummary totals() const;

  /// A fixed-width table of summary() for logs and reports.
  std::string summary_table() const;
};

}  // namespace hlslim
