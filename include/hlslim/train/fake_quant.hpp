#pragma once

// Fake quantization for quantization-aware training: LibTorch tensors rounded and overflowed
// exactly as an ap_fixed assignment would, kept in floating point.
#include <torch/torch.h>

#include "hlslim/quant/fixed_type.hpp"

namespace hlslim {

/// The values of `x` assigned to an ap_fixed of type `type` (rounding mode, then overflow
/// mode), as floats of x's dtype. Exact, i.e. equal to quantize() of hlslim_quant, whenever
/// every raw integer involved is exactly representable in the dtype (|raw| < 2^24 for float32,
/// < 2^53 for float64). No gradient flows through it.
torch::Tensor quantize_values(const torch::Tensor& x, const FixedType& type);

/// quantize_values() in the forward pass with a straight-through gradient: the gradient passes
/// unchanged where the value lies inside the type's range and is zero where a saturating mode
/// clips it (WRAP passes it everywhere).
torch::Tensor fake_quantize(const torch::Tensor& x, const FixedType& type);

/// 2^f for an integer-valued float tensor f (|f| <= 126), exactly: the float is built from its
/// exponent bits, so no exp2 approximation can round it.
torch::Tensor exact_power_of_two(const torch::Tensor& f);

/// `x` rounded by `mode` to the grid 2^-f of each element, `f` an integer-valued float tensor
/// broadcastable to x (learned fraction bits per layer, channel or weight); no overflow is
/// applied (the caller's integer bits hold every value). Exact like quantize_values(). No
/// gradient flows through it.
torch::Tensor quantize_to_grid(const torch::Tensor& x, const torch::Tensor& f, QuantMode mode);

/// The forward value `q` (x quantized at round(f) fraction bits) with the gradients of
/// learned bit widths (HGQ): straight-through for x where `inside` is 1 (a 0/1 tensor of x's
/// shape; undefined: everywhere), and for the fraction bits `f` the surrogate
/// q = x + sg(delta) 2^-(f - sg(f)) with delta = q - x, i.e. dq/df = -ln 2 * delta, where x is
/// inside (outside, the error is the overflow's, which f does not change). The value is q
/// exactly.
torch::Tensor surrogate_quantize(const torch::Tensor& x, const torch::Tensor& q,
                                 const torch::Tensor& f, const torch::Tensor& inside);

/// How learned_quantize() quantizes: the rounding and overflow of `base`; for an activation
/// (`activation`), the type is `base` with width = base.integer_bits + fraction bits, rounded
/// and overflowed by its modes; for weights, values are rounded to their grid and never
/// overflow (the exported integer bits hold them). Fraction bits are round(f) clamped to
/// [lo, hi]; element k of x (contiguous) belongs to group offset + k / per of f (a 1-D
/// tensor; with `groups` -1, f from `offset` on).
struct LearnedQuantSpec {
  FixedType base;
  bool activation = false;
  int lo = -16, hi = 16;
  std::int64_t per = 1;
  std::int64_t offset = 0;
  std::int64_t groups = -1;
};

/// One fused LibTorch operation (float32 on the CPU) with the value and gradients of
/// quantize_to_grid() / quantize_values() and surrogate_quantize(): forward q exactly, backward
/// straight-through for x (zero where a saturating activation type clips it) and
/// -ln 2 sum(grad * (q - x)) for each fraction-bit group over its values inside the range (0
/// for the elements of f outside the groups, so that many quantizers can share one parameter
/// without a slice each).
torch::Tensor learned_quantize(const torch::Tensor& x, const torch::Tensor& f,
                               const LearnedQuantSpec& spec);

}  // namespace hlslim
