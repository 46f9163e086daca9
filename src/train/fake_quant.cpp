#include "hlslim/train/fake_quant.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

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

namespace {

// Rounds to the nearest integer, halves to even, for |y| < 2^51 (every scaled value here: raws
// have at most 24 bits); beyond, y is returned (a double that large is an integer already).
// Adding and subtracting 1.5 * 2^52 leaves the integer part in the significand, rounded by the
// default rounding mode, which is to nearest even; faster than std::nearbyint, a library call.
// (The build uses no -ffast-math, which would allow the compiler to cancel the pair.)
inline double round_half_even(double y) {
  constexpr double kShift = 6755399441055744.0;        // 1.5 * 2^52
  if (!(std::fabs(y) < 2251799813685248.0)) return y;  // 2^51 (and NaN)
  return (y + kShift) - kShift;  // never folded: floating-point addition is not associative
}

double round_scalar(double y, QuantMode mode) {
  switch (mode) {
    case QuantMode::kTrn:
      return std::floor(y);
    case QuantMode::kTrnZero:
      return std::trunc(y);
    case QuantMode::kRnd:
      return std::floor(y + 0.5);
    case QuantMode::kRndZero:
      return y > 0 ? std::ceil(y - 0.5) : y < 0 ? -std::ceil(-y - 0.5) : 0.0;
    case QuantMode::kRndMinInf:
      return std::ceil(y - 0.5);
    case QuantMode::kRndInf:
      return y > 0 ? std::floor(y + 0.5) : y < 0 ? -std::floor(-y + 0.5) : 0.0;
    case QuantMode::kRndConv:
      return round_half_even(y);
  }
  return std::floor(y);
}

// The activation loop of the default modes (RND_CONV, SAT) in float, which the compiler
// vectorizes, for raws within 2^22 and scales far from float's limits; the same values as the
// double loop: scaling by a power of two is exact, clamping to the integer raw bounds before
// rounding is the same as after, adding and subtracting 1.5 * 2^23 rounds |y| < 2^22 to the
// nearest integer with halves to even, and the range bounds lo, hi are exact in float.
struct RoundSatFloat {
  float scale, step, raw_lo, raw_hi, lo, hi;

