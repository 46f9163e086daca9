#include "hlslim/engine/precision_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>

#include "hlslim/engine/firmware.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What plain `auto` means per role: 16-bit results and inputs, 8-bit weights and biases, all
// rounded to nearest even and saturating (the modes a QONNX Quant node expresses exactly, so
// the hand-off to hls4ml loses nothing). Signedness of inputs and results follows the data
// (unsigned after a ReLU).
FixedType auto_base(const std::string& role) {
  FixedType t;
  if (role == "weight" || role == "bias") {
    t.width = 8;
    t.quant = QuantMode::kRndConv;
    t.overflow = OverflowMode::kSat;
  } else {
    t.width = 16;
    t.quant = QuantMode::kRndConv;
    t.overflow = OverflowMode::kSat;
  }
  return t;
}

FixedType with_integer_bits(FixedType base, int integer_bits, const std::string& where) {
  auto made = make_fixed_type(base.is_signed, base.width, integer_bits, base.quant, base.overflow);
  if (!made) throw Error(where + ": " + made.error);
  return *made.type;
}

// Largest |value| of a tensor, masked entries excluded.
std::pair<double, double> tensor_range(const Layer& layer, const std::string& name) {
  double lo = 0.0, hi = 0.0;
  const auto it = layer.tensors.find(name);
  if (it == layer.tensors.end()) return {lo, hi};
  const auto mask = layer.tensors.find(name + "_mask");
  for (std::size_t i = 0; i < it->second.values.size(); ++i) {
    if (mask != layer.tensors.end() && mask->second.values[i] == 0.0f) continue;
    lo = std::min(lo, static_cast<double>(it->second.values[i]));
    hi = std::max(hi, static_cast<double>(it->second.values[i]));
  }
  return {lo, hi};
}

// Batch norm's engine parameters: scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
std::pair<std::vector<double>, std::vector<double>> norm_affine(const Layer& layer) {
  const auto& t = layer.tensors;
  std::vector<double> scale, shift;
  for (std::size_t c = 0; c < t.at("weight").values.size(); ++c) {
    const double s =
        t.at("weight").values[c] /
        std::sqrt(static_cast<double>(t.at("running_var").values[c]) + layer.params.eps);
    scale.push_back(s);
    shift.push_back(t.at("bias").values[c] - t.at("running_mean").values[c] * s);
  }
  return {scale, shift};
}

std::pair<double, double> span(const std::vector<double>& v) {
  double lo = 0.0, hi = 0.0;
  for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  return {lo, hi};
}

std::pair<double, double> widen(std::pair<double, double> r, double margin) {
  return {r.first < 0 ? r.first * (1 + margin) : r.first,
          r.second > 0 ? r.second * (1 + margin) : r.second};
}

// Worst-case |accumulator| of a dense/conv layer, |bias| + sum |w| * max|x| over its units, with
// weights as quantized (rounding may enlarge them) and the bias as given.
double accumulator_bound(const Layer& layer, const FixedType& input, const FixedType& weight_type) {
  const Tensor& w = layer.tensors.at("weight");
  const auto mask = layer.tensors.find("weight_mask");
  const std::size_t units = static_cast<std::size_t>(w.shape.at(0));
  const std::size_t fan_in = w.values.size() / units;
  const double x = std::max(std::fabs(input.min()), std::fabs(input.max()));
  const auto bias = layer.tensors.find("bias");
  double bound = 0.0;
  for (std::size_t u = 0; u < units; ++u) {
    double sum = bias != layer.tensors.end() ? std::fabs(bias->second.values[u]) : 0.0;
    for (std::size_t i = 0; i < fan_in; ++i) {
      const std::size_t k = u * fan_in + i;
      if (mask != layer.tensors.end() && mask->second.values[k] == 0.0f) continue;
      sum += std::fabs(to_double(quantize(w.values[k], weight_type), weight_type)) * x;
    }
    bound = std::max(bound, sum);
  }
  return bound;
}

