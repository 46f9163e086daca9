#include "hlslim/train/quantize_options.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

const std::vector<std::string> kRoles = {"input", "weight", "bias", "accum", "result"};

// Position of a node nested in an option's YAML value: its own mark when it has one.
SourcePos nested_pos(const SourcePos& option, const YAML::Node& node) {
  if (option.line > 0 && node.IsDefined() && !node.Mark().is_null()) {
    return {option.file, node.Mark().line + 1, node.Mark().column + 1};
  }
  return option;
}

// Parses a precision as a config writes it, adding the rule hls4ml precisions keep: integer
// bits never exceed the total (the step would exceed one).
PrecisionSpecResult parse_config_precision(const std::string& text) {
  PrecisionSpecResult result = parse_precision_spec(text);
  if (result.spec && result.spec->kind == PrecisionSpec::Kind::kFixed &&
      result.spec->type.integer_bits > result.spec->type.width) {
    const FixedType& t = result.spec->type;
    result.error = "integer bits " + std::to_string(t.integer_bits) + " exceed total bits " +
                   std::to_string(t.width) + " (the step would be 2^" +
                   std::to_string(t.integer_bits - t.width) + ")";
    result.spec.reset();
  }
  return result;
}

}  // namespace

void QuantizeOptions::declare(OptionTable& t) {
  OptionTable& precision =
      t.add_group("precision",
                  "Model-wide precision per role, in hls4ml's spelling (`fixed<8,3,RND_CONV,"
                  "SAT>`), `fixed<W,auto,...>` (integer bits calibrated) or `auto` "
                  "(docs/quantization.md).");
  precision.add_string("input", default_text_["input"], "auto", "The network's input.");
  precision.add_string("weight", default_text_["weight"], "auto",
                       "Weights (batch norm: scale; leaky ReLU: slope).");
  precision.add_string("bias", default_text_["bias"], "auto", "Biases (batch norm: shift).");
  precision.add_string("accum", default_text_["accum"], "auto",
                       "Accumulators of dense, convolution and average-pool layers; `auto` is "
                       "wide enough that no sum rounds or overflows.");
  precision.add_string("result", default_text_["result"], "auto",
                       "Every layer's output. `auto`: 16 bits, except under quantization-aware "
                       "training (quantize method qat, distill quantize.enabled), where the "
                       "outputs of relu and leaky_relu layers are as wide as the weights "
                       "(docs/quantization.md).");
  t.add_yaml("layers", layers_,
             "Precisions by layer name or type (name wins over type, type over `precision`): "
             "{out: {result: 'fixed<16,6>'}, relu: {result: 'ufixed<8,3>'}}.");
  t.add_bool("fold_batch_norm", fold_batch_norm_, true,
             "Fold batch norms into the dense or convolution layer before them.");
  OptionTable& calibration =
      t.add_group("calibration", "Calibration of `auto` integer bits on training events.");
  calibration
      .add_int("events", calibration_events_, 20000, "Training events to calibrate on (0: all).")
      .min(0);
  calibration
      .add_float("margin", margin_, 0.1,
                 "Calibrated ranges are widened by this fraction before integer bits are "
                 "chosen.")
      .min(0);
}

void QuantizeOptions::configure(const OptionValues& values, Diagnostics& diagnostics,
                                const std::string& who) {
  request_ = PrecisionRequest{};
  request_.margin = margin_;
  const OptionValues& precision = values.group("precision");
  for (const std::string& role : kRoles) {
    const auto parsed = parse_config_precision(default_text_.at(role));
    if (!parsed.spec) {
      diagnostics.error(precision.pos(role), who + "precision." + role + " '" +
                                                 default_text_.at(role) + "': " + parsed.error);
      continue;
    }
    request_.defaults[role] = *parsed.spec;
  }
  layers_pos_ = values.pos("layers");
  layer_key_pos_.clear();
  if (!layers_.IsMap()) {
    diagnostics.error(layers_pos_, who +
                                       "'layers' must map layer names or types to "
                                       "{role: precision}");
    return;
  }
  for (const auto& item : layers_) {
    const std::string key = item.first.Scalar();
    layer_key_pos_[key] = nested_pos(layers_pos_, item.first);
    if (!item.second.IsMap()) {
      diagnostics.error(nested_pos(layers_pos_, item.second),
                        who + "layers." + key +
                            " must map roles (weight, bias, accum, result) to precisions, got " +
                            describe_node(item.second));
      continue;
    }
    for (const auto& entry : item.second) {
      const std::string role = entry.first.Scalar();
      if (role == "input" || std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
        diagnostics.error(nested_pos(layers_pos_, entry.first),
                          who + "unknown role '" + role + "' in layers." + key +
                              " (roles: weight, bias, accum, result)" +
                              did_you_mean(role, {"weight", "bias", "accum", "result"}));
        continue;
      }
      const std::string text = entry.second.IsScalar() ? entry.second.Scalar() : "";
      const auto parsed = parse_config_precision(text);
      if (!parsed.spec) {
        diagnostics.error(nested_pos(layers_pos_, entry.second),
                          who + "layers." + key + "." + role + " '" + text + "': " + parsed.error);
        continue;
      }
      request_.layers[key][role] = *parsed.spec;
    }
  }
}

