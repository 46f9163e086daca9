// Bit-for-bit comparison of quantize() and requantize() with SystemC's sc_fix / sc_ufix, whose
// semantics ap_fixed shares (docs/hls-handoff.md, "Fixed-point types").

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

#include "hlslim/quant/fixed_point.hpp"

// libsystemc refers to sc_main; GoogleTest's main runs the tests and this is never called.
int sc_main(int, char**) {
  return 0;
}

namespace hlslim {
namespace {

sc_dt::sc_q_mode sc_quant(QuantMode q) {
  switch (q) {
    case QuantMode::kTrn:
      return sc_dt::SC_TRN;
    case QuantMode::kTrnZero:
      return sc_dt::SC_TRN_ZERO;
    case QuantMode::kRnd:
      return sc_dt::SC_RND;
    case QuantMode::kRndZero:
      return sc_dt::SC_RND_ZERO;
    case QuantMode::kRndMinInf:
      return sc_dt::SC_RND_MIN_INF;
    case QuantMode::kRndInf:
      return sc_dt::SC_RND_INF;
    case QuantMode::kRndConv:
      return sc_dt::SC_RND_CONV;
  }
  return sc_dt::SC_TRN;
}

sc_dt::sc_o_mode sc_overflow(OverflowMode o) {
  switch (o) {
    case OverflowMode::kWrap:
      return sc_dt::SC_WRAP;
    case OverflowMode::kSat:
      return sc_dt::SC_SAT;
    case OverflowMode::kSatZero:
      return sc_dt::SC_SAT_ZERO;
    case OverflowMode::kSatSym:
      return sc_dt::SC_SAT_SYM;
  }
  return sc_dt::SC_WRAP;
}

sc_dt::sc_fxtype_params sc_params(const FixedType& t) {
  return sc_dt::sc_fxtype_params(t.width, t.integer_bits, sc_quant(t.quant),
                                 sc_overflow(t.overflow), 0);
}

// The raw integer of a SystemC fixed-point number, read bit by bit (exact for any W <= 64).
std::int64_t raw_of(const sc_dt::sc_fxnum& v, const FixedType& t) {
  std::uint64_t bits = 0;
  for (int i = 0; i < t.width; ++i) {
    if (v[i]) bits |= std::uint64_t{1} << i;
  }
  if (t.is_signed && t.width < 64 && (bits >> (t.width - 1)) != 0)
    bits |= ~std::uint64_t{0} << t.width;
  return static_cast<std::int64_t>(bits);
}

// sc_fxval holds any value exactly (arbitrary precision), so it is the oracle's source.
std::int64_t oracle_assign(const sc_dt::sc_fxval& value, const FixedType& t) {
  if (t.is_signed) {
    sc_dt::sc_fix v(value, sc_params(t));
    return raw_of(v, t);
  }
  sc_dt::sc_ufix v(value, sc_params(t));
  return raw_of(v, t);
}

std::vector<FixedType> representative_types() {
  std::vector<FixedType> types;
  const int widths[] = {1, 2, 4, 6, 8, 12, 16, 32, 53, 63, 64};
  for (int w : widths) {
    const int integers[] = {-2, 0, 1, 3, 6, w, w + 3};
    for (int i : integers) {
      for (bool is_signed : {true, false}) {
        if (!is_signed && w > kMaxUnsignedWidth) continue;
        for (int q = 0; q < 7; ++q) {
          for (int o = 0; o < 4; ++o) {
            types.push_back(FixedType{is_signed, w, i, static_cast<QuantMode>(q),
                                      static_cast<OverflowMode>(o)});
          }
        }
      }
    }
  }
  return types;
}

// Doubles that probe `t`: every half step near zero and near both limits, the limits and values
// just and far beyond them, and random values at finer than the step.
std::vector<double> probe_values(const FixedType& t, std::mt19937_64& rng) {
  std::vector<double> xs;
  const int f = t.fraction_bits();
  const double step = t.step();
  const double lo = t.min();
  const double hi = t.max();
  for (int k = -12; k <= 12; ++k) xs.push_back(k * step / 2);
  for (double edge : {lo, hi}) {
    for (int k = -8; k <= 8; ++k) xs.push_back(edge + k * step / 2);
    for (double d : {step / 4, step / 8, step * 3 / 4}) {
      xs.push_back(edge + d);
      xs.push_back(edge - d);
    }
  }
  for (double far : {2.0, 3.0, 1000.0, 1e6, 1e30, 1e300}) {
    xs.push_back((hi - lo + step) * far);
    xs.push_back(-(hi - lo + step) * far);
  }
  xs.push_back(std::ldexp(1.0, -f - 40));
  xs.push_back(-std::ldexp(1.0, -f - 40));
  xs.push_back(-0.0);
  // Random raws with 1..12 extra fraction bits, spread over three times the range.
  const int magnitude_bits = std::min(t.width + 1, 50);
  std::uniform_int_distribution<int> extra(1, 12);
  for (int n = 0; n < 400; ++n) {
    const int e = extra(rng);
    const std::int64_t span = std::int64_t{1} << std::min(magnitude_bits + e, 52);
    std::uniform_int_distribution<std::int64_t> r(-span, span);
    xs.push_back(std::ldexp(static_cast<double>(r(rng)), -f - e));
  }
  // Random doubles with all 53 mantissa bits, across the range and beyond.
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (int n = 0; n < 100; ++n) xs.push_back(u(rng) * std::max(std::fabs(lo), hi));
  return xs;
}

TEST(SystemcOracle, QuantizeMatchesScFixBitForBit) {
  std::mt19937_64 rng(20240611);
  std::size_t cases = 0;
  for (const FixedType& t : representative_types()) {
    for (double x : probe_values(t, rng)) {
      if (!std::isfinite(x)) continue;
      const std::int64_t want = oracle_assign(sc_dt::sc_fxval(x), t);
      const std::int64_t got = quantize(x, t);
      ASSERT_EQ(got, want) << t.to_string() << " of " << x << " (hex " << std::hexfloat << x
                           << std::defaultfloat << ")";
      ++cases;
    }
  }
  std::cout << "[ oracle   ] quantize: " << cases << " cases, all equal\n";
}

TEST(SystemcOracle, RequantizeMatchesScFixBitForBit) {
  std::mt19937_64 rng(7);
  std::size_t cases = 0;
  std::uniform_int_distribution<int> bits(1, 63);
  std::uniform_int_distribution<int> from_f(-8, 40);
  for (const FixedType& t : representative_types()) {
    for (int n = 0; n < 150; ++n) {
      const int b = bits(rng);
      std::uniform_int_distribution<std::int64_t> r(-(std::int64_t{1} << (b - 1)),
                                                    (std::int64_t{1} << (b - 1)) - 1);
      const std::int64_t raw = r(rng);
      // Mostly near the destination's resolution, sometimes anywhere.
      const int f1 = n % 3 == 0 ? from_f(rng) : t.fraction_bits() + from_f(rng) / 4;
      const sc_dt::sc_fxval value = sc_dt::sc_fxval(static_cast<sc_dt::int64>(raw)) >> f1;
      const std::int64_t want = oracle_assign(value, t);
      ASSERT_EQ(requantize(raw, f1, t), want)
          << t.to_string() << " of raw " << raw << " with " << f1 << " fraction bits";
      ++cases;
    }
  }
  std::cout << "[ oracle   ] requantize: " << cases << " cases, all equal\n";
}

TEST(SystemcOracle, RequantizedProductMatchesScFix) {
  // A full-width product of two raws, F1 + F2 fraction bits, assigned to a narrow type.
  std::mt19937_64 rng(11);
  std::size_t cases = 0;
  std::uniform_int_distribution<std::int64_t> r(INT64_MIN, INT64_MAX);
  std::uniform_int_distribution<int> f(-4, 60);
  for (const FixedType& t : representative_types()) {
    for (int n = 0; n < 30; ++n) {
      const std::int64_t a = r(rng) >> (n % 50 + 1);
      const std::int64_t b = r(rng) >> (n % 40 + 1);
      const int fa = f(rng);
      const int fb = f(rng);
      const sc_dt::sc_fxval value = (sc_dt::sc_fxval(static_cast<sc_dt::int64>(a)) >> fa) *
                                    (sc_dt::sc_fxval(static_cast<sc_dt::int64>(b)) >> fb);
      ASSERT_EQ(requantize_wide(multiply_raw(a, b), fa + fb, t), oracle_assign(value, t))
          << t.to_string() << " of " << a << " * " << b << " with " << fa << " + " << fb;
      ++cases;
    }
  }
  std::cout << "[ oracle   ] products: " << cases << " cases, all equal\n";
}

TEST(SystemcOracle, TemplatedScFixedAgrees) {
  // sc_fixed<W,I,Q,O> and the dynamic sc_fix share one implementation; check a few anyway.
  const FixedType t1{true, 8, 3, QuantMode::kRndConv, OverflowMode::kSat};
  const FixedType t2{false, 6, 2, QuantMode::kRnd, OverflowMode::kWrap};
  const FixedType t3{true, 12, -2, QuantMode::kTrnZero, OverflowMode::kSatSym};
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-20.0, 20.0);
  for (int n = 0; n < 2000; ++n) {
    const double x = std::round(u(rng) * 512) / 512;
    sc_dt::sc_fixed<8, 3, sc_dt::SC_RND_CONV, sc_dt::SC_SAT> a = x;
    sc_dt::sc_ufixed<6, 2, sc_dt::SC_RND, sc_dt::SC_WRAP> b = x;
    sc_dt::sc_fixed<12, -2, sc_dt::SC_TRN_ZERO, sc_dt::SC_SAT_SYM> c = x / 64;
    ASSERT_EQ(quantize(x, t1), raw_of(a, t1)) << x;
    ASSERT_EQ(quantize(x, t2), raw_of(b, t2)) << x;
    ASSERT_EQ(quantize(x / 64, t3), raw_of(c, t3)) << x / 64;
  }
}

}  // namespace
}  // namespace hlslim
