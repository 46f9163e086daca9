// The export stage's `parallelization_factors` (docs/export-hls.md): their check against the
// model's convolutions and their writing into the graph for hls4ml.

#include "export_stage.hpp"
#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

const std::string kWho = "stage 'export': ";

}  // namespace

// Every parallelization_factors entry names a convolution or a convolution type, and divides
// the output positions of every convolution it applies to (structured pruning removes filters,
// never positions).
void ExportStage::check_parallelization_factors(const Graph& architecture, const Shape& input,
                                                Diagnostics& diagnostics) const {
  std::vector<std::string> candidates;
  for (const Layer& layer : architecture.layers) candidates.push_back(layer.name);
  for (const auto& [key, value] : parallelization_factors_) {
    const SourcePos& key_pos = parallelization_key_pos_.at(key);
    if (const Layer* layer = architecture.find(key)) {
      if (layer->kind != LayerKind::kConv1d && layer->kind != LayerKind::kConv2d) {
        diagnostics.error(key_pos, kWho + "parallelization_factors." + key + ": layer '" + key +
                                       "' is a " + layer_kind_name(layer->kind) +
                                       " layer (parallelization factors apply to conv1d and "
                                       "conv2d layers)");
      }
    } else if (key != "conv1d" && key != "conv2d") {
      diagnostics.error(key_pos, kWho + "model '" + model_ + "' has no convolution or type '" +
                                     key + "'" + did_you_mean(key, candidates));
    }
  }
  if (input.empty() || parallelization_factors_.empty()) return;
  Graph shaped = architecture;
  shaped.input_shape = input;
  std::vector<Shape> shapes;
  try {
    shapes = shaped.shapes();
  } catch (const Error&) {
    return;  // the stage that builds or trains the model reports it
  }
  for (std::size_t i = 0; i < shaped.layers.size(); ++i) {
    const Layer& layer = shaped.layers[i];
    const std::optional<std::int64_t> positions = conv_output_positions(layer, shapes[i]);
    if (!positions) continue;
    std::string key = layer.name;
    if (!parallelization_factors_.count(key)) key = layer_kind_name(layer.kind);
    if (!parallelization_factors_.count(key)) continue;
    const std::int64_t pf = parallelization_factors_.at(key);
    if (*positions % pf == 0) continue;
    std::vector<std::string> valid;
    for (std::int64_t v : valid_parallelization_factors(*positions))
      valid.push_back(std::to_string(v));
    diagnostics.error(parallelization_pos_.at(key),
                      kWho + "model '" + model_ + "', layer '" + layer.name +
                          "': parallelization factor " + std::to_string(pf) +
                          " does not divide its " + std::to_string(*positions) +
                          " output positions (valid: " + join(valid, ", ") + ")");
  }
}

void ExportStage::apply_parallelization_factors(Graph& graph) const {
  for (const auto& [key, value] : parallelization_factors_) {
    if (Layer* layer = graph.find(key)) {
      layer->attrs["parallelization_factor"] = value;
    } else {
      graph.type_attrs[key]["parallelization_factor"] = value;
    }
  }
}

}  // namespace hlslim
