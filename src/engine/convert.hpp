#pragma once

// Internal to the engine: conversions with precomputed shifts and ranges, the float input
// quantizer and the stats helpers every step shares.

#include <cmath>
#include <cstdint>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/quant/fixed_point.hpp"

namespace hlslim::engine_detail {

using fixed_detail::Int128;

/// v / 2^s rounded by a quantization mode, as fixed_detail::round_shift() computes it, on int64
/// and without branches: every mode is floor((v + bias) / 2^s) with a bias of 0, 2^(s-1) - 1 or
/// 2^(s-1), plus 2^s - 1 or +-1 for negative v (modes that treat the signs differently), plus
/// the parity of floor(v / 2^s) for RND_CONV (a tie rounds up only from an odd quotient).
/// Valid for 1 <= s <= 62 and |v| < 2^62.
class ShiftRounder {
 public:
  ShiftRounder() = default;
  ShiftRounder(int s, QuantMode mode) : s_(s) {
    const std::int64_t half = std::int64_t{1} << (s - 1);
    switch (mode) {
      case QuantMode::kTrn:
        break;
      case QuantMode::kTrnZero:
        negative_extra_ = (std::int64_t{1} << s) - 1;
        break;
      case QuantMode::kRnd:
        base_ = half;
        break;
      case QuantMode::kRndZero:
        base_ = half - 1;
        negative_extra_ = 1;
        break;
      case QuantMode::kRndMinInf:
        base_ = half - 1;
        break;
      case QuantMode::kRndInf:
        base_ = half;
        negative_extra_ = -1;
        break;
      case QuantMode::kRndConv:
        base_ = half - 1;
        parity_mask_ = 1;
        break;
    }
  }

  std::int64_t operator()(std::int64_t v) const {
    const std::int64_t sign = v >> 63;  // 0 or -1
    const std::int64_t bias = base_ + (negative_extra_ & sign) + ((v >> s_) & parity_mask_);
    return (v + bias) >> s_;
  }

 private:
  int s_ = 1;
  std::int64_t base_ = 0;
  std::int64_t negative_extra_ = 0;
  std::int64_t parity_mask_ = 0;
};

/// Assignment of exact values with a fixed number of fraction bits to one type, as
/// requantize_wide() does, with the shift and the range worked out once. Values below 2^62 in
/// magnitude (nearly all) take an int64 route: a branch-free rounding shift or an exact
/// multiplication, then the range check; apply_overflow() runs only for values outside it.
class Converter {
 public:
  Converter() = default;
  Converter(int from_fraction_bits, const FixedType& to)
      : shift_(from_fraction_bits - to.fraction_bits()),
        to_(to),
        hi_(to.raw_max()),
        // SAT_SYM moves even the exact minimum of a signed type (apply_overflow does the same).
        lo_(to.overflow == OverflowMode::kSatSym && to.is_signed ? -hi_ : to.raw_min()) {
    constexpr std::int64_t kLimit = std::int64_t{1} << 62;
    if (shift_ > 62) {
      small_limit_ = 0;  // such shifts always take the 128-bit route
    } else if (shift_ > 0) {
      rounder_ = ShiftRounder(shift_, to.quant);
      small_limit_ = kLimit;
    } else if (shift_ > -62) {
      factor_ = std::int64_t{1} << -shift_;
      small_limit_ = kLimit >> -shift_;
    } else {
      small_limit_ = 1;  // only zero
    }
  }

  /// The value in steps of the destination, quantized but not yet fitted to its range.
  Int128 quantized(Int128 v) const {
    if (v < small_limit_ && v > -small_limit_) {
      const auto small = static_cast<std::int64_t>(v);
      return shift_ > 0 ? rounder_(small) : small * factor_;
    }
    return shift_ > 0 ? fixed_detail::round_shift(v, shift_, to_.quant)
                      : fixed_detail::shift_left(v, -shift_);
  }
  /// True when the overflow mode leaves q as it is.
  bool in_range(Int128 q) const { return q >= lo_ && q <= hi_; }

  std::int64_t operator()(Int128 v) const {
    const Int128 q = quantized(v);
    return in_range(q) ? static_cast<std::int64_t>(q) : fixed_detail::apply_overflow(q, to_);
  }
  /// The same, adding one to `overflows` when the overflow mode had to act.
  std::int64_t operator()(Int128 v, std::int64_t& overflows) const {
    const Int128 q = quantized(v);
    if (in_range(q)) return static_cast<std::int64_t>(q);
    ++overflows;
    return fixed_detail::apply_overflow(q, to_);
  }

  const FixedType& type() const { return to_; }
  std::int64_t lo() const { return lo_; }
  std::int64_t hi() const { return hi_; }

 private:
  int shift_ = 0;
  FixedType to_;
  std::int64_t hi_ = 0;  // every type's limits fit in int64
  std::int64_t lo_ = 0;
  std::int64_t small_limit_ = 0;
  std::int64_t factor_ = 1;
  ShiftRounder rounder_;
};

/// Quantizes float inputs to the input type exactly as quantize() does, several times faster:
/// for |fraction bits| <= 100 a float times 2^F is an exact double, and while it stays below
/// 2^62 its floor and remainder are exact too, so the rounding rules can be applied to doubles.
/// Everything else (NaN, infinities, huge values, extreme types) goes to quantize().
class InputQuantizer {
 public:
  InputQuantizer() = default;
  explicit InputQuantizer(const FixedType& type);

  std::int64_t operator()(float x) const {
    const double y = static_cast<double>(x) * scale_;
    if (!fast_ || !(std::fabs(y) < 0x1p62)) return quantize(x, type_);
    const double floor_y = std::floor(y);
    const auto q0 = static_cast<std::int64_t>(floor_y);
    const std::int64_t q = q0 + round_up(y - floor_y, y < 0, q0);
    return q >= lo_ && q <= hi_ ? q : fixed_detail::apply_overflow(q, type_);
  }

  /// The raw, adding one to `overflows` when the value lies outside the type's range (exact
  /// for every double; slower).
  std::int64_t counting(double x, std::int64_t& overflows) const;

 private:
  // 1 when the quantization mode rounds floor(y) up, given the remainder y - floor(y).
  int round_up(double rem, bool negative, std::int64_t floor_y) const {
    if (rem == 0.0) return 0;
    switch (type_.quant) {
      case QuantMode::kTrn:
        return 0;
      case QuantMode::kTrnZero:
        return negative ? 1 : 0;
      case QuantMode::kRnd:
        return rem >= 0.5 ? 1 : 0;
      case QuantMode::kRndZero:
        return rem > 0.5 || (rem == 0.5 && negative) ? 1 : 0;
      case QuantMode::kRndMinInf:
        return rem > 0.5 ? 1 : 0;
      case QuantMode::kRndInf:
        return rem > 0.5 || (rem == 0.5 && !negative) ? 1 : 0;
      case QuantMode::kRndConv:
        return rem > 0.5 || (rem == 0.5 && (floor_y & 1) != 0) ? 1 : 0;
    }
    return 0;
  }

  FixedType type_;
  bool fast_ = false;
  double scale_ = 1.0;
  std::int64_t lo_ = 0;
  std::int64_t hi_ = 0;
};

/// The exact value v * 2^-fraction_bits as a double (rounded only beyond 53 bits).
inline double value_of(Int128 v, int fraction_bits) {
  return std::ldexp(static_cast<double>(v), -fraction_bits);
}

inline void observe(LayerStats& stats, double value) {
  if (value < stats.min_seen) stats.min_seen = value;
  if (value > stats.max_seen) stats.max_seen = value;
}

}  // namespace hlslim::engine_detail