  template <bool kInside, bool kDelta>
  void run(const float* xp, float* qp, float* ip, float* dp, std::int64_t begin,
           std::int64_t end) const {
    constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
    for (std::int64_t k = begin; k < end; ++k) {
      const float x = xp[k];
      float y = x * scale;
      y = y < raw_lo ? raw_lo : y;
      y = y > raw_hi ? raw_hi : y;
      const float v = ((y + kShift) - kShift) * step;  // never folded (no -ffast-math)
      qp[k] = v;
      const bool in = x >= lo && x <= hi;
      if constexpr (kInside) ip[k] = in ? 1.0f : 0.0f;
      if constexpr (kDelta) dp[k] = in ? v - x : 0.0f;
    }
  }
};

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The fused quantizer of learned_quantize(); the values in double, which holds every scaled
// value and its rounding exactly.
class LearnedQuant : public torch::autograd::Function<LearnedQuant> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor f,
                               const LearnedQuantSpec& spec) {
    const torch::Tensor xc = x.contiguous();
    const torch::Tensor fc = f.detach().contiguous();
    const std::int64_t n = xc.numel();
    // What the backward pass needs: where x is inside the range (saturating activations), and
    // the rounding errors (when the fraction bits learn).
    // (Not for an x without a gradient, such as the network's input.)
    const bool saturates =
        spec.activation && spec.base.overflow != OverflowMode::kWrap && x.requires_grad();
    const bool learns = f.requires_grad();
    torch::Tensor q = torch::empty_like(xc);
    torch::Tensor inside = saturates ? torch::empty_like(xc) : torch::Tensor();
    torch::Tensor delta = learns ? torch::empty_like(xc) : torch::Tensor();
    const float* xp = xc.data_ptr<float>();
    const float* fp = fc.data_ptr<float>() + spec.offset;
    float* qp = q.data_ptr<float>();
    float* ip = saturates ? inside.data_ptr<float>() : nullptr;
    float* dp = learns ? delta.data_ptr<float>() : nullptr;
    const std::int64_t groups = spec.groups >= 0 ? spec.groups : fc.numel() - spec.offset;
    const FixedType& b = spec.base;
    for (std::int64_t g = 0; g < groups; ++g) {
      const int fraction =
          static_cast<int>(std::clamp<double>(std::nearbyint(fp[g]), spec.lo, spec.hi));
      const double scale = std::ldexp(1.0, fraction);
      const double step = std::ldexp(1.0, -fraction);
      const std::int64_t begin = g * spec.per;
      const std::int64_t end = std::min(n, begin + spec.per);
      if (!spec.activation) {
        for (std::int64_t k = begin; k < end; ++k) {
          const float v = static_cast<float>(round_scalar(xp[k] * scale, b.quant) * step);
          qp[k] = v;
          if (dp) dp[k] = v - xp[k];
        }
        continue;
      }
      const int width = b.integer_bits + fraction;
      const double raw_hi =
          b.is_signed ? std::ldexp(1.0, width - 1) - 1 : std::ldexp(1.0, width) - 1;
      const bool symmetric = b.overflow == OverflowMode::kSatSym && b.is_signed;
      const double raw_lo = !b.is_signed ? 0.0 : symmetric ? -raw_hi : -std::ldexp(1.0, width - 1);
      const double lo = raw_lo * step, hi = raw_hi * step;
      const double modulus = std::ldexp(1.0, width);
      if (b.quant == QuantMode::kRndConv && b.overflow == OverflowMode::kSat &&
          raw_hi < 4194304.0 && raw_lo > -4194304.0 && std::abs(fraction) <= 64) {
        const RoundSatFloat loop{static_cast<float>(scale),  static_cast<float>(step),
                                 static_cast<float>(raw_lo), static_cast<float>(raw_hi),
                                 static_cast<float>(lo),     static_cast<float>(hi)};
        if (ip && dp) {
          loop.run<true, true>(xp, qp, ip, dp, begin, end);
        } else if (ip) {
          loop.run<true, false>(xp, qp, ip, dp, begin, end);
        } else if (dp) {
          loop.run<false, true>(xp, qp, ip, dp, begin, end);
        } else {
          loop.run<false, false>(xp, qp, ip, dp, begin, end);
        }
        continue;
      }
      for (std::int64_t k = begin; k < end; ++k) {
        double r = round_scalar(xp[k] * scale, b.quant);
        bool in = true;
        switch (b.overflow) {
          case OverflowMode::kWrap:
            if (r < raw_lo || r > raw_hi) {
              r = std::fmod(r - raw_lo, modulus);
              if (r < 0) r += modulus;
              r += raw_lo;
            }
            break;
          case OverflowMode::kSat:
          case OverflowMode::kSatSym:
            r = std::clamp(r, raw_lo, raw_hi);
            in = xp[k] >= lo && xp[k] <= hi;
            break;
          case OverflowMode::kSatZero:
            if (r < raw_lo || r > raw_hi) r = 0;
            in = xp[k] >= lo && xp[k] <= hi;
            break;
        }
        const float v = static_cast<float>(r * step);
        qp[k] = v;
        if (ip) ip[k] = in ? 1.0f : 0.0f;
        if (dp) dp[k] = in ? v - xp[k] : 0.0f;
      }
    }
    ctx->save_for_backward({inside, delta});
    ctx->saved_data["per"] = spec.per;
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["offset"] = spec.offset;
    ctx->saved_data["f_size"] = fc.numel();
    return q.view(x.sizes());
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor g = grads[0].contiguous();
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0)) grad_x = saved[0].defined() ? g * saved[0] : g;
    if (!ctx->needs_input_grad(1) || !saved[1].defined()) {
      return {grad_x, torch::Tensor(), torch::Tensor()};
    }
    const std::int64_t per = ctx->saved_data["per"].toInt();
    const std::int64_t groups = ctx->saved_data["groups"].toInt();
    const std::int64_t offset = ctx->saved_data["offset"].toInt();
    const std::int64_t f_size = ctx->saved_data["f_size"].toInt();
    torch::Tensor grad_f = groups == f_size ? torch::empty({f_size}) : torch::zeros({f_size});
    const float* gp = g.data_ptr<float>();
    const float* dp = saved[1].data_ptr<float>();
    float* out = grad_f.data_ptr<float>() + offset;
    const std::int64_t n = g.numel();
    for (std::int64_t gr = 0; gr < groups; ++gr) {
      double sum = 0;
      const std::int64_t end = std::min(n, (gr + 1) * per);
      for (std::int64_t k = gr * per; k < end; ++k) sum += static_cast<double>(gp[k]) * dp[k];
      out[gr] = static_cast<float>(-std::log(2.0) * sum);
    }
    return {grad_x, grad_f, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor learned_quantize(const torch::Tensor& x, const torch::Tensor& f,
                               const LearnedQuantSpec& spec) {
  if (x.scalar_type() != torch::kFloat32 || !x.device().is_cpu()) {
    throw std::invalid_argument("learned_quantize: float32 CPU tensors only");
  }
  const std::int64_t groups = spec.groups >= 0 ? spec.groups : f.numel() - spec.offset;
  if (f.dim() != 1 || spec.offset < 0 || groups < 1 || spec.offset + groups > f.numel()) {
    throw std::invalid_argument("learned_quantize: groups outside the fraction bits");
  }
  if (spec.per < 1 || groups * spec.per < x.numel()) {
    throw std::invalid_argument("learned_quantize: groups that do not cover every value");
  }
  return LearnedQuant::apply(x, f, spec);
}

torch::Tensor exact_power_of_two(const torch::Tensor& f) {
  torch::NoGradGuard no_grad;
  // IEEE single: exponent field e + 127 in bits 23..30 and a zero mantissa is exactly 2^e.
  const torch::Tensor bits = (f.to(torch::kInt32) + 127) * (1 << 23);
  return bits.view(torch::kFloat32).to(f.dtype());
}

torch::Tensor quantize_to_grid(const torch::Tensor& x, const torch::Tensor& f, QuantMode mode) {
  torch::NoGradGuard no_grad;
  // In double, as the fused kernel rounds: float32 would take y + 0.5 for y = 0.5 - 2^-25 to 1.
  const torch::Tensor scale = exact_power_of_two(f).to(torch::kFloat64);
  const torch::Tensor xd = x.to(torch::kFloat64);
  return (round_steps(xd * scale, mode) / scale).to(x.dtype());
}

torch::Tensor surrogate_quantize(const torch::Tensor& x, const torch::Tensor& q,
                                 const torch::Tensor& f, const torch::Tensor& inside) {
  // Every added term is exactly zero in the forward pass: x - sg(x) = 0 and 2^0 - 1 = 0.
  const torch::Tensor delta = (q - x).detach();
  const torch::Tensor width_term = torch::exp2(f.detach() - f) - 1.0;
  if (!inside.defined()) return q.detach() + (x - x.detach()) + delta * width_term;
  return q.detach() + (x - x.detach()) * inside + (delta * inside) * width_term;
}

torch::Tensor fake_quantize(const torch::Tensor& x, const FixedType& type) {
  if (x.scalar_type() == torch::kFloat32 && x.device().is_cpu() && type.width <= 24) {
    // One fused operation: the same values and gradients (a fixed type is a learned one whose
    // fraction bits cannot move).
    LearnedQuantSpec spec;
    spec.base = type;
    spec.activation = true;
    spec.lo = spec.hi = type.fraction_bits();
    spec.per = x.numel();
    return LearnedQuant::apply(x, torch::full({1}, static_cast<float>(type.fraction_bits())), spec);
  }
  const torch::Tensor q = quantize_values(x, type);
  if (type.overflow == OverflowMode::kWrap) return x + (q - x).detach();
  // Saturating modes: no gradient beyond the range, where changing x changes nothing.
  const bool symmetric = type.overflow == OverflowMode::kSatSym && type.is_signed;
  const double hi = type.max();
  const double lo = symmetric ? -hi : type.min();
  const torch::Tensor inside = ((x >= lo) & (x <= hi)).to(x.dtype());
  return q.detach() + (x - x.detach()) * inside;
}

}  // namespace hlslim
