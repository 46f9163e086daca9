#pragma once

// An independent, deliberately plain implementation of the engine's layer semantics
// (docs/engine.md) in SystemC's sc_fix / sc_ufix, for the oracle test. It knows nothing of the
// engine's internals: it walks every weight (zeros included) and every padded position, and
// lets SystemC do every rounding and overflow. Include after defining SC_INCLUDE_FX.

#include <cmath>
#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim::sc_oracle {

using Val = sc_dt::sc_fxval;
using Vals = std::vector<Val>;

inline sc_dt::sc_fxtype_params sc_params(const FixedType& t) {
  static const sc_dt::sc_q_mode quant[] = {
      sc_dt::SC_TRN,         sc_dt::SC_TRN_ZERO, sc_dt::SC_RND,     sc_dt::SC_RND_ZERO,
      sc_dt::SC_RND_MIN_INF, sc_dt::SC_RND_INF,  sc_dt::SC_RND_CONV};
  static const sc_dt::sc_o_mode overflow[] = {sc_dt::SC_WRAP, sc_dt::SC_SAT, sc_dt::SC_SAT_ZERO,
                                              sc_dt::SC_SAT_SYM};
  return sc_dt::sc_fxtype_params(t.width, t.integer_bits, quant[static_cast<int>(t.quant)],
                                 overflow[static_cast<int>(t.overflow)], 0);
}

// The value an ap_fixed of type t holds after `v` is assigned to it.
inline Val cast(const Val& v, const FixedType& t) {
  if (t.is_signed) return Val(sc_dt::sc_fix(v, sc_params(t)));
  return Val(sc_dt::sc_ufix(v, sc_params(t)));
}

// The raw integer of a value already of type t, read bit by bit.
inline std::int64_t raw_of(const Val& v, const FixedType& t) {
  std::uint64_t bits = 0;
  auto read = [&](const sc_dt::sc_fxnum& n) {
    for (int i = 0; i < t.width; ++i) {
      if (n[i]) bits |= std::uint64_t{1} << i;
    }
  };
  if (t.is_signed) {
    read(sc_dt::sc_fix(v, sc_params(t)));
  } else {
    read(sc_dt::sc_ufix(v, sc_params(t)));
  }
  if (t.is_signed && t.width < 64 && (bits >> (t.width - 1)) != 0)
    bits |= ~std::uint64_t{0} << t.width;
  return static_cast<std::int64_t>(bits);
}

// ---- The oracle: one function per layer type, straight loops -----------------------------

struct Tensor3 {  // channels-first values and their shape [C, H, W] (H = 1 for 1-d)
  Vals v;
  std::int64_t c = 0, h = 1, w = 1;
  const Val& at(std::int64_t ci, std::int64_t y, std::int64_t x) const {
    return v[(ci * h + y) * w + x];
  }
};

inline Tensor3 as_3d(const Vals& v, const Shape& s) {
  Tensor3 t{v, s[0], 1, 1};
  if (s.size() == 2) t.w = s[1];
  if (s.size() == 3) {
    t.h = s[1];
    t.w = s[2];
  }
  return t;
}

inline std::vector<float> weights_of(const Layer& l, const std::string& name) {
  std::vector<float> w = l.tensors.at(name).values;
  const auto mask = l.tensors.find(name + "_mask");
  if (mask != l.tensors.end()) {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] *= mask->second.values[i];
  }
  return w;
}

// Dense is a convolution whose kernel covers the whole (1 x 1 x n) input; conv1d has H = 1.
inline Vals oracle_linear(const Layer& l, const Tensor3& x, const LayerPrecision& p) {
  const std::vector<float> w = weights_of(l, "weight");
  const std::vector<float> b = l.params.bias ? weights_of(l, "bias") : std::vector<float>{};
  const bool is_dense = l.kind == LayerKind::kDense;
  const bool is_2d = l.kind == LayerKind::kConv2d;
  const std::int64_t channels = is_dense ? static_cast<std::int64_t>(x.v.size()) : x.c;
  const std::int64_t kh = is_2d ? l.params.kernel[0] : 1;
  const std::int64_t kw = is_dense ? 1 : l.params.kernel.back();
  const std::int64_t sh = is_2d ? l.params.stride[0] : 1;
  const std::int64_t sw = is_dense ? 1 : l.params.stride.back();
  const bool same = !is_dense && l.params.padding == Padding::kSame;
  const std::int64_t pad_h = same ? (kh - 1) / 2 : 0;
  const std::int64_t pad_w = same ? (kw - 1) / 2 : 0;
  const std::int64_t in_h = is_dense ? 1 : x.h;
  const std::int64_t in_w = is_dense ? 1 : x.w;
  const std::int64_t out_h = same ? in_h : (in_h - kh) / sh + 1;
  const std::int64_t out_w = same ? in_w : (in_w - kw) / sw + 1;
  const std::int64_t filters = is_dense ? l.params.units : l.params.filters;
  Vals out;
  for (std::int64_t f = 0; f < filters; ++f) {
    for (std::int64_t oy = 0; oy < out_h; ++oy) {
      for (std::int64_t ox = 0; ox < out_w; ++ox) {
        Val acc = b.empty() ? Val(0) : cast(cast(Val(double(b[f])), *p.bias), *p.accum);
        for (std::int64_t c = 0; c < channels; ++c) {
          for (std::int64_t ky = 0; ky < kh; ++ky) {
            for (std::int64_t kx = 0; kx < kw; ++kx) {
              const std::int64_t y = oy * sh - pad_h + ky;
              const std::int64_t xx = ox * sw - pad_w + kx;
              Val input(0);
              if (is_dense) {
                input = x.v[c];
              } else if (y >= 0 && y < in_h && xx >= 0 && xx < in_w) {
                input = x.at(c, y, xx);
              }
              const Val weight =
                  cast(Val(double(w[((f * channels + c) * kh + ky) * kw + kx])), *p.weight);
              acc = cast(acc + cast(weight * input, *p.accum), *p.accum);
            }
          }
        }
        out.push_back(cast(acc, *p.result));
      }
    }
  }
  return out;
}

