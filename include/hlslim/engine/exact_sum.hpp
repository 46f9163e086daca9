#pragma once

// When a fixed-point sum of products is exact: the rule the engine's fast path and the HLS
// export's adder graphs share (docs/engine.md, "Dense and convolution"; docs/export-hls.md,
// "Adder graphs").

#include <cstdint>
#include <vector>

#include "hlslim/quant/fixed_type.hpp"

namespace hlslim {

/// True when bias_acc + sum_i w_i * x_i, accumulated in `accum` with every product assigned to
/// `accum` before it is added (as HLS and the engine do), equals the exact sum in every order,
/// for inputs taking any raw in [x_min, x_max] (x_min <= 0 <= x_max) independently:
/// - no product needs rounding: accum's fraction bits >= product_fraction_bits;
/// - every product alone fits the accumulator, without the bias;
/// - every partial sum, the bias included, fits.
/// "Fits" is [raw_min, raw_max] of `accum`, [-raw_max, raw_max] for a signed SAT_SYM one (its
/// conversion moves even the exact minimum). Each product lies between min(w x_min, w x_max)
/// <= 0 and max(...) >= 0, so the bounds are the bias plus all negative extremes and the bias
/// plus all positive ones. `weights` are raws at product_fraction_bits - (the input's fraction
/// bits); `bias_acc` is the bias already converted to `accum` (raw). Sums whose bounds pass
/// 2^62 in accum's steps count as not exact.
bool sum_is_exact(const FixedType& accum, int product_fraction_bits, std::int64_t x_min,
                  std::int64_t x_max, const std::vector<std::int64_t>& weights,
                  std::int64_t bias_acc);

}  // namespace hlslim
