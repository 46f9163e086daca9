#include "hlslim/train/fake_quant.hpp"

#include <cmath>

namespace hlslim {
namespace {

// Rounds y (a tensor of values in steps, i.e. x * 2^F) to integers by an ap_fixed mode.
torch::Tensor round_steps(const torch::Tensor& y, QuantMode mode) {
  switch (mode) {
    case QuantMode::kTrn:
      return torch::floor(y);
    case QuantMode::kTrnZero:
      return torch::trunc(y);
    case QuantMode::kRnd:
      return torch::floor(y + 0.5);
    case QuantMode::kRndZero:
      return torch::sign(y) * torch::ceil(torch::abs(y) - 0.5);
    case QuantMode::kRndMinInf:
      return torch::ceil(y - 0.5);
    case QuantMode::kRndInf:
      return torch::sign(y) * torch::floor(torch::abs(y) + 0.5);
    case QuantMode::kRndConv:
      return torch::round(y);  // halves to even
  }
  return torch::floor(y);
}

// Fits integer-valued q into the raw range by an overflow mode.
torch::Tensor overflow_steps(const torch::Tensor& q, const FixedType& type) {
  const double hi = static_cast<double>(type.raw_max());
  const bool symmetric = type.overflow == OverflowMode::kSatSym && type.is_signed;
  const double lo = symmetric ? -hi : static_cast<double>(type.raw_min());
  switch (type.overflow) {
    case OverflowMode::kWrap: {
      const double modulus = std::ldexp(1.0, type.width);
      return torch::remainder(q - lo, modulus) + lo;
    }
    case OverflowMode::kSat:
    case OverflowMode::kSatSym:
      return torch::clamp(q, lo, hi);
    case OverflowMode::kSatZero:
      return torch::where((q < lo) | (q > hi), torch::zeros_like(q), q);
  }
  return q;
}

}  // namespace

torch::Tensor quantize_values(const torch::Tensor& x, const FixedType& type) {
  torch::NoGradGuard no_grad;
  // Scaling by a power of two is exact in floating point, so only the rounding step rounds.
  const double scale = std::ldexp(1.0, type.fraction_bits());
  const torch::Tensor q = overflow_steps(round_steps(x * scale, type.quant), type);
  return q / scale;
}

torch::Tensor fake_quantize(const torch::Tensor& x, const FixedType& type) {
  const torch::Tensor q = quantize_values(x, type);
  if (type.overflow == OverflowMode::kWrap) return x + (q - x).detach();
  // Saturating modes: no gradient beyond the range, where changing x changes nothing.
  const bool symmetric = type.overflow == OverflowMode::kSatSym && type.is_signed;
  const double hi = type.max();
  const double lo = symmetric ? -hi : type.min();
  const torch::Tensor inside = ((x >= lo) & (x <= hi)).to(x.dtype());
  return q.detach() + (x - x.detach()) * inside;
}

torch::Tensor exact_power_of_two(const torch::Tensor& f) {
  torch::NoGradGuard no_grad;
  // IEEE single: exponent field e + 127 in bits 23..30 and a zero mantissa is exactly 2^e.
  const torch::Tensor bits = (f.to(torch::kInt32) + 127) * (1 << 23);
  return bits.view(torch::kFloat32).to(f.dtype());
}

torch::Tensor quantize_to_grid(const torch::Tensor& x, const torch::Tensor& f, QuantMode mode) {
  torch::NoGradGuard no_grad;
  const torch::Tensor scale = exact_power_of_two(f).to(x.dtype());
  return round_steps(x * scale, mode) / scale;
}

torch::Tensor surrogate_quantize(const torch::Tensor& x, const torch::Tensor& q,
                                 const torch::Tensor& f, const torch::Tensor& inside) {
  // Every added term is exactly zero in the forward pass: x - sg(x) = 0 and 2^0 - 1 = 0.
  const torch::Tensor delta = (q - x).detach();
  const torch::Tensor width_term = torch::exp2(f.detach() - f) - 1.0;
  if (!inside.defined()) return q.detach() + (x - x.detach()) + delta * width_term;
  return q.detach() + (x - x.detach()) * inside + (delta * inside) * width_term;
}

}  // namespace hlslim
