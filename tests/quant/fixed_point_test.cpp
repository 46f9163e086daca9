#include "hlslim/quant/fixed_point.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace hlslim {
namespace {

FixedType parse_ok(const std::string& text) {
  const FixedTypeResult r = parse_fixed_type(text);
  EXPECT_TRUE(r.type.has_value()) << text << ": " << r.error;
  return r.type.value_or(FixedType{});
}

std::string parse_error(const std::string& text) {
  const FixedTypeResult r = parse_fixed_type(text);
  EXPECT_FALSE(r.type.has_value()) << text << " parsed as " << r.type->to_string();
  return r.error;
}

FixedType fx(int w, int i, QuantMode q = QuantMode::kTrn, OverflowMode o = OverflowMode::kWrap) {
  return FixedType{true, w, i, q, o};
}

FixedType ufx(int w, int i, QuantMode q = QuantMode::kTrn, OverflowMode o = OverflowMode::kWrap) {
  return FixedType{false, w, i, q, o};
}

// ---- Parsing and printing ----

TEST(FixedTypeParse, AcceptsHls4mlSpellings) {
  EXPECT_EQ(parse_ok("fixed<8,3>"), fx(8, 3));
  EXPECT_EQ(parse_ok(" ap_fixed < 8 , 3 , AP_RND_CONV , AP_SAT > "),
            fx(8, 3, QuantMode::kRndConv, OverflowMode::kSat));
  EXPECT_EQ(parse_ok("ufixed<10,0,RND>"), ufx(10, 0, QuantMode::kRnd));
  EXPECT_EQ(parse_ok("ap_ufixed<6,2,TRN,SAT_SYM>"),
            ufx(6, 2, QuantMode::kTrn, OverflowMode::kSatSym));
  EXPECT_EQ(parse_ok("fixed<8,3,RND,WRAP,0>"), fx(8, 3, QuantMode::kRnd));
  EXPECT_EQ(parse_ok("fixed<8,3,AP_RND_ZERO,AP_SAT_ZERO,0>"),
            fx(8, 3, QuantMode::kRndZero, OverflowMode::kSatZero));
  EXPECT_EQ(parse_ok("fixed<16,-2,RND_MIN_INF>"), fx(16, -2, QuantMode::kRndMinInf));
  EXPECT_EQ(parse_ok("fixed<4,6,RND_INF,WRAP>"), fx(4, 6, QuantMode::kRndInf));
  EXPECT_EQ(parse_ok("fixed<8,3,TRN_ZERO>"), fx(8, 3, QuantMode::kTrnZero));
  EXPECT_EQ(parse_ok("int<8>"), fx(8, 8));
  EXPECT_EQ(parse_ok("ap_int<16>"), fx(16, 16));
  EXPECT_EQ(parse_ok("uint<4>"), ufx(4, 4));
  EXPECT_EQ(parse_ok("ap_uint< 3 >"), ufx(3, 3));
  EXPECT_EQ(parse_ok("fixed<64,32>"), fx(64, 32));
  EXPECT_EQ(parse_ok("ufixed<63,1>"), ufx(63, 1));
}

TEST(FixedTypeParse, PrintsCanonicalForm) {
  EXPECT_EQ(fx(8, 3).to_string(), "fixed<8,3>");
  EXPECT_EQ(fx(8, 3, QuantMode::kRndConv, OverflowMode::kSat).to_string(),
            "fixed<8,3,RND_CONV,SAT>");
  EXPECT_EQ(ufx(10, 0, QuantMode::kRnd).to_string(), "ufixed<10,0,RND>");
  EXPECT_EQ(fx(8, 3, QuantMode::kTrn, OverflowMode::kSat).to_string(), "fixed<8,3,TRN,SAT>");
  EXPECT_EQ(parse_ok("int<8>").to_string(), "fixed<8,8>");
  EXPECT_EQ(parse_ok("ap_ufixed<6, -2, AP_RND_INF, AP_SAT_SYM, 0>").to_string(),
            "ufixed<6,-2,RND_INF,SAT_SYM>");
}

TEST(FixedTypeParse, EveryTypeRoundTrips) {
  int count = 0;
  for (bool is_signed : {true, false}) {
    for (int w : {1, 7, 16, 63}) {
      for (int i : {-5, 0, 1, w, w + 4}) {
        for (int q = 0; q < 7; ++q) {
          for (int o = 0; o < 4; ++o) {
            const FixedTypeResult made = make_fixed_type(is_signed, w, i, static_cast<QuantMode>(q),
                                                         static_cast<OverflowMode>(o));
            ASSERT_TRUE(made) << made.error;
            const std::string text = made.type->to_string();
            const FixedTypeResult back = parse_fixed_type(text);
            ASSERT_TRUE(back) << text << ": " << back.error;
            EXPECT_EQ(*back.type, *made.type) << text;
            EXPECT_EQ(back.type->to_string(), text);
            ++count;
          }
        }
      }
    }
  }
  EXPECT_EQ(count, 2 * 4 * 5 * 7 * 4);
}

TEST(FixedTypeParse, ExactErrorTexts) {
  EXPECT_EQ(parse_error("fixed<0,0>"), "total bits must be at least 1, got 0");
  EXPECT_EQ(parse_error("uint<0>"), "total bits must be at least 1, got 0");
  EXPECT_EQ(parse_error("fixed<65,3>"),
            "total bits must be at most 64, got 65 (raw values are held in int64_t)");
  EXPECT_EQ(parse_error("ufixed<64,3>"),
            "unsigned total bits must be at most 63, got 64 (raw values are held in int64_t)");
  EXPECT_EQ(parse_error("fixed<8,600>"), "integer bits must be between -512 and 512, got 600");
  EXPECT_EQ(parse_error("fixed<8,3,RND_UP>"),
            "unknown rounding mode 'RND_UP' (expected one of: TRN, TRN_ZERO, RND, RND_ZERO, "
            "RND_MIN_INF, RND_INF, RND_CONV)");
  EXPECT_EQ(parse_error("fixed<8,3,RND,CLAMP>"),
            "unknown overflow mode 'CLAMP' (expected one of: WRAP, SAT, SAT_ZERO, SAT_SYM)");
  EXPECT_EQ(parse_error("fixed<8,3,RND,SAT,2>"),
            "saturation bits N must be 0, got 2 (only the default N = 0 is supported)");
  EXPECT_EQ(parse_error("fixed<8,3,RND,SAT,x>"), "saturation bits must be an integer, got 'x'");
  EXPECT_EQ(parse_error("fixed<8>"), "fixed takes 2 to 5 arguments (W,I[,Q[,O[,N]]]), got 1");
  EXPECT_EQ(parse_error("ufixed<8,1,RND,SAT,0,0>"),
            "ufixed takes 2 to 5 arguments (W,I[,Q[,O[,N]]]), got 6");
  EXPECT_EQ(parse_error("int<8,3>"), "int takes 1 argument (N), got 2");
  EXPECT_EQ(parse_error("float<8,3>"),
            "unknown type 'float' (expected fixed, ufixed, int or uint, optionally with the ap_ "
            "prefix)");
  EXPECT_EQ(parse_error("fixed<a,3>"), "total bits must be an integer, got 'a'");
  EXPECT_EQ(parse_error("fixed<8,3.5>"), "integer bits must be an integer, got '3.5'");
  EXPECT_EQ(parse_error("fixed<8,3"), "expected '>' at the end of precision 'fixed<8,3'");
  EXPECT_EQ(parse_error("fixed<8,3>x"), "expected '>' at the end of precision 'fixed<8,3>x'");
  EXPECT_EQ(parse_error("auto"), "expected '<' in precision 'auto' (e.g. fixed<16,6>)");
  EXPECT_EQ(parse_error("  "), "empty precision string");
  EXPECT_EQ(parse_error("fixed<8,<3>>"), "unexpected '<' or '>' inside precision 'fixed<8,<3>>'");
}

TEST(FixedTypeParse, ModeNames) {
  EXPECT_EQ(parse_quant_mode("AP_RND_CONV"), QuantMode::kRndConv);
  EXPECT_EQ(parse_quant_mode("trn_zero"), QuantMode::kTrnZero);
  EXPECT_EQ(parse_quant_mode("AP_"), std::nullopt);
  EXPECT_EQ(parse_overflow_mode("AP_SAT_SYM"), OverflowMode::kSatSym);
  EXPECT_EQ(parse_overflow_mode("SAT_"), std::nullopt);
  EXPECT_EQ(quant_mode_name(QuantMode::kRndMinInf), "RND_MIN_INF");
  EXPECT_EQ(overflow_mode_name(OverflowMode::kSatZero), "SAT_ZERO");
}

TEST(FixedTypeAccessors, StepAndRange) {
  const FixedType t = fx(8, 3);
  EXPECT_EQ(t.fraction_bits(), 5);
  EXPECT_EQ(t.step(), 1.0 / 32);
  EXPECT_EQ(t.min(), -4.0);
  EXPECT_EQ(t.max(), 4.0 - 1.0 / 32);
  EXPECT_EQ(t.raw_min(), -128);
  EXPECT_EQ(t.raw_max(), 127);
  const FixedType u = ufx(8, 3);
  EXPECT_EQ(u.min(), 0.0);
  EXPECT_EQ(u.max(), 8.0 - 1.0 / 32);
  EXPECT_EQ(u.raw_max(), 255);
  const FixedType neg = fx(4, -2);  // step 2^-6, range [-1/8, 7/64]
  EXPECT_EQ(neg.fraction_bits(), 6);
  EXPECT_EQ(neg.min(), -0.125);
  EXPECT_EQ(neg.max(), 7.0 / 64);
  const FixedType big = fx(4, 6);  // step 4, range [-32, 28]
  EXPECT_EQ(big.fraction_bits(), -2);
  EXPECT_EQ(big.step(), 4.0);
  EXPECT_EQ(big.min(), -32.0);
  EXPECT_EQ(big.max(), 28.0);
  EXPECT_EQ(fx(64, 64).raw_min(), INT64_MIN);
  EXPECT_EQ(fx(64, 64).raw_max(), INT64_MAX);
  EXPECT_EQ(ufx(63, 63).raw_max(), INT64_MAX);
  EXPECT_EQ(fx(1, 1).raw_min(), -1);
  EXPECT_EQ(fx(1, 1).raw_max(), 0);
}

// ---- Quantization: fixed<4,2> has step 0.25 and range [-2, 1.75] ----

struct RoundingCase {
  double x;
  // Expected raws for TRN, TRN_ZERO, RND, RND_ZERO, RND_MIN_INF, RND_INF, RND_CONV.
  std::int64_t want[7];
};

TEST(Quantize, EveryRoundingModeByHand) {
  const RoundingCase cases[] = {
      {0.375, {1, 1, 2, 1, 1, 2, 2}},          // 1.5 steps
      {0.625, {2, 2, 3, 2, 2, 3, 2}},          // 2.5 steps
      {-0.375, {-2, -1, -1, -1, -2, -2, -2}},  // -1.5 steps
      {-0.625, {-3, -2, -2, -2, -3, -3, -2}},  // -2.5 steps
      {0.3, {1, 1, 1, 1, 1, 1, 1}},            // 1.2 steps
      {0.45, {1, 1, 2, 2, 2, 2, 2}},           // 1.8 steps
      {-0.3, {-2, -1, -1, -1, -1, -1, -1}},    // -1.2 steps
      {-0.45, {-2, -1, -2, -2, -2, -2, -2}},   // -1.8 steps
      {0.5, {2, 2, 2, 2, 2, 2, 2}},            // exact
      {-1.0e-9, {-1, 0, 0, 0, 0, 0, 0}},       // tiny negative
  };
  for (const RoundingCase& c : cases) {
    for (int q = 0; q < 7; ++q) {
      const FixedType t = fx(4, 2, static_cast<QuantMode>(q));
      EXPECT_EQ(quantize(c.x, t), c.want[q]) << t.to_string() << " of " << c.x;
    }
  }
}

struct OverflowCase {
  double x;
  // Expected raws for WRAP, SAT, SAT_ZERO, SAT_SYM.
  std::int64_t want[4];
};

TEST(Quantize, EveryOverflowModeByHand) {
  const OverflowCase signed_cases[] = {
      {2.0, {-8, 7, 0, 7}},      // raw 8: one past the top
      {-2.0, {-8, -8, -8, -7}},  // the exact minimum: SAT_SYM keeps the range symmetric
      {-2.25, {7, -8, 0, -7}},   // raw -9
      {5.0, {4, 7, 0, 7}},       // raw 20 wraps to 4
      {-5.0, {-4, -8, 0, -7}},   // raw -20 wraps to -4
      {1.75, {7, 7, 7, 7}},      // the exact maximum
      {1e30, {0, 7, 0, 7}},      // far beyond: the low bits of 1e30 * 4 are zero
  };
  for (const OverflowCase& c : signed_cases) {
    for (int o = 0; o < 4; ++o) {
      const FixedType t = fx(4, 2, QuantMode::kTrn, static_cast<OverflowMode>(o));
      EXPECT_EQ(quantize(c.x, t), c.want[o]) << t.to_string() << " of " << c.x;
    }
  }
  // ufixed<4,2>: range [0, 3.75]; SAT_SYM acts as SAT.
  const OverflowCase unsigned_cases[] = {
      {-0.25, {15, 0, 0, 0}},
      {4.0, {0, 15, 0, 15}},
      {4.25, {1, 15, 0, 15}},
      {3.75, {15, 15, 15, 15}},
  };
  for (const OverflowCase& c : unsigned_cases) {
    for (int o = 0; o < 4; ++o) {
      const FixedType t = ufx(4, 2, QuantMode::kTrn, static_cast<OverflowMode>(o));
      EXPECT_EQ(quantize(c.x, t), c.want[o]) << t.to_string() << " of " << c.x;
    }
  }
}

TEST(Quantize, RoundsBeforeOverflow) {
  // 1.875 is 7.5 steps: RND makes it 8, which then overflows.
  EXPECT_EQ(quantize(1.875, fx(4, 2, QuantMode::kRnd)), -8);
  EXPECT_EQ(quantize(1.875, fx(4, 2, QuantMode::kRnd, OverflowMode::kSat)), 7);
  EXPECT_EQ(quantize(1.875, fx(4, 2, QuantMode::kTrn)), 7);
}

TEST(Quantize, IntegerBitsOutsideZeroToW) {
  EXPECT_EQ(quantize(10.0, fx(4, 6)), 2);  // step 4: 2.5 steps
  EXPECT_EQ(quantize(10.0, fx(4, 6, QuantMode::kRnd)), 3);
  EXPECT_EQ(quantize(10.0, fx(4, 6, QuantMode::kRndConv)), 2);
  EXPECT_EQ(quantize(0.05, fx(4, -2)), 3);  // step 1/64: 3.2 steps
  EXPECT_EQ(quantize(0.2, fx(4, -2, QuantMode::kTrn, OverflowMode::kSat)), 7);
  EXPECT_EQ(quantize(200.0, parse_ok("int<8>")), -56);
  EXPECT_EQ(quantize(300.0, parse_ok("uint<8>")), 44);
  EXPECT_EQ(quantize(-1.5, parse_ok("int<8>")), -2);
}

TEST(Quantize, SpecialDoubles) {
  const FixedType wrap = fx(8, 3);
  const FixedType sat = fx(8, 3, QuantMode::kTrn, OverflowMode::kSat);
  EXPECT_EQ(quantize(0.0, wrap), 0);
  EXPECT_EQ(quantize(-0.0, wrap), 0);
  EXPECT_EQ(quantize(std::numeric_limits<double>::quiet_NaN(), sat), 0);
  EXPECT_EQ(quantize(std::numeric_limits<double>::infinity(), sat), 127);
  EXPECT_EQ(quantize(-std::numeric_limits<double>::infinity(), sat), -128);
  EXPECT_EQ(quantize(std::numeric_limits<double>::infinity(), wrap), 0);
  EXPECT_EQ(quantize(std::numeric_limits<double>::denorm_min(), wrap), 0);
  EXPECT_EQ(quantize(-std::numeric_limits<double>::denorm_min(), wrap), -1);
}

TEST(Quantize, SixtyFourBits) {
  EXPECT_EQ(quantize(std::ldexp(1.0, 63), fx(64, 64)), INT64_MIN);  // wraps
  EXPECT_EQ(quantize(std::ldexp(1.0, 63), fx(64, 64, QuantMode::kTrn, OverflowMode::kSat)),
            INT64_MAX);
  EXPECT_EQ(quantize(-std::ldexp(1.0, 63), fx(64, 64, QuantMode::kTrn, OverflowMode::kSatSym)),
            -INT64_MAX);
  EXPECT_EQ(quantize(std::ldexp(3.0, 62), ufx(63, 63)), std::int64_t{1} << 62);  // wraps
}

// ---- Requantization ----

TEST(Requantize, RoundsLikeAnAssignment) {
  // raw 13 with 3 fraction bits is 1.625; fixed<5,3> has 2, so it is 6.5 steps.
  EXPECT_EQ(requantize(13, 3, fx(5, 3)), 6);
  EXPECT_EQ(requantize(13, 3, fx(5, 3, QuantMode::kRnd)), 7);
  EXPECT_EQ(requantize(13, 3, fx(5, 3, QuantMode::kRndConv)), 6);
  EXPECT_EQ(requantize(15, 3, fx(5, 3, QuantMode::kRndConv)), 8);  // 7.5 steps
  EXPECT_EQ(requantize(-13, 3, fx(5, 3)), -7);
  EXPECT_EQ(requantize(-13, 3, fx(5, 3, QuantMode::kTrnZero)), -6);
  EXPECT_EQ(requantize(-13, 3, fx(5, 3, QuantMode::kRnd)), -6);
  EXPECT_EQ(requantize(-13, 3, fx(5, 3, QuantMode::kRndInf)), -7);
  EXPECT_EQ(requantize(-13, 3, fx(5, 3, QuantMode::kRndZero)), -6);
  EXPECT_EQ(requantize(-13, 3, fx(5, 3, QuantMode::kRndMinInf)), -7);
  EXPECT_EQ(requantize(-13, 3, fx(5, 3, QuantMode::kRndConv)), -6);
}

TEST(Requantize, WidensAndOverflows) {
  EXPECT_EQ(requantize(3, 0, fx(8, 4)), 48);         // 3.0 in steps of 1/16
  EXPECT_EQ(requantize(9, 0, fx(8, 4)), 144 - 256);  // 9.0 wraps
  EXPECT_EQ(requantize(9, 0, fx(8, 4, QuantMode::kTrn, OverflowMode::kSat)), 127);
  EXPECT_EQ(requantize(1, -100, fx(8, 4)), 0);  // 2^100: low bits zero
  EXPECT_EQ(requantize(-1, -100, fx(8, 4, QuantMode::kTrn, OverflowMode::kSat)), -128);
  EXPECT_EQ(requantize(-1, 200, fx(8, 4)), -1);  // a tiny negative truncates to -step
  EXPECT_EQ(requantize(-1, 200, fx(8, 4, QuantMode::kRnd)), 0);
  EXPECT_EQ(requantize(INT64_MIN, 0, fx(64, 64)), INT64_MIN);
  EXPECT_EQ(requantize(INT64_MIN, 64, fx(8, 4, QuantMode::kRndMinInf)), -8);  // exactly -0.5
  EXPECT_EQ(requantize(INT64_MIN, 68, fx(8, 4, QuantMode::kRndMinInf)), -1);  // exactly -half
  EXPECT_EQ(requantize(INT64_MIN, 68, fx(8, 4, QuantMode::kRnd)), 0);
  EXPECT_EQ(requantize(42, 5, fx(12, 7)), 42);  // same fraction bits: unchanged
}

TEST(Requantize, WideAccumulator) {
  // Sum of three full-width products held in 128 bits, then assigned.
  const __int128 acc = multiply_raw(INT64_MAX, INT64_MAX) - multiply_raw(INT64_MAX, INT64_MAX - 1);
  EXPECT_EQ(requantize_wide(acc, 0, fx(64, 64)), INT64_MAX);
  const __int128 big = multiply_raw(INT64_MAX, INT64_MAX);  // 2^126 - 2^64 + 1
  EXPECT_EQ(requantize_wide(big, 0, fx(16, 16)), 1);        // WRAP keeps the low bits
  EXPECT_EQ(requantize_wide(big, 0, fx(16, 16, QuantMode::kTrn, OverflowMode::kSat)), 32767);
  EXPECT_EQ(requantize_wide(big, 124, fx(16, 8)), 1023);  // 4 - 2^-60 in steps of 1/256
  EXPECT_EQ(requantize_wide(big, 124, fx(16, 8, QuantMode::kRnd)), 1024);
}

TEST(Product, FractionBitsAddUpExactly) {
  const FixedType a_type = fx(8, 4);               // F = 4
  const FixedType b_type = fx(8, 3);               // F = 5
  const std::int64_t a = quantize(1.5, a_type);    // 24
  const std::int64_t b = quantize(-0.75, b_type);  // -24
  const __int128 p = multiply_raw(a, b);
  EXPECT_EQ(static_cast<std::int64_t>(p), -576);
  // The product has 4 + 5 = 9 fraction bits and is exact: -576 / 512 = -1.125.
  EXPECT_EQ(to_double(static_cast<std::int64_t>(p), fx(18, 9)), -1.125);
  EXPECT_EQ(requantize_wide(p, 9, fx(16, 6)), -1152);  // -1.125 with F = 10
  EXPECT_EQ(requantize_wide(p, 9, fx(4, 2)), -5);      // -4.5 steps of 0.25, TRN
  EXPECT_EQ(requantize_wide(p, 9, fx(4, 2, QuantMode::kRndConv)), -4);
}

TEST(ToDouble, ScalesByTheStep) {
  EXPECT_EQ(to_double(12, fx(8, 3)), 0.375);
  EXPECT_EQ(to_double(-128, fx(8, 3)), -4.0);
  EXPECT_EQ(to_double(3, fx(4, 6)), 12.0);
  EXPECT_EQ(to_double(quantize(0.1, fx(16, 1, QuantMode::kRndConv)), fx(16, 1)), 3277.0 / 32768);
}

}  // namespace
}  // namespace hlslim