// The fraction bits the layer's biases, quantized to `type`, actually use: the largest over
// the biases of the type's fraction bits less the raw value's trailing zero bits (0 when every
// bias is an integer or zero, or the layer has none).
int bias_fraction_bits(const Layer& layer, const FixedType& type) {
  const auto it = layer.tensors.find("bias");
  if (it == layer.tensors.end()) return 0;
  int bits = 0;
  for (float b : it->second.values) {
    std::int64_t raw = quantize(b, type);
    if (raw == 0) continue;
    int used = type.fraction_bits();
    while (used > 0 && raw % 2 == 0) {
      raw /= 2;
      --used;
    }
    bits = std::max(bits, used);
  }
  return bits;
}

std::int64_t pool_size(const Layer& layer, const Shape& input) {
  if (layer.kind == LayerKind::kGlobalAvgPool) {
    std::int64_t n = 1;
    for (std::size_t i = 1; i < input.size(); ++i) n *= input[i];
    return n;
  }
  std::int64_t n = 1;
  for (auto p : layer.params.pool) n *= p;
  return n;
}

// The accumulator of a dense/conv/average-pool layer reading values of type `input`. A concrete
// spec is taken as written; `auto` is wide enough for every sum (the fraction bits of an exact
// product or of the bias, whichever has more, so that the bias enters unrounded too, and the
// integer bits of the worst case), up to 64 bits; `fixed<W,auto>` gets the
// integer bits of the worst case. An average pool's `auto` also holds the mean exactly: the
// input's fraction bits plus log2(window), since hls4ml divides inside the accumulator.
FixedType accumulator_type(const PrecisionSpec& spec, const Layer& layer, const Shape& in,
                           const FixedType& input, const std::optional<FixedType>& weight,
                           const std::optional<FixedType>& bias, const std::string& where) {
  if (spec.kind == PrecisionSpec::Kind::kFixed) return spec.type;
  const bool pooling = !weight;
  const double bound = pooling ? std::max(std::fabs(input.min()), std::fabs(input.max())) *
                                     static_cast<double>(pool_size(layer, in))
                               : accumulator_bound(layer, input, *weight);
  const bool is_signed = pooling ? input.is_signed : true;
  const double lo = is_signed ? -bound : 0.0;
  if (spec.kind == PrecisionSpec::Kind::kAutoIntegerBits) {
    return with_integer_bits(spec.type, integer_bits_for(spec.type, lo, bound), where);
  }
  FixedType probe;
  probe.is_signed = is_signed;
  probe.width = is_signed ? kMaxSignedWidth : kMaxUnsignedWidth;
  const int integer_bits = integer_bits_for(probe, lo, bound);
  int fraction = input.fraction_bits();
  if (pooling) {
    for (std::int64_t n = pool_size(layer, in); n > 1; n /= 2) ++fraction;
  } else {
    fraction += weight->fraction_bits();
    if (bias) fraction = std::max(fraction, bias_fraction_bits(layer, *bias));
  }
  FixedType base = probe;  // TRN and WRAP: nothing to round or overflow when wide enough
  base.width = std::clamp(integer_bits + fraction, 1, probe.width);
  return with_integer_bits(base, integer_bits, where);
}

