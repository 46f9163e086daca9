#include <set>

#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/import/onnx_import.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {

std::string fit_input_shape(Graph& graph, const Shape& shape, const std::string& source) {
  if (shape.empty() || graph.input_shape == shape) return "";
  const std::string reads = "the model reads " + shape_str(graph.input_shape) + " (" +
                            std::to_string(shape_numel(graph.input_shape)) + " values) but " +
                            source + " " + shape_str(shape);
  if (shape_numel(graph.input_shape) != shape_numel(shape)) {
    return reads + " (" + std::to_string(shape_numel(shape)) + " values)";
  }
  Graph fitted = graph;
  fitted.input_shape = shape;
  if (fitted.layers.empty() || fitted.layers.front().kind != LayerKind::kFlatten) {
    if (graph.input_shape.size() != 1) {
      return reads + "; only a model reading a flat input can take data of another shape";
    }
    std::set<std::string> names;
    for (const auto& layer : fitted.layers) names.insert(layer.name);
    Layer flatten;
    flatten.kind = LayerKind::kFlatten;
    flatten.name = "flatten_input";
    for (int k = 2; names.count(flatten.name); ++k)
      flatten.name = "flatten_input_" + std::to_string(k);
    fitted.layers.insert(fitted.layers.begin(), std::move(flatten));
  }
  try {
    fitted.shapes();
  } catch (const Error& e) {
    return reads + ": " + e.what();
  }
  graph = std::move(fitted);
  return "";
}

}  // namespace hlslim
