#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// A precision as a config writes it: a concrete ap_fixed type, a type whose integer bits are
/// set from data (`fixed<8,auto,RND_CONV,SAT>`), or `auto` (width, modes and signedness
/// chosen per role too: docs/quantization.md).
struct PrecisionSpec {
  enum class Kind { kFixed, kAutoIntegerBits, kAuto };
  Kind kind = Kind::kAuto;
  FixedType type;  ///< kFixed: the type; kAutoIntegerBits: all but the integer bits
  std::string text;
};

struct PrecisionSpecResult {
  std::optional<PrecisionSpec> spec;
  std::string error;
};

/// Parses `auto`, `fixed<W,auto[,Q[,O]]>` / `ufixed<...>` and every precision string
/// parse_fixed_type() reads. Never throws.
PrecisionSpecResult parse_precision_spec(std::string_view text);

/// Revision of the rules by which resolve_precision() turns a request into types. It is part of
/// the fingerprints of the stages that resolve precisions (quantize, distill), so that a run
/// quantized under older rules is not reused as if it were current: raise it whenever the same
/// request can resolve differently. 2: QAT activations as wide as the weights, and `auto`
/// accumulators that take the bias unrounded.
inline constexpr int kPrecisionRulesRevision = 2;

/// The precisions a quantize stage asks for: per role, the model default, then overrides by
/// layer type and by layer name (name > type > model).
struct PrecisionRequest {
  std::map<std::string, PrecisionSpec> defaults;  ///< role ("input", "weight", ...) -> spec
  std::map<std::string, std::map<std::string, PrecisionSpec>>
      layers;           ///< name/type -> role -> spec
  double margin = 0.1;  ///< calibrated ranges are widened by this fraction before fitting
  /// Width of the `auto` results of activation layers (relu, leaky_relu) when set; unset, they
  /// are 16 bits like every `auto` result. Quantization-aware training sets it to the weights'
  /// width (activation_width_for()).
  std::optional<int> activation_width;

  /// The spec for a layer's role.
  PrecisionSpec spec_for(const Layer& layer, const std::string& role) const;
};

/// The value ranges seen when running the float model on calibration data: the input's and
/// each layer's output (min, max).
struct ValueRanges {
  std::pair<double, double> input{0.0, 0.0};
  std::vector<std::pair<double, double>> layers;
};

/// The `auto` activation width of quantization-aware training: the width of the weight spec
/// (8 when the weights are `auto` too), as QKeras and HGQ users expect activations as narrow
/// as the weights.
int activation_width_for(const PrecisionRequest& request);

/// The smallest number of integer bits for which a type of `base`'s width and signedness holds
/// [lo, hi]; a zero range gives the fewest bits that still hold 0.
int integer_bits_for(const FixedType& base, double lo, double hi);

/// Resolves the request into concrete types, in graph order: weights and biases from their
/// values, results and the input from `ranges` (widened by the margin), accumulators `auto`
/// wide enough that no sum can overflow or round. Throws hlslim::Error naming the layer and
/// role when a type cannot be formed (e.g. more than 64 bits).
ModelPrecision resolve_precision(const Graph& graph, const PrecisionRequest& request,
                                 const ValueRanges& ranges);

}  // namespace hlslim
