#include "qonnx_quant.hpp"

#include <cmath>

#include "hlslim/quant/fixed_point.hpp"

namespace hlslim::onnx_export {

QuantSpec quant_spec(const FixedType& type) {
  QuantSpec spec;
  spec.scale = std::ldexp(1.0, -type.fraction_bits());
  spec.bitwidth = type.width;
  spec.is_signed = type.is_signed;
  switch (type.quant) {
    case QuantMode::kTrn:
      spec.rounding = "FLOOR";
      break;
    case QuantMode::kTrnZero:
      spec.rounding = "FLOOR";
      spec.mismatches.push_back(
          "TRN_ZERO truncates toward zero but the Quant rounds toward -infinity (FLOOR): negative "
          "values between two steps differ by one step");
      break;
    case QuantMode::kRndConv:
      spec.rounding = "ROUND";
      break;
    case QuantMode::kRnd:
    case QuantMode::kRndZero:
    case QuantMode::kRndMinInf:
    case QuantMode::kRndInf: {
      spec.rounding = "ROUND";
      const char* ties = type.quant == QuantMode::kRnd         ? "toward +infinity"
                         : type.quant == QuantMode::kRndZero   ? "toward zero"
                         : type.quant == QuantMode::kRndMinInf ? "toward -infinity"
                                                               : "away from zero";
      spec.mismatches.push_back(std::string(quant_mode_name(type.quant)) + " rounds ties " + ties +
                                " but the Quant rounds them to even (ROUND): values exactly "
                                "halfway between two steps may differ by one step");
      break;
    }
  }
  switch (type.overflow) {
    case OverflowMode::kSat:
      break;
    case OverflowMode::kSatSym:
      spec.narrow = type.is_signed;  // an unsigned SAT_SYM is plain saturation
      break;
    case OverflowMode::kWrap:
      spec.mismatches.push_back(
          "WRAP wraps values beyond the range around but the Quant saturates them");
      break;
    case OverflowMode::kSatZero:
      spec.mismatches.push_back(
          "SAT_ZERO sets values beyond the range to 0 but the Quant saturates them");
      break;
  }
  return spec;
}

float quantized_float(double x, const FixedType& type, bool& exact) {
  const double value = to_double(quantize(x, type), type);
  const float f = static_cast<float>(value);
  if (static_cast<double>(f) != value) exact = false;
  return f;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

}  // namespace hlslim::onnx_export
