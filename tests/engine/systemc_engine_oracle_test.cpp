// The engine against an independent, deliberately plain implementation of the same layer
// semantics in SystemC's sc_fix / sc_ufix (sc_layer_oracle.hpp; docs/engine.md, "Testing"), on
// random layers and chains with random types in every mode.

#define SC_INCLUDE_FX
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <systemc>
#include <vector>

#include "engine_test_support.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "sc_layer_oracle.hpp"

// libsystemc refers to sc_main; GoogleTest's main runs the tests and this is never called.
int sc_main(int, char**) {
  return 0;
}

namespace hlslim {
namespace {

using sc_oracle::cast;
using sc_oracle::oracle_run;
using sc_oracle::raw_of;
using sc_oracle::Val;
using sc_oracle::Vals;

// ---- Random cases ---------------------------------------------------------------------------

class CaseMaker {
 public:
  explicit CaseMaker(std::uint64_t seed) : rng_(seed) {}

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return uniform(0, 99) < percent; }

  // Any type of a width in [lo, hi], a quarter of them unsigned, every mode.
  FixedType type(int lo, int hi) {
    const bool is_signed = !chance(25);
    const int w = uniform(lo, is_signed ? hi : std::min(hi, 63));
    return FixedType{is_signed, w, uniform(-2, w + 2), static_cast<QuantMode>(uniform(0, 6)),
                     static_cast<OverflowMode>(uniform(0, 3))};
  }

  // An accumulator for values with `f` fraction bits: narrow ones that overflow, exact wide
  // ones (the engine's fast path), and anything between.
  FixedType accum(int f) {
    FixedType t = type(3, 14);
    const int style = uniform(0, 2);
    if (style == 0) return t;
    const int fraction = f + (style == 1 ? uniform(0, 2) : uniform(-4, 4));
    const int integer = style == 1 ? uniform(4, 20) : uniform(-1, 12);
    t.width = std::clamp(fraction + integer, 1, t.is_signed ? 64 : 63);
    t.integer_bits = t.width - fraction;
    if (t.integer_bits < -512 || t.integer_bits > 512) t.integer_bits = t.width;
    return t;
  }

