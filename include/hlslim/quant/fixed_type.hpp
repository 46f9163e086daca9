#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hlslim {

/// ap_fixed quantization (rounding) modes, applied when a value has more fractional bits than
/// the destination type. Names and rules follow Vivado/Vitis HLS and SystemC (docs/fixed-point.md).
enum class QuantMode {
  kTrn,        ///< toward minus infinity (the default)
  kTrnZero,    ///< toward zero
  kRnd,        ///< to nearest, halves toward plus infinity
  kRndZero,    ///< to nearest, halves toward zero
  kRndMinInf,  ///< to nearest, halves toward minus infinity
  kRndInf,     ///< to nearest, halves away from zero
  kRndConv,    ///< to nearest, halves to even (convergent)
};

/// ap_fixed overflow modes, applied when a value lies outside the destination's range.
enum class OverflowMode {
  kWrap,     ///< keep the low W bits (the default; silent)
  kSat,      ///< clamp to the nearest limit
  kSatZero,  ///< replace by zero
  kSatSym,   ///< signed: clamp to [-max, max], so -2^(W-1) becomes -max; unsigned: as kSat
};

/// Upper limits of the emulator: raws are int64_t, so a signed type has at most 64 bits and an
/// unsigned one at most 63. Integer bits are kept within +-kMaxIntegerBitsMagnitude so that every
/// step is a normal double.
inline constexpr int kMaxSignedWidth = 64;
inline constexpr int kMaxUnsignedWidth = 63;
inline constexpr int kMaxIntegerBitsMagnitude = 512;

/// An ap_fixed / ap_ufixed type: W total bits of which I are integer bits (the sign bit included
/// when signed). I may be negative or larger than W, as ap_fixed allows; the value of a raw
/// integer r is r * 2^-F with F = W - I fractional bits. Build one with parse_fixed_type() or
/// make_fixed_type(); a default-constructed FixedType is fixed<16,6>.
struct FixedType {
  bool is_signed = true;
  int width = 16;
  int integer_bits = 6;
  QuantMode quant = QuantMode::kTrn;
  OverflowMode overflow = OverflowMode::kWrap;

  /// F = W - I (negative when I > W: then the step is larger than 1).
  int fraction_bits() const { return width - integer_bits; }
  /// Smallest and largest raw integers: [-2^(W-1), 2^(W-1)-1] signed, [0, 2^W-1] unsigned.
  std::int64_t raw_min() const;
  std::int64_t raw_max() const;
  /// 2^-F, the value of one raw unit.
  double step() const;
  /// raw_min() and raw_max() as values (exact when W <= 53).
  double min() const;
  double max() const;
  /// Canonical hls4ml spelling: "fixed<8,3>", "ufixed<8,3,RND_CONV,SAT>"; default modes are
  /// omitted, and a non-default overflow mode forces the quantization mode to be spelled out.
  /// Round-trips through parse_fixed_type().
  std::string to_string() const;

  friend bool operator==(const FixedType& a, const FixedType& b) {
    return a.is_signed == b.is_signed && a.width == b.width && a.integer_bits == b.integer_bits &&
           a.quant == b.quant && a.overflow == b.overflow;
  }
  friend bool operator!=(const FixedType& a, const FixedType& b) { return !(a == b); }
};

/// The outcome of parsing or building a FixedType: `type` is set on success, otherwise `error`
/// holds a one-line message naming the problem.
struct FixedTypeResult {
  std::optional<FixedType> type;
  std::string error;

  explicit operator bool() const { return type.has_value(); }
};

/// Checks the limits (1 <= W <= 64 signed / 63 unsigned, |I| <= 512) and builds the type.
/// Never throws; see FixedTypeResult.
FixedTypeResult make_fixed_type(bool is_signed, int width, int integer_bits,
                                QuantMode quant = QuantMode::kTrn,
                                OverflowMode overflow = OverflowMode::kWrap);

/// Parses hls4ml precision strings: `fixed<W,I>`, `fixed<W,I,Q>`, `fixed<W,I,Q,O>`,
/// `fixed<W,I,Q,O,N>` (N must be 0), the same with `ufixed`, `ap_fixed` and `ap_ufixed`, and
/// `int<N>`, `uint<N>`, `ap_int<N>`, `ap_uint<N>` (I = W). Spaces are allowed around every token;
/// mode names may carry the `AP_` prefix. Never throws; errors name the problem, e.g.
/// "total bits must be at least 1, got 0".
FixedTypeResult parse_fixed_type(std::string_view text);

/// Mode names without prefix ("RND_CONV", "SAT_SYM").
std::string_view quant_mode_name(QuantMode mode);
std::string_view overflow_mode_name(OverflowMode mode);

/// Parses a mode name, with or without the `AP_` prefix; nullopt when unknown.
std::optional<QuantMode> parse_quant_mode(std::string_view name);
std::optional<OverflowMode> parse_overflow_mode(std::string_view name);

}  // namespace hlslim
