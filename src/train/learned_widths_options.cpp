#include "hlslim/train/learned_widths_options.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {

const EnumNames<WidthGranularity>& width_granularity_names() {
  static const EnumNames<WidthGranularity> names{{"layer", WidthGranularity::kLayer},
                                                 {"channel", WidthGranularity::kChannel},
                                                 {"weight", WidthGranularity::kWeight}};
  return names;
}

void LearnWidthsOptions::declare(OptionTable& t) {
  t.add_bool("enabled", enabled_, false,
             "Learn the fraction bits of weights, biases, the input and ReLU results while "
             "training, against a resource term (docs/quantization.md, 'Learned bit widths').");
  t.add_enum("granularity", granularity_, WidthGranularity::kChannel, width_granularity_names(),
             "Weights and biases learn one width per layer, per output channel or per weight "
             "(activations: one per layer).");
  t.add_int("min_fraction_bits", min_fraction_bits_, -8, "Fewest fraction bits a value may learn.")
      .min(-16)
      .max(16);
  t.add_int("max_fraction_bits", max_fraction_bits_, 12, "Most fraction bits a value may learn.")
      .min(-16)
      .max(16);
  t.add_float("penalty", penalty_, 0.05,
              "Weight of the resource term (the LUT proxy relative to its value at "
              "calibration); with a budget, the starting weight.")
      .min(0);
  OptionTable& budget =
      t.add_group("budget",
                  "A resource target: the penalty weight is adapted after every epoch from the "
                  "LUT estimate, and epochs above the target cannot become the result.");
  budget.add_int("lut", budget_lut_, 0, "LUT target of the estimate (0: none).").min(0);
  budget.add_choice("multiplication", budget_multiplication_, "csd", {"csd", "adder_graph"},
                    "The design the estimate prices, as the export stage's `multiplication`: csd "
                    "(one product per nonzero weight) or adder_graph (each layer's shared "
                    "shift-and-add graph). Set it to what the export builds.");
  t.add_float("learning_rate", learning_rate_, 0.01,
              "Learning rate of the fraction bits (Adam, no weight decay).")
      .greater_than(0);
}

void LearnWidthsOptions::configure(const OptionValues& values, Diagnostics& diagnostics,
                                   const std::string& who) {
  enabled_pos_ = values.pos("enabled");
  if (min_fraction_bits_ > max_fraction_bits_) {
    diagnostics.error(values.pos("max_fraction_bits"),
                      who + "learn_widths.max_fraction_bits (" +
                          std::to_string(max_fraction_bits_) + ") is below min_fraction_bits (" +
                          std::to_string(min_fraction_bits_) + ")");
  }
  if (budget_lut_ > 0 && penalty_ == 0) {
    diagnostics.error(values.group("budget").pos("lut"),
                      who +
                          "learn_widths.budget.lut adapts the penalty weight by factors and "
                          "needs a penalty above 0 to start from");
  }
}

void LearnWidthsOptions::check_model(const Graph& graph, const std::string& model,
                                     const SourcePos& pos, Diagnostics& diagnostics,
                                     const std::string& who) const {
  if (!enabled_) return;
  for (const Layer& layer : graph.layers) {
    if (layer_traits(layer.kind).category != LayerCategory::kLinear) continue;
    std::int64_t rf = 1;
    try {
      rf = layer_reuse_factor(graph, layer, HlsProjectOptions{});
    } catch (const Error&) {
      continue;  // reported by the export
    }
    if (rf == 1) continue;
    diagnostics.error(pos, who + "learn_widths: layer '" + layer.name + "' of model '" + model +
                               "' has reuse factor " + std::to_string(rf) +
                               "; learned widths model the fully unrolled design (reuse factor "
                               "1), where every weight is a constant");
  }
}

HlsProjectOptions LearnWidthsOptions::estimate_options() const {
  HlsProjectOptions options;
  options.multiplication = budget_multiplication_;
  return options;
}

double adapted_penalty(double penalty, std::int64_t lut, std::int64_t budget) {
  const double ratio = static_cast<double>(lut) / static_cast<double>(budget);
  const double exponent = std::clamp(8.0 * (ratio - 1.0), -1.0, 1.0);
  return std::clamp(penalty * std::exp2(exponent), 1e-8, 1e8);
}

}  // namespace hlslim
