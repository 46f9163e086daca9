#include "hlslim/quant/fixed_point.hpp"

#include <cmath>

namespace hlslim {

std::int64_t quantize(double x, const FixedType& to) {
  if (std::isnan(x)) return 0;
  if (std::isinf(x)) {
    // 1 * 2^4096 is beyond every range: SAT modes clamp, WRAP keeps its zero low bits.
    return fixed_detail::convert(x > 0 ? 1 : -1, -4096, to);
  }
  if (x == 0.0) return 0;
  // x = m * 2^(e - 53) exactly, with |m| < 2^53.
  int e = 0;
  const double f = std::frexp(x, &e);
  const auto m = static_cast<std::int64_t>(std::ldexp(f, 53));
  return fixed_detail::convert(m, 53 - e, to);
}

double to_double(std::int64_t raw, const FixedType& type) {
  return std::ldexp(static_cast<double>(raw), -type.fraction_bits());
}

}  // namespace hlslim
