#include "hlslim/train/prune_options.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/prune/masks.hpp"
#include "hlslim/prune/structured.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

const EnumNames<PruneMethod>& prune_method_names() {
  static const EnumNames<PruneMethod> names{{"magnitude", PruneMethod::kMagnitude},
                                            {"structured", PruneMethod::kStructured}};
  return names;
}

const EnumNames<UnitNorm>& unit_norm_names() {
  static const EnumNames<UnitNorm> names{{"l1", UnitNorm::kL1}, {"l2", UnitNorm::kL2}};
  return names;
}

const EnumNames<PruneScope>& prune_scope_names() {
  static const EnumNames<PruneScope> names{{"layer", PruneScope::kLayer},
                                           {"global", PruneScope::kGlobal}};
  return names;
}

const EnumNames<PruneSchedule>& prune_schedule_names() {
  static const EnumNames<PruneSchedule> names{{"one_shot", PruneSchedule::kOneShot},
                                              {"constant", PruneSchedule::kConstant},
                                              {"polynomial", PruneSchedule::kPolynomial}};
  return names;
}

void PruneOptions::declare(OptionTable& t, double default_sparsity) {
  t.add_enum("method", method_, PruneMethod::kMagnitude, prune_method_names(),
             "'magnitude': mask single weights of smallest magnitude; 'structured': mask whole "
             "neurons (dense) and filters (conv) of smallest norm and remove them at the end, "
             "with the inputs they fed, so that the layers become smaller.");
  t.add_enum("criterion", criterion_, UnitNorm::kL2, unit_norm_names(),
             "Method 'structured': the norm of a unit's weights that ranks the units.");
  t.add_float("sparsity", sparsity_, default_sparsity,
              "Final fraction of weights (method 'magnitude') or of each layer's units (method "
              "'structured') to remove.")
      .min(0)
      .max(0.99);
  t.add_enum("scope", scope_, PruneScope::kLayer, prune_scope_names(),
             "'layer': every layer reaches its own target; 'global': one magnitude threshold "
             "across the pruned layers, reaching `sparsity` over all of them (method "
             "'magnitude' only).");
  t.add_yaml("layers", layers_,
             "Per-layer targets by layer name or type (name wins), a fraction or 'exclude': "
             "{out: exclude, conv1d: 0.3}. Other dense/conv layers use `sparsity`.");
  t.add_enum("schedule", schedule_, PruneSchedule::kPolynomial, prune_schedule_names(),
             "'one_shot' and 'constant': prune to `sparsity` at `begin_step` (0: before "
             "fine-tuning) and keep those masks; 'polynomial': from `initial_sparsity` at "
             "`begin_step` to `sparsity` at `end_step`, (1 - progress)^`power`, updated every "
             "`frequency` steps.");
  t.add_float("initial_sparsity", initial_sparsity_, 0.0, "Polynomial schedule: starting sparsity.")
      .min(0)
      .max(0.99);
  t.add_int("begin_step", begin_step_, 0, "Step at which pruning starts.").min(0);
  t.add_int("end_step", end_step_, -1,
            "Polynomial schedule: step at which `sparsity` is reached; -1: at `end_fraction` "
            "of the training steps.")
      .min(-1);
  t.add_float("end_fraction", end_fraction_, 0.67,
              "Polynomial schedule without `end_step`: fraction of the training steps at which "
              "`sparsity` is reached; the rest fine-tunes at the final sparsity, and only epochs "
              "that end there can become the result.")
      .greater_than(0)
      .max(0.95);
  t.add_int("frequency", frequency_, 100, "Steps between mask updates.").min(1);
  t.add_float("power", power_, 3.0, "Polynomial schedule exponent.").greater_than(0);
}

