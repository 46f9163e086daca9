#pragma once

// Bit-accurate emulation of ap_fixed / sc_fixed assignment on raw integers. A value of type T is
// held as its raw integer r (the value is r * 2^-T.fraction_bits()); every function here is
// pure and never throws. The rules are in docs/fixed-point.md and are tested bit for bit
// against SystemC's sc_fixed (tests/quant/systemc_oracle_test.cpp).

#include <cstdint>

#include "hlslim/quant/fixed_type.hpp"

namespace hlslim {

namespace fixed_detail {

using Int128 = __int128;
using UInt128 = unsigned __int128;

/// v * 2^k for k >= 0, exact when it fits in 2^126. Otherwise the result only has to be beyond
/// every representable range (it is, since W <= 64) with the right sign and the right low 64
/// bits (for WRAP): it becomes +-2^100 plus those low bits.
inline Int128 shift_left(Int128 v, int k) {
  if (v == 0 || k == 0) return v;
  const Int128 limit = static_cast<Int128>(1) << (k >= 126 ? 0 : 126 - k);
  if (k < 126 && v < limit && v >= -limit) {
    return static_cast<Int128>(static_cast<UInt128>(v) << k);
  }
  const std::uint64_t low = k >= 64 ? 0 : static_cast<std::uint64_t>(static_cast<UInt128>(v) << k);
  const UInt128 huge = static_cast<UInt128>(1) << 100;
  return static_cast<Int128>((v < 0 ? -huge : huge) + low);
}

/// v / 2^s rounded by `mode`, for s >= 1 and |v| < 2^126. Shifts beyond 127 give the same
/// result as 127 (the quotient is then zero or a fraction of magnitude below one half).
inline Int128 round_shift(Int128 v, int s, QuantMode mode) {
  if (s > 127) s = 127;
  const Int128 q = v >> s;  // arithmetic: floor
  const UInt128 mask = (static_cast<UInt128>(1) << s) - 1;
  const UInt128 rem = static_cast<UInt128>(v) & mask;  // v - q * 2^s, in [0, 2^s)
  if (rem == 0) return q;
  const UInt128 half = static_cast<UInt128>(1) << (s - 1);
  const bool negative = v < 0;
  switch (mode) {
    case QuantMode::kTrn:
      return q;
    case QuantMode::kTrnZero:
      return negative ? q + 1 : q;
    case QuantMode::kRnd:
      return rem >= half ? q + 1 : q;
    case QuantMode::kRndZero:
      return (rem > half || (rem == half && negative)) ? q + 1 : q;
    case QuantMode::kRndMinInf:
      return rem > half ? q + 1 : q;
    case QuantMode::kRndInf:
      return (rem > half || (rem == half && !negative)) ? q + 1 : q;
    case QuantMode::kRndConv:
      return (rem > half || (rem == half && (q & 1) != 0)) ? q + 1 : q;
  }
  return q;
}

/// Fits an exactly quantized raw q into `to` by its overflow mode.
inline std::int64_t apply_overflow(Int128 q, const FixedType& to) {
  const Int128 hi = to.raw_max();
  // SAT_SYM keeps a signed range symmetric: even the exact minimum -2^(W-1) becomes -max.
  const bool symmetric = to.overflow == OverflowMode::kSatSym && to.is_signed;
  const Int128 lo = symmetric ? -hi : static_cast<Int128>(to.raw_min());
  if (q >= lo && q <= hi) return static_cast<std::int64_t>(q);
  switch (to.overflow) {
    case OverflowMode::kWrap: {
      const int w = to.width;
      std::uint64_t bits = static_cast<std::uint64_t>(static_cast<UInt128>(q));
      if (w < 64) bits &= (std::uint64_t{1} << w) - 1;
      if (to.is_signed && w < 64 && (bits >> (w - 1)) != 0) bits |= ~std::uint64_t{0} << w;
      return static_cast<std::int64_t>(bits);
    }
    case OverflowMode::kSat:
      return static_cast<std::int64_t>(q > hi ? hi : lo);
    case OverflowMode::kSatZero:
      return 0;
    case OverflowMode::kSatSym:
      return static_cast<std::int64_t>(q > hi ? hi : lo);
  }
  return 0;
}

/// Converts the exact value v * 2^-from_fraction_bits into `to`.
inline std::int64_t convert(Int128 v, int from_fraction_bits, const FixedType& to) {
  const int shift = from_fraction_bits - to.fraction_bits();
  Int128 q;
  if (shift > 0) {
    q = round_shift(v, shift, to.quant);
  } else {
    q = shift_left(v, -shift);
  }
  return apply_overflow(q, to);
}

}  // namespace fixed_detail

/// The raw integer of `x` assigned to an ap_fixed of type `to`: quantization first (by to.quant,
/// exact for every double), then overflow (by to.overflow). NaN gives 0; +-infinity is treated
/// as a value far beyond the range (so it wraps to 0 under WRAP). Inputs are doubles, which is
/// exact for every value a double holds; float inputs convert to double exactly.
std::int64_t quantize(double x, const FixedType& to);

/// Converts a raw value with `from_fraction_bits` fractional bits (for example an accumulator,
/// or a product whose fraction bits are F1 + F2) into type `to`, exactly as an ap_fixed
/// assignment does: quantization by to.quant, then overflow by to.overflow. from_fraction_bits
/// may be any int (negative means the raw counts multiples of 2^-from_fraction_bits > 1).
inline std::int64_t requantize(std::int64_t raw, int from_fraction_bits, const FixedType& to) {
  return fixed_detail::convert(raw, from_fraction_bits, to);
}

/// Same as requantize() for a raw held in 128 bits, such as a product or a sum of products;
/// exact for |raw| < 2^126.
inline std::int64_t requantize_wide(__int128 raw, int from_fraction_bits, const FixedType& to) {
  return fixed_detail::convert(raw, from_fraction_bits, to);
}

/// The value raw * 2^-F of a raw of type `type` (exact when |raw| < 2^53).
double to_double(std::int64_t raw, const FixedType& type);

/// The full-width product of two raws. Its fraction bits are exactly F1 + F2 (no rounding; HLS
/// computes a full-width product the same way); pass them to requantize() to assign the product
/// to a narrower type. The product of two raws of at most 64 bits always fits in 128 bits.
inline __int128 multiply_raw(std::int64_t a, std::int64_t b) {
  return static_cast<__int128>(a) * static_cast<__int128>(b);
}

}  // namespace hlslim
