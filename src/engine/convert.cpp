#include "convert.hpp"

namespace hlslim::engine_detail {

InputQuantizer::InputQuantizer(const FixedType& type)
    : type_(type),
      // Floats lie within 2^-149 and 2^128: scaled by at most 2^100 they stay normal doubles.
      fast_(type.fraction_bits() >= -100 && type.fraction_bits() <= 100),
      scale_(std::ldexp(1.0, type.fraction_bits())),
      lo_(type.overflow == OverflowMode::kSatSym && type.is_signed ? -type.raw_max()
                                                                   : type.raw_min()),
      hi_(type.raw_max()) {}

std::int64_t InputQuantizer::counting(double x, std::int64_t& overflows) const {
  if (std::isnan(x) || x == 0.0) return 0;
  if (std::isinf(x)) {
    ++overflows;
    return quantize(x, type_);
  }
  // x = m * 2^(e - 53) exactly, as quantize() decomposes it.
  int e = 0;
  const auto m = static_cast<std::int64_t>(std::ldexp(std::frexp(x, &e), 53));
  return Converter(53 - e, type_)(m, overflows);
}

}  // namespace hlslim::engine_detail
