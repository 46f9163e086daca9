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

}  // namespace hlslim