void PruneOptions::configure(const OptionValues& values, Diagnostics& diagnostics,
                             const std::string& who) {
  if (scope_ == PruneScope::kGlobal && method_ == PruneMethod::kStructured) {
    diagnostics.error(values.pos("scope"),
                      who +
                          "scope 'global' does not apply to method 'structured': every layer "
                          "removes its own fraction of units; use scope 'layer'");
  }
  layers_pos_ = values.pos("layers");
  if (!layers_.IsMap()) {
    diagnostics.error(layers_pos_,
                      who + "'layers' must map layer names or types to a fraction or 'exclude'");
    return;
  }
  for (const auto& item : layers_) {
    double fraction = 0;
    const bool excluded = item.second.IsScalar() && item.second.Scalar() == "exclude";
    if (!excluded &&
        (!item.second.IsScalar() || !YAML::convert<double>::decode(item.second, fraction) ||
         fraction < 0 || fraction > 0.99)) {
      diagnostics.error(layers_pos_, who + "target of layer '" + item.first.Scalar() +
                                         "' must be a fraction from 0 to 0.99 or 'exclude', "
                                         "got " +
                                         describe_node(item.second));
    }
  }
  if (scope_ == PruneScope::kGlobal) {
    for (const auto& item : layers_) {
      if (!(item.second.IsScalar() && item.second.Scalar() == "exclude")) {
        diagnostics.error(layers_pos_, who +
                                           "scope 'global' takes only 'exclude' in 'layers' (one "
                                           "threshold for all); got a target for '" +
                                           item.first.Scalar() + "'");
      }
    }
  }
}

void PruneOptions::check_model(const Graph& graph, const std::string& model,
                               Diagnostics& diagnostics, const std::string& who) const {
  std::vector<std::string> names;
  for (const auto& layer : graph.layers) names.push_back(layer.name);
  names.insert(names.end(), {"dense", "conv1d", "conv2d"});
  if (layers_.IsMap()) {
    for (const auto& item : layers_) {
      const std::string key = item.first.Scalar();
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        diagnostics.error(layers_pos_, who + "model '" + model +
                                           "' has no layer or prunable type '" + key + "'" +
                                           did_you_mean(key, names));
      }
    }
  }
  if (method_ != PruneMethod::kStructured || !layers_.IsMap()) return;
  // An explicit structured target on a layer whose units cannot be removed is an error; type
  // and model targets simply pass over such layers (targets()).
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const YAML::Node target = layers_[layer.name];
    if (!target || !is_prunable(layer) || (target.IsScalar() && target.Scalar() == "exclude"))
      continue;
    const std::string blocker = removal_blocker(graph, i);
    if (!blocker.empty()) {
      diagnostics.error(layers_pos_, who + "cannot remove units of layer '" + layer.name + "' (" +
                                         layer_kind_name(layer.kind) + ") of model '" + model +
                                         "': " + blocker +
                                         "; exclude it or use method 'magnitude'");
    }
  }
}

std::map<std::string, double> PruneOptions::targets(const Graph& graph) const {
  std::map<std::string, double> out;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    if (!is_prunable(layer)) continue;
    if (method_ == PruneMethod::kStructured && !removal_blocker(graph, i).empty()) continue;
    double fraction = sparsity_;
    bool excluded = false;
    for (const std::string& key : {std::string(layer_kind_name(layer.kind)), layer.name}) {
      if (!layers_.IsMap() || !layers_[key]) continue;
      excluded = layers_[key].Scalar() == "exclude";
      if (!excluded) fraction = layers_[key].as<double>();
    }
    if (!excluded) out[layer.name] = fraction;
  }
  return out;
}

void PruneOptions::prune(Graph& graph, double level,
                         const std::map<std::string, double>& layer_targets) const {
  // Scale the targets to the scheduled overall level: each layer keeps its ratio to `sparsity`
  // (and reaches its own target exactly at the final level).
  std::map<std::string, double> at_level;
  for (const auto& [name, fraction] : layer_targets) {
    at_level[name] = level == sparsity_ ? fraction
                     : sparsity_ > 0    ? fraction * level / sparsity_
                                        : 0.0;
  }
  switch (method_) {
    case PruneMethod::kStructured:
      apply_structured_masks(graph, at_level, criterion_);
      break;
    case PruneMethod::kMagnitude:
      apply_magnitude_masks(graph, at_level, scope_ == PruneScope::kGlobal);
      break;
  }
}

std::int64_t PruneOptions::final_step(std::int64_t total_steps) const {
  if (schedule_ != PruneSchedule::kPolynomial) return begin_step_;
  const std::int64_t end = end_step_ >= 0 ? end_step_
                                          : static_cast<std::int64_t>(std::llround(
                                                static_cast<double>(total_steps) * end_fraction_));
  // The polynomial holds its initial level up to `begin_step` included.
  return std::max(end, begin_step_ + 1);
}

void PruneOptions::finish(Graph& graph) const {
  prune(graph, sparsity_, targets(graph));
}

}  // namespace hlslim
