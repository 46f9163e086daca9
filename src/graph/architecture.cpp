#include "hlslim/graph/architecture.hpp"

#include <set>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

bool is_c_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Graph parse_architecture(const ConfigSource& source, const YAML::Node& node,
                         const std::string& model_name, Diagnostics& diagnostics) {
  Graph graph;
  graph.name = model_name;
  const std::string path = join_path("models", model_name);
  const std::string context = "in model '" + model_name + "'";

  YAML::Node layers_node;
  OptionTable top;
  top.add_int_list("input", graph.input_shape, {},
                   "Input shape without the batch: [features], [channels, length] or "
                   "[channels, height, width]; empty: taken from the data.")
      .min(1);
  top.add_yaml("layers", layers_node, "The layers, first to last.");
  top.parse(source, node, path, context, {}, diagnostics);

  if (!layers_node.IsSequence() || layers_node.size() == 0) {
    diagnostics.error(source.pos(node, path), "model '" + model_name +
                                                  "' needs a non-empty list "
                                                  "'layers'");
    return graph;
  }
  if (graph.input_shape.size() > 3) {
    diagnostics.error(
        source.pos(node["input"], join_path(path, "input")),
        "'input' " + context + " must have 1 to 3 dimensions, got " + shape_str(graph.input_shape));
  }

  std::map<std::string, int> kind_counts;
  std::set<std::string> names;
  std::vector<SourcePos> layer_pos;
  const std::size_t errors_before = diagnostics.error_count();
  for (std::size_t i = 0; i < layers_node.size(); ++i) {
    const YAML::Node item = layers_node[i];
    const std::string item_path = join_path(path, "layers." + std::to_string(i));
    const SourcePos item_pos = source.pos(item, item_path);
    if (!item.IsMap()) {
      diagnostics.error(item_pos, "layer " + std::to_string(i) + " " + context +
                                      " must be a mapping with a 'type', got " +
                                      describe_node(item));
      continue;
    }
    const YAML::Node type_node = item["type"];
    if (!type_node || !type_node.IsScalar()) {
      diagnostics.error(item_pos,
                        "layer " + std::to_string(i) + " " + context +
                            " has no 'type'; available: " + join(layer_kind_names(), ", "));
      continue;
    }
    const std::string type = type_node.Scalar();
    const auto kind = parse_layer_kind(type);
    if (!kind) {
      diagnostics.error(source.pos(type_node, join_path(item_path, "type")),
                        "unknown layer type '" + type + "' " + context +
                            did_you_mean(type, layer_kind_names()) +
                            "; available: " + join(layer_kind_names(), ", "));
      continue;
    }
    Layer layer;
    layer.kind = *kind;
    layer.name = type + "_" + std::to_string(++kind_counts[type]);
    if (const YAML::Node name_node = item["name"]) {
      const SourcePos name_pos = source.pos(name_node, join_path(item_path, "name"));
      if (!name_node.IsScalar() || !is_c_identifier(name_node.Scalar())) {
        diagnostics.error(name_pos, "layer name " + describe_node(name_node) + " " + context +
                                        " must be a C identifier (letters, digits, '_'; "
                                        "not starting with a digit)");
      } else {
        layer.name = name_node.Scalar();
      }
    }
    if (!names.insert(layer.name).second) {
      diagnostics.error(item_pos, "duplicate layer name '" + layer.name + "' " + context);
    }
    OptionTable table;
    declare_layer_params(layer.kind, layer.params, table);
    table.parse(source, item, item_path, "in layer '" + layer.name + "' (" + type + ")",
                {"type", "name"}, diagnostics);
    graph.layers.push_back(std::move(layer));
    layer_pos.push_back(item_pos);
  }

  // Shapes can only be checked once every layer parsed and the input is known.
  if (diagnostics.error_count() == errors_before && !graph.input_shape.empty()) {
    Shape shape = graph.input_shape;
    for (std::size_t i = 0; i < graph.layers.size(); ++i) {
      const auto result = infer_output_shape(graph.layers[i], shape);
      if (!result.ok()) {
        diagnostics.error(layer_pos[i],
                          "layer '" + graph.layers[i].name + "' " + context + " " + result.error);
        break;
      }
      shape = result.shape;
    }
  }
  return graph;
}

YAML::Node architecture_to_yaml(const Graph& graph) {
  YAML::Node out(YAML::NodeType::Map);
  YAML::Node input(YAML::NodeType::Sequence);
  for (auto d : graph.input_shape) input.push_back(d);
  input.SetStyle(YAML::EmitterStyle::Flow);
  out["input"] = input;
  YAML::Node layers(YAML::NodeType::Sequence);
  for (const auto& layer : graph.layers) {
    YAML::Node entry(YAML::NodeType::Map);
    entry["type"] = layer_kind_name(layer.kind);
    entry["name"] = layer.name;
    LayerParams params = layer.params;
    OptionTable table;
    declare_layer_params(layer.kind, params, table);
    // declare_layer_params() resets the bound fields to defaults; restore the layer's values.
    params = layer.params;
    for (const auto& item : table.current_yaml()) entry[item.first] = item.second;
    entry.SetStyle(YAML::EmitterStyle::Flow);
    layers.push_back(entry);
  }
  out["layers"] = layers;
  return out;
}

YAML::Node import_to_yaml(const ModelSource& source, bool absolute, bool fingerprint) {
  YAML::Node out(YAML::NodeType::Map);
  out["from"] = absolute ? source.path.string() : source.from;
  if (!source.input.empty()) {
    YAML::Node input(YAML::NodeType::Sequence);
    for (auto d : source.input) input.push_back(d);
    input.SetStyle(YAML::EmitterStyle::Flow);
    out["input"] = input;
  }
  if (fingerprint) out["sha256"] = source.sha256;
  return out;
}

}  // namespace hlslim