void QuantizeOptions::set_quantization_aware(bool quantization_aware) {
  request_.activation_width =
      quantization_aware ? std::optional<int>(activation_width_for(request_)) : std::nullopt;
}

void QuantizeOptions::check_model(const Graph& graph, const std::string& model,
                                  const SourcePos& pos, Diagnostics& diagnostics,
                                  const std::string& who) const {
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    // A trailing softmax is dropped by the firmware, which outputs the logits (docs/export.md).
    if (!engine_supports(layer.kind) && !dropped_by_firmware(graph, i)) {
      diagnostics.error(pos, who + "model '" + model + "', layer '" + layer.name +
                                 "': " + layer_kind_name(layer.kind) +
                                 " cannot be quantized (hls4ml computes it with lookup tables, "
                                 "which the fixed-point engine does not model)");
    }
    if (layer.kind == LayerKind::kAvgPool1d || layer.kind == LayerKind::kAvgPool2d) {
      std::int64_t n = 1;
      for (auto p : layer.params.pool) n *= p;
      if ((n & (n - 1)) != 0) {
        diagnostics.error(pos, who + "model '" + model + "', layer '" + layer.name +
                                   "': average pooling over " + std::to_string(n) +
                                   " values; the fixed-point engine divides by a shift and "
                                   "needs a power of two");
      }
    }
  }
  // Keys of `layers`: a layer of this model or a type it has, with roles that layer takes.
  std::vector<std::string> names;
  for (const auto& layer : graph.layers) names.push_back(layer.name);
  for (const auto& layer : graph.layers) names.push_back(layer_kind_name(layer.kind));
  for (const auto& [key, roles] : request_.layers) {
    const Layer* layer = graph.find(key);
    const std::optional<LayerKind> kind =
        layer ? std::optional<LayerKind>(layer->kind) : parse_layer_kind(key);
    const SourcePos& key_pos = layer_key_pos_.at(key);
    if (!layer && (!kind || std::find(names.begin(), names.end(), key) == names.end())) {
      diagnostics.error(key_pos, who + "model '" + model + "' has no layer or layer type '" + key +
                                     "'" + did_you_mean(key, names));
      continue;
    }
    const auto allowed = precision_roles(*kind);
    for (const auto& entry : roles) {
      const std::string& role = entry.first;
      if (std::find(allowed.begin(), allowed.end(), role) == allowed.end()) {
        diagnostics.error(
            key_pos, who + "layers." + key + ": a " + layer_kind_name(*kind) + " layer has no " +
                         role + " precision" +
                         (allowed.empty() ? std::string(" (it has none)")
                                          : " (it has: " + join(allowed, ", ") + ")"));
      }
    }
  }
}

nlohmann::json precision_to_json(const ModelPrecision& precision) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerPrecision& layer : precision.layers) {
    nlohmann::json entry = nlohmann::json::object();
    for (const char* role : {"weight", "bias", "accum", "result"}) {
      if (const auto& type = *layer.role(role)) entry[role] = type->to_string();
    }
    layers.push_back(entry);
  }
  return {{"input", precision.input.to_string()}, {"layers", layers}};
}

ModelPrecision precision_from_json(const nlohmann::json& j) {
  const auto parse = [](const std::string& text) {
    const auto parsed = parse_fixed_type(text);
    if (!parsed) throw Error("precision '" + text + "': " + parsed.error);
    return *parsed.type;
  };
  ModelPrecision out;
  out.input = parse(j.at("input").get<std::string>());
  for (const auto& entry : j.at("layers")) {
    LayerPrecision& layer = out.layers.emplace_back();
    for (const auto& [role, text] : entry.items()) {
      auto* slot = layer.role(role);
      if (!slot) throw Error("unknown precision role '" + role + "'");
      *slot = parse(text.get<std::string>());
    }
  }
  return out;
}

}  // namespace hlslim
