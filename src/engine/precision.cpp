#include "hlslim/engine/precision.hpp"

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

constexpr const char* kRoleNames[] = {"weight", "bias", "accum", "result"};

std::string layer_context(const Graph& graph, const Layer& layer) {
  return "model '" + graph.name + "', layer '" + layer.name + "'";
}

// A layer needs a role when its kind takes it, except the bias of a dense or conv layer built
// without one.
bool needs_role(const Layer& layer, const std::string& role) {
  const bool has_bias_param = layer.kind == LayerKind::kDense || layer.kind == LayerKind::kConv1d ||
                              layer.kind == LayerKind::kConv2d;
  return !(role == "bias" && has_bias_param && !layer.params.bias);
}

// Parses one precision attribute; `context` names where it came from for the message.
FixedType parse_precision_attr(const std::optional<AttrValue>& value, const std::string& key,
                               const std::string& context) {
  if (!value) throw Error(context + ": " + key + " missing");
  const auto* text = std::get_if<std::string>(&*value);
  if (!text)
    throw Error(context + ": " + key + " must be a precision string such as 'fixed<16,6>'");
  FixedTypeResult parsed = parse_fixed_type(*text);
  if (!parsed) throw Error(context + ": " + key + " '" + *text + "': " + parsed.error);
  return *parsed.type;
}

}  // namespace

std::optional<FixedType>* LayerPrecision::role(const std::string& name) {
  if (name == "weight") return &weight;
  if (name == "bias") return &bias;
  if (name == "accum") return &accum;
  if (name == "result") return &result;
  return nullptr;
}

const std::optional<FixedType>* LayerPrecision::role(const std::string& name) const {
  return const_cast<LayerPrecision*>(this)->role(name);
}

std::vector<std::string> precision_roles(LayerKind kind) {
  switch (kind) {
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
      return {"weight", "bias", "accum", "result"};
    case LayerKind::kBatchNorm:
      return {"weight", "bias", "result"};
    case LayerKind::kLeakyRelu:
      return {"weight", "result"};
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalAvgPool:
      return {"accum", "result"};
    case LayerKind::kRelu:
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kGlobalMaxPool:
      return {"result"};
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kDropout:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      return {};
  }
  return {};
}

bool engine_supports(LayerKind kind) {
  return kind != LayerKind::kTanh && kind != LayerKind::kSigmoid && kind != LayerKind::kSoftmax;
}

std::string precision_attr(const std::string& role) {
  return "precision." + role;
}

bool has_precision(const Graph& graph) {
  return graph.default_attrs.count(kInputPrecisionAttr) > 0;
}

ModelPrecision read_precision(const Graph& graph) {
  ModelPrecision out;
  const auto input = graph.default_attrs.find(kInputPrecisionAttr);
  out.input = parse_precision_attr(
      input == graph.default_attrs.end() ? std::nullopt : std::optional<AttrValue>(input->second),
      kInputPrecisionAttr, "model '" + graph.name + "'");
  out.layers.reserve(graph.layers.size());
  for (const Layer& layer : graph.layers) {
    LayerPrecision& lp = out.layers.emplace_back();
    for (const std::string& role : precision_roles(layer.kind)) {
      if (!needs_role(layer, role)) continue;
      const std::string key = precision_attr(role);
      *lp.role(role) =
          parse_precision_attr(graph.resolve_attr(layer, key), key, layer_context(graph, layer));
    }
  }
  return out;
}

void store_precision(Graph& graph, const ModelPrecision& precision) {
  if (precision.layers.size() != graph.layers.size()) {
    throw Error("model '" + graph.name + "': precisions for " +
                std::to_string(precision.layers.size()) + " layers, the graph has " +
                std::to_string(graph.layers.size()));
  }
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    Layer& layer = graph.layers[i];
    for (const char* role : kRoleNames) {
      const std::string key = precision_attr(role);
      if (const auto& type = *precision.layers[i].role(role)) {
        layer.attrs[key] = type->to_string();
      } else if (!engine_supports(layer.kind)) {
        // The engine says nothing about these layers (softmax, ...): keep what they resolved to
        // before the defaults below disappear, so their exported precision does not change.
        if (auto resolved = graph.resolve_attr(layer, key)) layer.attrs[key] = *resolved;
      }
    }
  }
  for (const char* role : kRoleNames) {
    const std::string key = precision_attr(role);
    graph.default_attrs.erase(key);
    for (auto& [type, attrs] : graph.type_attrs) attrs.erase(key);
  }
  for (auto& [type, attrs] : graph.type_attrs) attrs.erase(kInputPrecisionAttr);
  for (Layer& layer : graph.layers) layer.attrs.erase(kInputPrecisionAttr);
  graph.default_attrs[kInputPrecisionAttr] = precision.input.to_string();
}

}  // namespace hlslim