// `[ap_][u]fixed<W, auto ...` (any case, spaces around tokens) with "auto" replaced by "1", or
// nullopt for any other text. A scan rather than a std::regex: libstdc++ matches `.*` by
// recursion, one stack frame per character, so a long precision string overflowed the stack.
std::optional<std::string> with_stand_in_integer_bits(std::string_view text) {
  const std::string folded = lower(text);
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < folded.size() && std::isspace(static_cast<unsigned char>(folded[i]))) ++i;
  };
  const auto accept = [&](std::string_view word) {
    if (folded.compare(i, word.size(), word) != 0) return false;
    i += word.size();
    return true;
  };
  skip_space();
  accept("ap_");
  accept("u");
  if (!accept("fixed")) return std::nullopt;
  skip_space();
  if (!accept("<")) return std::nullopt;
  skip_space();
  const std::size_t digits = i;
  while (i < folded.size() && std::isdigit(static_cast<unsigned char>(folded[i]))) ++i;
  if (i == digits) return std::nullopt;
  skip_space();
  if (!accept(",")) return std::nullopt;
  skip_space();
  const std::size_t auto_at = i;
  if (!accept("auto")) return std::nullopt;
  skip_space();
  if (i == folded.size() || (folded[i] != ',' && folded[i] != '>')) return std::nullopt;
  return std::string(text.substr(0, auto_at)) + "1" + std::string(text.substr(auto_at + 4));
}

}  // namespace

PrecisionSpecResult parse_precision_spec(std::string_view text) {
  PrecisionSpecResult out;
  PrecisionSpec spec;
  spec.text = std::string(text);
  const std::string folded = lower(text);
  if (folded.find_first_not_of(' ') != std::string::npos &&
      folded.substr(folded.find_first_not_of(' '), 4) == "auto" &&
      folded.find_first_not_of(' ', folded.find_first_not_of(' ') + 4) == std::string::npos) {
    spec.kind = PrecisionSpec::Kind::kAuto;
    out.spec = spec;
    return out;
  }
  // `fixed<W,auto,...>`: parse with a stand-in integer-bit count, which is then ignored.
  const std::optional<std::string> stand_in = with_stand_in_integer_bits(text);
  const bool integer_auto = stand_in.has_value();
  const auto parsed = parse_fixed_type(integer_auto ? *stand_in : std::string(text));
  if (!parsed) {
    out.error = parsed.error;
    return out;
  }
  spec.kind = integer_auto ? PrecisionSpec::Kind::kAutoIntegerBits : PrecisionSpec::Kind::kFixed;
  spec.type = *parsed.type;
  out.spec = spec;
  return out;
}

PrecisionSpec PrecisionRequest::spec_for(const Layer& layer, const std::string& role) const {
  for (const std::string& key : {layer.name, std::string(layer_kind_name(layer.kind))}) {
    const auto it = layers.find(key);
    if (it == layers.end()) continue;
    const auto spec = it->second.find(role);
    if (spec != it->second.end()) return spec->second;
  }
  const auto it = defaults.find(role);
  return it != defaults.end() ? it->second : PrecisionSpec{};
}

int integer_bits_for(const FixedType& base, double lo, double hi) {
  // Start below what is needed and add bits until the range fits: at most a few iterations.
  const double magnitude = std::max(std::fabs(lo), std::fabs(hi));
  if (magnitude == 0) return base.is_signed ? 1 : 0;
  int bits = static_cast<int>(std::floor(std::log2(magnitude))) - 1;
  bits = std::clamp(bits, -kMaxIntegerBitsMagnitude, kMaxIntegerBitsMagnitude);
  for (; bits < kMaxIntegerBitsMagnitude; ++bits) {
    auto made = make_fixed_type(base.is_signed, base.width, bits, base.quant, base.overflow);
    if (!made) continue;
    const FixedType& t = *made.type;
    const bool symmetric = t.overflow == OverflowMode::kSatSym && t.is_signed;
    const double min = symmetric ? -t.max() : t.min();
    if (lo >= min && hi <= t.max()) return bits;
  }
  return kMaxIntegerBitsMagnitude;
}

int activation_width_for(const PrecisionRequest& request) {
  const auto it = request.defaults.find("weight");
  if (it == request.defaults.end() || it->second.kind == PrecisionSpec::Kind::kAuto) {
    return auto_base("weight").width;
  }
  return it->second.type.width;
}