  // Floats of `type`: its limits, exact halves and quarters of steps, values just beyond the
  // range, zero and a few masked-out zeros.
  std::vector<float> weights(std::size_t n, const FixedType& type) {
    std::vector<float> w(n);
    std::uniform_int_distribution<std::int64_t> raw(type.raw_min() - 2, type.raw_max() + 2);
    for (float& v : w) {
      if (chance(20)) continue;
      v = static_cast<float>(
          std::ldexp(double(raw(rng_)) + uniform(0, 3) * 0.25, -type.fraction_bits()));
    }
    return w;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

struct Case {
  Graph graph;
  ModelPrecision precision;
  std::string kind;
};

// Appends a layer of `kind` to the case, with random parameters fitting the current shape and
// random types for its roles.
void add_layer(CaseMaker& m, Case& c, const Shape& in, const FixedType& in_type, LayerKind kind,
               int max_result_width) {
  Layer l;
  l.name = "l" + std::to_string(c.graph.layers.size());
  l.kind = kind;
  LayerPrecision p;
  p.result = m.type(1, max_result_width);
  const std::int64_t channels = in[0];
  switch (kind) {
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d: {
      p.weight = m.type(1, 10);
      p.bias = m.type(1, 12);
      p.accum = m.accum(p.weight->fraction_bits() + in_type.fraction_bits());
      l.params.bias = m.chance(70);
      std::int64_t fan_in = in[0];
      Shape wshape;
      if (kind == LayerKind::kDense) {
        l.params.units = m.uniform(1, 4);
        wshape = {l.params.units, in[0]};
      } else {
        l.params.filters = m.uniform(1, 3);
        l.params.padding = m.chance(50) ? Padding::kSame : Padding::kValid;
        wshape = {l.params.filters, channels};
        const bool same = l.params.padding == Padding::kSame;
        for (std::size_t d = 1; d < in.size(); ++d) {
          // 'same' also takes kernels larger than the input: some taps then read only padding.
          const std::int64_t k_max =
              same ? std::min<std::int64_t>(in[d] + 2, 5) : std::min<std::int64_t>(in[d], 4);
          const std::int64_t k = m.uniform(1, static_cast<int>(k_max));
          l.params.kernel.push_back(k);
          l.params.stride.push_back(l.params.padding == Padding::kSame ? 1 : m.uniform(1, 2));
          wshape.push_back(k);
          fan_in *= k;
        }
      }
      const std::int64_t outputs = wshape[0];
      l.tensors["weight"] = engine_test::tensor(
          wshape, m.weights(static_cast<std::size_t>(outputs * fan_in), *p.weight));
      if (m.chance(20)) {
        std::vector<float> mask(static_cast<std::size_t>(outputs * fan_in));
        for (float& v : mask) v = m.chance(60) ? 1.0f : 0.0f;
        l.tensors["weight_mask"] = engine_test::tensor(wshape, mask);
      }
      if (l.params.bias) {
        l.tensors["bias"] = engine_test::tensor({outputs}, m.weights(outputs, *p.bias));
      }
      break;
    }
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
      for (std::size_t d = 1; d < in.size(); ++d) {
        l.params.pool.push_back(m.uniform(1, static_cast<int>(std::min<std::int64_t>(in[d], 3))));
      }
      break;
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
      p.accum = m.accum(in_type.fraction_bits());
      for (std::size_t d = 1; d < in.size(); ++d) {
        std::int64_t window = 1;
        while (window * 2 <= std::min<std::int64_t>(in[d], in.size() == 2 ? 4 : 2) &&
               m.chance(70)) {
          window *= 2;
        }
        l.params.pool.push_back(window);
      }
      break;
    case LayerKind::kGlobalAvgPool:
      p.accum = m.accum(in_type.fraction_bits());
      break;
    case LayerKind::kLeakyRelu:
      p.weight = m.type(2, 10);
      l.params.alpha = m.uniform(0, 1000) / 997.0;
      break;
    case LayerKind::kBatchNorm: {
      p.weight = m.type(2, 12);
      p.bias = m.type(2, 12);
      std::uniform_real_distribution<float> u(-2.0f, 2.0f);
      std::vector<float> gamma, beta, mean, var;
      for (std::int64_t i = 0; i < channels; ++i) {
        gamma.push_back(u(m.rng()));
        beta.push_back(u(m.rng()));
        mean.push_back(u(m.rng()));
        var.push_back(std::fabs(u(m.rng())));
      }
      l = engine_test::batch_norm(l.name, gamma, beta, mean, var, 1e-3);
      break;
    }
    case LayerKind::kFlatten:
      p = LayerPrecision{};
      break;
    default:
      break;
  }
  c.graph.layers.push_back(l);
  c.precision.layers.push_back(p);
}

// The case kinds: single layers of every supported type, and short chains like the students
// and teachers of the tool.
const std::vector<std::vector<LayerKind>> kChains = {
    {LayerKind::kDense},
    {LayerKind::kConv1d},
    {LayerKind::kConv2d},
    {LayerKind::kMaxPool1d},
    {LayerKind::kMaxPool2d},
    {LayerKind::kAvgPool1d},
    {LayerKind::kAvgPool2d},
    {LayerKind::kGlobalMaxPool},
    {LayerKind::kGlobalAvgPool},
    {LayerKind::kRelu},
    {LayerKind::kLeakyRelu},
    {LayerKind::kBatchNorm},
    {LayerKind::kFlatten, LayerKind::kDense, LayerKind::kRelu, LayerKind::kDense},
    {LayerKind::kConv1d, LayerKind::kRelu, LayerKind::kFlatten, LayerKind::kDense},
    {LayerKind::kConv2d, LayerKind::kBatchNorm, LayerKind::kMaxPool2d, LayerKind::kGlobalAvgPool},
};

Shape random_input_shape(CaseMaker& m, LayerKind first) {
  switch (first) {
    case LayerKind::kDense:
      return {m.uniform(1, 10)};
    case LayerKind::kConv1d:
    case LayerKind::kMaxPool1d:
      return {m.uniform(1, 3), m.uniform(1, 8)};
    case LayerKind::kAvgPool1d:
      return {m.uniform(1, 3), m.uniform(1, 9)};
    case LayerKind::kGlobalAvgPool:
      return m.chance(50) ? Shape{m.uniform(1, 3), std::int64_t{1} << m.uniform(0, 3)}
                          : Shape{m.uniform(1, 2), std::int64_t{1} << m.uniform(0, 2),
                                  std::int64_t{1} << m.uniform(0, 2)};
    case LayerKind::kConv2d:
      return {m.uniform(1, 2), m.uniform(2, 4), m.uniform(2, 4)};
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool2d:
      return {m.uniform(1, 2), m.uniform(1, 5), m.uniform(1, 5)};
    case LayerKind::kGlobalMaxPool:
      return {m.uniform(1, 3), m.uniform(1, 3), m.uniform(1, 4)};
    case LayerKind::kFlatten:
      return {m.uniform(1, 3), m.uniform(1, 4)};
    default: {
      const int dims = m.uniform(1, 3);
      Shape s{m.uniform(1, 4)};
      for (int d = 1; d < dims; ++d) s.push_back(m.uniform(1, 3));
      return s;
    }
  }
}

Case make_case(CaseMaker& m, std::size_t index, int max_result_width) {
  const std::vector<LayerKind>& kinds = kChains[index % kChains.size()];
  Case c;
  c.graph.name = "oracle";
  c.graph.input_shape = random_input_shape(m, kinds[0]);
  c.precision.input = m.type(1, 16);
  for (const LayerKind kind : kinds) {
    const std::vector<Shape> shapes = c.graph.shapes();
    FixedType in_type = c.precision.input;
    for (const auto& lp : c.precision.layers) {
      if (lp.result) in_type = *lp.result;
    }
    add_layer(m, c, shapes.back(), in_type, kind, max_result_width);
    c.kind += std::string(c.kind.empty() ? "" : "-") + layer_kind_name(kind);
  }
  if (kinds.size() > 1) {
    // The global average of the conv2d chain needs a power-of-two plane: skip otherwise.
    const std::vector<Shape> shapes = c.graph.shapes();
    const std::int64_t plane =
        shape_numel(shapes[shapes.size() - 2]) / shapes[shapes.size() - 2][0];
    if (kinds.back() == LayerKind::kGlobalAvgPool && (plane & (plane - 1)) != 0) {
      c.graph.layers.back().kind = LayerKind::kGlobalMaxPool;
    }
  }
  return c;
}

// An input value for the float path: limits, exact halves and quarters of steps, values past
// the range, or anything in between.
float input_float(CaseMaker& m, const FixedType& t) {
  const int pick = m.uniform(0, 9);
  if (pick == 0) return static_cast<float>(t.min());
  if (pick == 1) return static_cast<float>(t.max());
  std::uniform_int_distribution<std::int64_t> raw(t.raw_min() - 3, t.raw_max() + 3);
  return static_cast<float>(
      std::ldexp(double(raw(m.rng())) + m.uniform(0, 3) * 0.25, -t.fraction_bits()));
}

std::string describe(const Case& c) {
  std::string s =
      c.kind + " input " + shape_str(c.graph.input_shape) + " " + c.precision.input.to_string();
  for (std::size_t i = 0; i < c.precision.layers.size(); ++i) {
    const LayerPrecision& p = c.precision.layers[i];
    s += " | " + c.graph.layers[i].name + ":";
    for (const char* role : {"weight", "bias", "accum", "result"}) {
      if (*p.role(role)) s += std::string(" ") + role + "=" + (*p.role(role))->to_string();
    }
  }
  return s;
}

constexpr int kEventsPerCase = 6;

TEST(EngineOracle, FloatInputsMatchScFixBitForBit) {
  // Results of at most 24 bits, so the engine's float outputs are exact.
  CaseMaker m(20240701);
  std::int64_t evaluations = 0;
  for (std::size_t n = 0; n < 24000; ++n) {
    const Case c = make_case(m, n, 24);
    const FixedEngine engine(c.graph, c.precision);
    const FixedType out_type = engine.value_types().back();
    std::vector<float> x(engine.input_size());
    std::vector<float> y(engine.output_size());
    for (int e = 0; e < kEventsPerCase; ++e) {
      Vals input;
      for (float& v : x) {
        v = input_float(m, c.precision.input);
        input.push_back(cast(Val(double(v)), c.precision.input));
      }
      engine.run(x.data(), 1, y.data());
      const Vals want = oracle_run(c.graph, c.precision, input).back();
      ASSERT_EQ(want.size(), y.size()) << describe(c);
      for (std::size_t j = 0; j < y.size(); ++j) {
        const double scaled = std::ldexp(double(y[j]), out_type.fraction_bits());
        ASSERT_EQ(static_cast<std::int64_t>(scaled), raw_of(want[j], out_type))
            << "output " << j << " of case " << n << ": " << describe(c);
      }
      evaluations += static_cast<std::int64_t>(c.graph.layers.size());
    }
  }
  std::cout << "[ oracle   ] float path: " << evaluations << " layer evaluations, all equal\n";
  EXPECT_GT(evaluations, 200000);
}

TEST(EngineOracle, RawTracesMatchScFixBitForBit) {
  // Results up to 40 bits; every layer's raws compared through trace_raw().
  CaseMaker m(777);
  std::int64_t evaluations = 0;
  for (std::size_t n = 0; n < 12000; ++n) {
    const Case c = make_case(m, n, 40);
    const FixedEngine engine(c.graph, c.precision);
    const FixedType& in_type = c.precision.input;
    // Raws an assignment to the input type can give (SAT_SYM never gives the signed minimum).
    const std::int64_t lo = in_type.overflow == OverflowMode::kSatSym && in_type.is_signed
                                ? -in_type.raw_max()
                                : in_type.raw_min();
    std::uniform_int_distribution<std::int64_t> raw(lo, in_type.raw_max());
    for (int e = 0; e < kEventsPerCase; ++e) {
      std::vector<std::int64_t> x(engine.input_size());
      Vals input;
      for (auto& v : x) {
        const int pick = m.uniform(0, 5);
        v = pick == 0 ? lo : pick == 1 ? in_type.raw_max() : raw(m.rng());
        input.push_back(Val(std::ldexp(double(v), -in_type.fraction_bits())));
      }
      const auto trace = engine.trace_raw(x.data());
      const std::vector<Vals> want = oracle_run(c.graph, c.precision, input);
      for (std::size_t i = 0; i < want.size(); ++i) {
        const FixedType& type = engine.value_types()[i + 1];
        ASSERT_EQ(trace[i].size(), want[i].size());
        for (std::size_t j = 0; j < want[i].size(); ++j) {
          ASSERT_EQ(trace[i][j], raw_of(want[i][j], type))
              << "layer " << i << " value " << j << " of case " << n << ": " << describe(c);
        }
        ++evaluations;
      }
    }
  }
  std::cout << "[ oracle   ] raw traces: " << evaluations << " layer evaluations, all equal\n";
  EXPECT_GT(evaluations, 100000);
}

}  // namespace
}  // namespace hlslim
