#pragma once

#include <string>

#include "hlslim/graph/layer.hpp"
#include "hlslim/graph/layer_types.hpp"

namespace hlslim::testing {

/// A layer with every architecture parameter at its declared default.
inline Layer make_layer(LayerKind kind, const std::string& name) {
  Layer layer;
  layer.kind = kind;
  layer.name = name;
  OptionTable table;
  declare_layer_params(kind, layer.params, table);
  return layer;
}

}  // namespace hlslim::testing