inline Vals oracle_pool(const Layer& l, const Tensor3& x, const LayerPrecision& p) {
  const bool global = l.kind == LayerKind::kGlobalMaxPool || l.kind == LayerKind::kGlobalAvgPool;
  const bool average = l.kind == LayerKind::kAvgPool1d || l.kind == LayerKind::kAvgPool2d ||
                       l.kind == LayerKind::kGlobalAvgPool;
  const bool is_2d = l.kind == LayerKind::kMaxPool2d || l.kind == LayerKind::kAvgPool2d;
  const std::int64_t ph = global ? x.h : is_2d ? l.params.pool[0] : 1;
  const std::int64_t pw = global ? x.w : l.params.pool.back();
  Vals out;
  for (std::int64_t c = 0; c < x.c; ++c) {
    for (std::int64_t oy = 0; oy < x.h / ph; ++oy) {
      for (std::int64_t ox = 0; ox < x.w / pw; ++ox) {
        Val best = x.at(c, oy * ph, ox * pw);
        Val sum(0);
        for (std::int64_t ky = 0; ky < ph; ++ky) {
          for (std::int64_t kx = 0; kx < pw; ++kx) {
            const Val& v = x.at(c, oy * ph + ky, ox * pw + kx);
            if (v > best) best = v;
            if (average) sum = cast(sum + cast(v, *p.accum), *p.accum);
          }
        }
        // Window sizes are powers of two: dividing by one is exact.
        out.push_back(cast(average ? sum * Val(1.0 / double(ph * pw)) : best, *p.result));
      }
    }
  }
  return out;
}

inline Vals oracle_elementwise(const Layer& l, const Tensor3& x, const LayerPrecision& p) {
  Vals out;
  const std::int64_t plane = x.h * x.w;
  for (std::size_t i = 0; i < x.v.size(); ++i) {
    const Val& v = x.v[i];
    switch (l.kind) {
      case LayerKind::kRelu:
        out.push_back(cast(v > Val(0) ? v : Val(0), *p.result));
        break;
      case LayerKind::kLeakyRelu: {
        const Val alpha = cast(Val(l.params.alpha), *p.weight);
        out.push_back(cast(v >= Val(0) ? v : Val(alpha * v), *p.result));
        break;
      }
      case LayerKind::kBatchNorm: {
        const std::size_t c = i / plane;
        const double gamma = l.tensors.at("weight").values[c];
        const double var = l.tensors.at("running_var").values[c];
        const double scale = gamma / std::sqrt(var + l.params.eps);
        const double shift =
            l.tensors.at("bias").values[c] - double(l.tensors.at("running_mean").values[c]) * scale;
        out.push_back(cast(cast(Val(scale), *p.weight) * v + cast(Val(shift), *p.bias), *p.result));
        break;
      }
      default:
        out.push_back(v);  // flatten, reshape, dropout
    }
  }
  return out;
}

// Runs the oracle through a chain; returns the values after every layer.
inline std::vector<Vals> oracle_run(const Graph& g, const ModelPrecision& p, const Vals& input) {
  std::vector<Vals> outputs;
  Vals x = input;
  const std::vector<Shape> shapes = g.shapes();
  for (std::size_t i = 0; i < g.layers.size(); ++i) {
    const Layer& l = g.layers[i];
    const Tensor3 t = as_3d(x, shapes[i]);
    switch (l.kind) {
      case LayerKind::kDense:
      case LayerKind::kConv1d:
      case LayerKind::kConv2d:
        x = oracle_linear(l, t, p.layers[i]);
        break;
      case LayerKind::kMaxPool1d:
      case LayerKind::kMaxPool2d:
      case LayerKind::kAvgPool1d:
      case LayerKind::kAvgPool2d:
      case LayerKind::kGlobalMaxPool:
      case LayerKind::kGlobalAvgPool:
        x = oracle_pool(l, t, p.layers[i]);
        break;
      default:
        x = oracle_elementwise(l, t, p.layers[i]);
        break;
    }
    outputs.push_back(x);
  }
  return outputs;
}

}  // namespace hlslim::sc_oracle