ModelPrecision resolve_precision(const Graph& graph, const PrecisionRequest& request,
                                 const ValueRanges& ranges) {
  const auto shapes = graph.shapes();
  if (ranges.layers.size() != graph.layers.size()) {
    throw Error("model '" + graph.name + "': value ranges for " +
                std::to_string(ranges.layers.size()) + " layers, the model has " +
                std::to_string(graph.layers.size()));
  }
  ModelPrecision out;
  out.layers.resize(graph.layers.size());
  const std::string model = "model '" + graph.name + "'";

  // A spec with data-driven parts made concrete for the value range [lo, hi].
  const auto fit = [&](const PrecisionSpec& spec, const std::string& role,
                       std::pair<double, double> range, bool from_data, const std::string& where,
                       bool activation = false) {
    if (spec.kind == PrecisionSpec::Kind::kFixed) return spec.type;
    FixedType base = spec.kind == PrecisionSpec::Kind::kAuto ? auto_base(role) : spec.type;
    if (spec.kind == PrecisionSpec::Kind::kAuto && activation && request.activation_width) {
      base.width = *request.activation_width;
    }
    if (spec.kind == PrecisionSpec::Kind::kAuto && (role == "input" || role == "result")) {
      base.is_signed = range.first < 0;
    }
    // A signed activation needs a sign bit and one more to hold anything positive.
    if (spec.kind == PrecisionSpec::Kind::kAuto && activation && request.activation_width) {
      base.width = std::max(base.width, base.is_signed ? 2 : 1);
    }
    if (from_data) range = widen(range, request.margin);
    return with_integer_bits(base, integer_bits_for(base, range.first, range.second), where);
  };

  {
    const PrecisionSpec spec = [&] {
      const auto it = request.defaults.find("input");
      return it != request.defaults.end() ? it->second : PrecisionSpec{};
    }();
    out.input = fit(spec, "input", ranges.input, true, model + ", input");
  }
  FixedType value = out.input;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    if (dropped_by_firmware(graph, i)) continue;  // the firmware ends at the logits before it
    if (!engine_supports(layer.kind)) {
      throw Error(model + ", layer '" + layer.name + "': the fixed-point engine does not support " +
                  layer_kind_name(layer.kind) + " layers");
    }
    LayerPrecision& lp = out.layers[i];
    const std::string where = model + ", layer '" + layer.name + "'";
    const auto roles = precision_roles(layer.kind);
    const auto has = [&](const char* role) {
      return std::find(roles.begin(), roles.end(), role) != roles.end();
    };
    std::pair<double, double> weight_range{0, 0}, bias_range{0, 0};
    if (layer.kind == LayerKind::kBatchNorm) {
      const auto [scale, shift] = norm_affine(layer);
      weight_range = span(scale);
      bias_range = span(shift);
    } else if (layer.kind == LayerKind::kLeakyRelu) {
      weight_range = {std::min(0.0, layer.params.alpha), std::max(0.0, layer.params.alpha)};
    } else {
      weight_range = tensor_range(layer, "weight");
      bias_range = tensor_range(layer, "bias");
    }
    if (has("weight")) {
      lp.weight =
          fit(request.spec_for(layer, "weight"), "weight", weight_range, false, where + ", weight");
    }
    if (has("bias")) {
      lp.bias = fit(request.spec_for(layer, "bias"), "bias", bias_range, false, where + ", bias");
    }
    if (has("accum")) {
      lp.accum = accumulator_type(request.spec_for(layer, "accum"), layer, shapes[i], value,
                                  lp.weight, lp.bias, where + ", accum");
    }
    if (has("result")) {
      const bool activation = layer.kind == LayerKind::kRelu || layer.kind == LayerKind::kLeakyRelu;
      lp.result = fit(request.spec_for(layer, "result"), "result", ranges.layers[i], true,
                      where + ", result", activation);
      value = *lp.result;
    }
  }
  return out;
}

}  // namespace hlslim
