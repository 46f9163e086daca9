#include "hlslim/engine/firmware.hpp"

namespace hlslim {

std::size_t firmware_layer_count(const Graph& graph) {
  return graph.layers.size() - (ends_in_softmax(graph) ? 1 : 0);
}

bool dropped_by_firmware(const Graph& graph, std::size_t index) {
  return ends_in_softmax(graph) && index + 1 == graph.layers.size();
}

Graph firmware_graph(const Graph& graph) {
  Graph out = graph;
  if (ends_in_softmax(out)) out.layers.pop_back();
  return out;
}

}  // namespace hlslim
