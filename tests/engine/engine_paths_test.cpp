// The engine's shortcuts against its plain paths: the fast dense/conv sum against the general
// per-operation one, the float input quantizer against quantize(), runs with and without
// statistics; and the bookkeeping (value types, traces, statistics).

#include <gtest/gtest.h>

#include <random>

#include "convert.hpp"
#include "engine_test_support.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "steps.hpp"

namespace hlslim {
namespace {

using engine_test::chain;
using engine_test::conv;
using engine_test::dense;
using engine_test::fx;
using engine_test::layer;
using engine_test::model_precision;
using engine_test::roles;
using engine_test::run_one;

FixedType random_type(std::mt19937_64& rng, int min_width, int max_width) {
  std::uniform_int_distribution<int> width(min_width, max_width);
  const int w = width(rng);
  std::uniform_int_distribution<int> integer(-2, w + 2);
  return FixedType{rng() % 4 != 0, w, integer(rng), static_cast<QuantMode>(rng() % 7),
                   static_cast<OverflowMode>(rng() % 4)};
}

// Random weights of `type`, some of them zero, some between steps (rounded by the type).
std::vector<float> random_weights(std::mt19937_64& rng, std::size_t n, const FixedType& type) {
  std::uniform_int_distribution<std::int64_t> raw(type.raw_min(), type.raw_max());
  std::vector<float> w(n);
  for (float& v : w) {
    if (rng() % 3 == 0) continue;
    v = static_cast<float>((static_cast<double>(raw(rng)) + (rng() % 4) * 0.25) * type.step());
  }
  return w;
}

// A random dense, conv1d or conv2d layer, its input shape and a layer precision whose
// accumulator is wide enough for the fast path, or any accumulator.
struct RandomLinear {
  Layer layer;
  Shape in_shape;
  FixedType in_type;
  LayerPrecision precision;
};

RandomLinear random_linear(std::mt19937_64& rng, int kind, bool wide_accum) {
  RandomLinear r;
  r.in_type = random_type(rng, 2, 16);
  const FixedType weight = random_type(rng, 2, 10);
  const FixedType bias = random_type(rng, 2, 12);
  const int f = weight.fraction_bits() + r.in_type.fraction_bits() + static_cast<int>(rng() % 3);
  const int bits = weight.width + r.in_type.width + 12 + static_cast<int>(rng() % 4);
  const FixedType accum = wide_accum
                              ? FixedType{true, bits, bits - f, static_cast<QuantMode>(rng() % 7),
                                          static_cast<OverflowMode>(rng() % 4)}
                              : random_type(rng, 2, 20);
  r.precision.weight = weight;
  r.precision.bias = bias;
  r.precision.accum = accum;
  r.precision.result = random_type(rng, 4, 24);
  auto dim = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::int64_t channels = dim(1, 4);
  const std::int64_t filters = dim(1, 4);
  const Padding padding = rng() % 2 ? Padding::kSame : Padding::kValid;
  if (kind == 0) {
    r.in_shape = {dim(1, 40)};
    r.layer = dense("fc", r.in_shape[0],
                    random_weights(rng, static_cast<std::size_t>(filters * r.in_shape[0]), weight),
                    random_weights(rng, static_cast<std::size_t>(filters), bias));
  } else if (kind == 1) {
    const std::int64_t k = dim(1, 4);
    const std::int64_t stride = padding == Padding::kSame ? 1 : dim(1, 2);
    r.in_shape = {channels, dim(static_cast<int>(k), 12)};
    r.layer = conv("c", LayerKind::kConv1d, channels, {k}, {stride}, padding,
                   random_weights(rng, static_cast<std::size_t>(filters * channels * k), weight),
                   random_weights(rng, static_cast<std::size_t>(filters), bias));
  } else {
    const std::int64_t kh = dim(1, 3);
    const std::int64_t kw = dim(1, 3);
    const std::int64_t sh = padding == Padding::kSame ? 1 : dim(1, 2);
    r.in_shape = {channels, dim(static_cast<int>(kh), 6), dim(static_cast<int>(kw), 6)};
    r.layer =
        conv("c", LayerKind::kConv2d, channels, {kh, kw}, {sh, 1}, padding,
             random_weights(rng, static_cast<std::size_t>(filters * channels * kh * kw), weight),
             random_weights(rng, static_cast<std::size_t>(filters), bias));
  }
  return r;
}

std::unique_ptr<engine_detail::Step> build_step(
    const Graph& g, const RandomLinear& r,
    engine_detail::LinearPath fastest = engine_detail::LinearPath::kExactSum) {
  engine_detail::StepInput input;
  input.graph = &g;
  input.layer = &g.layers[0];
  input.in_shape = r.in_shape;
  input.out_shape = g.shapes()[1];
  input.in_type = r.in_type;
  input.precision = r.precision;
  input.fastest_path = fastest;
  return engine_detail::make_step(input);
}

// Runs both steps on the same inputs (the range limits first, then random raws) and expects
// the same raws and the same statistics.
void expect_same(const engine_detail::Step& a, const engine_detail::Step& b,
                 const FixedType& in_type, std::mt19937_64& rng, const std::string& what) {
  std::uniform_int_distribution<std::int64_t> raw(in_type.raw_min(), in_type.raw_max());
  std::vector<std::int64_t> x(a.in_size());
  std::vector<std::int64_t> y_a(a.out_size());
  std::vector<std::int64_t> y_b(a.out_size());
  for (int event = 0; event < 8; ++event) {
    for (auto& v : x)
      v = event == 0 ? in_type.raw_min() : event == 1 ? in_type.raw_max() : raw(rng);
    a.run(x.data(), y_a.data());
    b.run(x.data(), y_b.data());
    ASSERT_EQ(y_a, y_b) << what;
    LayerStats s_a;
    LayerStats s_b;
    a.run_stats(x.data(), y_a.data(), s_a);
    b.run_stats(x.data(), y_b.data(), s_b);
    ASSERT_EQ(y_a, y_b) << what << " with stats";
    EXPECT_EQ(s_a.min_seen, s_b.min_seen) << what;
    EXPECT_EQ(s_a.max_seen, s_b.max_seen) << what;
    EXPECT_EQ(s_a.result_overflows, s_b.result_overflows) << what;
    EXPECT_EQ(s_a.accum_overflows, s_b.accum_overflows) << what;
  }
}

TEST(EngineFastPath, EqualsThePerOperationPathsWhereItApplies) {
  using engine_detail::LinearPath;
  std::mt19937_64 rng(42);
  int fast_layers = 0;
  for (int n = 0; n < 600; ++n) {
    const RandomLinear r = random_linear(rng, n % 3, true);
    const Graph g = chain(r.in_shape, {r.layer});
    const auto fast = build_step(g, r);
    const auto per_op64 = build_step(g, r, LinearPath::kPerOperation64);
    const auto per_op128 = build_step(g, r, LinearPath::kPerOperation128);
    ASSERT_EQ(per_op64->linear_path(), LinearPath::kPerOperation64);
    ASSERT_EQ(per_op128->linear_path(), LinearPath::kPerOperation128);
    if (!fast->uses_fast_path()) continue;  // an unlucky bias near the accumulator's limit
    ++fast_layers;
    expect_same(*fast, *per_op128, r.in_type, rng, "exact sum, layer " + std::to_string(n));
    expect_same(*per_op64, *per_op128, r.in_type, rng, "int64, layer " + std::to_string(n));
  }
  EXPECT_GT(fast_layers, 500);
}

TEST(EngineFastPath, Int64PerOperationEquals128WithNarrowAccumulators) {
  using engine_detail::LinearPath;
  std::mt19937_64 rng(43);
  int int64_layers = 0;
  for (int n = 0; n < 600; ++n) {
    const RandomLinear r = random_linear(rng, n % 3, false);
    const Graph g = chain(r.in_shape, {r.layer});
    const auto per_op64 = build_step(g, r, LinearPath::kPerOperation64);
    const auto per_op128 = build_step(g, r, LinearPath::kPerOperation128);
    if (per_op64->linear_path() != LinearPath::kPerOperation64) continue;
    ++int64_layers;
    expect_same(*per_op64, *per_op128, r.in_type, rng, "layer " + std::to_string(n));
  }
  EXPECT_GT(int64_layers, 500);
}

TEST(EngineFastPath, ShiftRounderEqualsRoundShift) {
  std::mt19937_64 rng(8);
  for (int mode = 0; mode < 7; ++mode) {
    for (int s = 1; s <= 62; ++s) {
      const engine_detail::ShiftRounder rounder(s, static_cast<QuantMode>(mode));
      const std::int64_t half = std::int64_t{1} << (s - 1);
      std::uniform_int_distribution<std::int64_t> any(-(std::int64_t{1} << 61),
                                                      std::int64_t{1} << 61);
      for (int k = 0; k < 400; ++k) {
        // Exact halves, one either side of them, multiples of 2^s, and anything.
        std::int64_t v = any(rng);
        const std::int64_t q = v >> s;
        if (k % 4 == 0) v = (q << s) + half;
        if (k % 4 == 1) v = (q << s) + half + (k % 8 == 1 ? 1 : -1);
        if (k % 4 == 2) v = q << s;
        if (k < 20) v = (k - 10) * half;
        if (v >= (std::int64_t{1} << 62) || v <= -(std::int64_t{1} << 62)) continue;  // domain
        ASSERT_EQ(rounder(v), static_cast<std::int64_t>(
                                  fixed_detail::round_shift(v, s, static_cast<QuantMode>(mode))))
            << "mode " << mode << " shift " << s << " of " << v;
      }
    }
  }
}

TEST(EngineFastPath, OnlyWhereNothingCanRoundOrOverflow) {
  const Graph g = chain({2}, {dense("fc", 2, {1.5f, -2.0f}, {0.25f})});
  RandomLinear r;
  r.in_shape = {2};
  r.layer = g.layers[0];
  r.in_type = fx("fixed<8,4>");  // |x| <= 8
  r.precision = roles("fixed<8,4>", "fixed<8,4>", "fixed<16,8>", "fixed<8,4>");
  EXPECT_TRUE(build_step(g, r)->uses_fast_path());  // 0.25 + 3.5 * 8 < 128
  r.precision.accum = fx("fixed<16,5>");            // 28.25 > 16
  EXPECT_FALSE(build_step(g, r)->uses_fast_path());
  r.precision.accum = fx("fixed<20,13>");  // 7 fraction bits < 4 + 4
  EXPECT_FALSE(build_step(g, r)->uses_fast_path());
  r.precision.accum = fx("ufixed<20,10>");  // negative sums possible
  EXPECT_FALSE(build_step(g, r)->uses_fast_path());
}

TEST(EngineFastPath, NotWhenAProductAloneOverflows) {
  // x = 15.9375 (ufixed<8,4>), w = 1.5, bias -10, accumulator fixed<13,5,TRN,SAT> (range
  // [-16, 16)). Every partial sum with the bias fits, but the product 23.90625 is assigned to
  // the accumulator first and saturates to 15.99609375: the result is 5.99609375, not 13.90625.
  const Graph g = chain({1}, {dense("fc", 1, {1.5f}, {-10.0f})});
  RandomLinear r;
  r.in_shape = {1};
  r.layer = g.layers[0];
  r.in_type = fx("ufixed<8,4>");
  r.precision = roles("fixed<8,4>", "fixed<8,5>", "fixed<13,5,TRN,SAT>", "fixed<16,6>");
  EXPECT_FALSE(build_step(g, r)->uses_fast_path());
  const FixedEngine engine(g, model_precision("ufixed<8,4>", {r.precision}));
  EXPECT_EQ(run_one(engine, {255}), std::vector<std::int64_t>{6140});
}

TEST(EngineInput, FastQuantizerEqualsQuantize) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::int64_t cases = 0;
  for (int n = 0; n < 3000; ++n) {
    FixedType t = random_type(rng, 1, 40);
    if (n % 10 == 0) t.integer_bits = t.width + static_cast<int>(rng() % 200) - 100;
    if (!t.is_signed && t.width > kMaxUnsignedWidth) t.width = kMaxUnsignedWidth;
    const engine_detail::InputQuantizer quantizer(t);
    for (int k = 0; k < 60; ++k) {
      // Halves and quarters of steps around zero and the limits, beyond them, and anything.
      const double base = k % 3 == 0 ? 0.0 : k % 3 == 1 ? t.min() : t.max();
      double x = base + (static_cast<int>(rng() % 17) - 8) * t.step() / 4;
      if (k % 5 == 0) x = unit(rng) * std::ldexp(1.0, static_cast<int>(rng() % 80) - 40);
      if (k % 11 == 0) x = unit(rng) * std::fabs(t.min()) * 4;
      const float f = static_cast<float>(x);
      std::int64_t overflows = 0;
      ASSERT_EQ(quantizer(f), quantize(f, t)) << t.to_string() << " of " << f;
      ASSERT_EQ(quantizer.counting(f, overflows), quantize(f, t)) << t.to_string() << " of " << f;
      ++cases;
    }
    for (const float special : {0.0f, -0.0f, 1e30f, -1e30f, 1e-40f, INFINITY, -INFINITY, NAN}) {
      std::int64_t overflows = 0;
      ASSERT_EQ(quantizer(special), quantize(special, t)) << t.to_string() << " of " << special;
      ASSERT_EQ(quantizer.counting(special, overflows), quantize(special, t));
    }
  }
  EXPECT_GT(cases, 100000);
}

// flatten [2, 3] -> dense 6 -> 3 -> relu -> dense 3 -> 2.
Graph student() {
  return chain({2, 3},
               {layer("flat", LayerKind::kFlatten),
                dense("fc1", 6,
                      {0.5f, -0.25f, 0.75f, 1, 0, -1, 0.125f, 0.5f, -0.5f, 0.25f, 0.25f, 0.25f, -1,
                       -1, 0.5f, 0.5f, 0.375f, 0},
                      {0.1f, -0.2f, 0.3f}),
                layer("act", LayerKind::kRelu), dense("fc2", 3, {1, -1, 0.5f, 0.25f, 2, -2})});
}

ModelPrecision student_precision() {
  return model_precision(
      "fixed<10,4,RND,SAT>",
      {LayerPrecision{}, roles("fixed<8,2>", "fixed<8,2>", "fixed<12,5>", "fixed<8,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2>"),
       roles("fixed<6,2>", nullptr, "fixed<24,10>", "fixed<12,4>")});
}

TEST(EngineRun, FloatsRawsTracesAndStatsAgree) {
  const FixedEngine engine(student(), student_precision());
  ASSERT_EQ(engine.input_size(), 6u);
  ASSERT_EQ(engine.output_size(), 2u);
  const std::vector<FixedType> types{fx("fixed<10,4,RND,SAT>"), fx("fixed<10,4,RND,SAT>"),
                                     fx("fixed<8,3,RND,SAT>"), fx("ufixed<6,2>"),
                                     fx("fixed<12,4>")};
  EXPECT_EQ(engine.value_types(), types);

  std::mt19937_64 rng(9);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  const std::size_t n = 500;
  std::vector<float> x(n * 6);
  for (float& v : x) v = normal(rng);
  std::vector<float> y(n * 2);
  std::vector<float> y_stats(n * 2);
  engine.run(x.data(), n, y.data());
  EngineStats stats;
  engine.run(x.data(), n, y_stats.data(), &stats);
  EXPECT_EQ(y, y_stats);

  for (std::size_t e = 0; e < n; ++e) {
    std::vector<std::int64_t> raw(6);
    for (int i = 0; i < 6; ++i) raw[i] = quantize(x[e * 6 + i], types[0]);
    const auto trace = engine.trace_raw(raw.data());
    ASSERT_EQ(trace.size(), 4u);
    EXPECT_EQ(trace[0], raw);  // flatten
    const auto out = run_one(engine, raw);
    EXPECT_EQ(trace[3], out);
    for (int j = 0; j < 2; ++j) EXPECT_EQ(y[e * 2 + j], to_double(out[j], types[4]));
  }

  EXPECT_EQ(stats.input_values, static_cast<std::int64_t>(n * 6));
  EXPECT_GT(stats.input_overflows, 0);  // |x| >= 8 happens at 3 sigma
  ASSERT_EQ(stats.layers.size(), 4u);
  EXPECT_EQ(stats.layers[1].name, "fc1");
  EXPECT_EQ(stats.layers[1].values, static_cast<std::int64_t>(n * 3));
  EXPECT_EQ(stats.layers[3].values, static_cast<std::int64_t>(n * 2));
  EXPECT_GE(stats.layers[2].min_seen, 0.0);
  EXPECT_GT(stats.layers[1].accum_overflows + stats.layers[1].result_overflows, 0);

  EngineStats twice = stats;
  twice.merge(stats);
  EXPECT_EQ(twice.input_values, 2 * stats.input_values);
  EXPECT_EQ(twice.layers[1].accum_overflows, 2 * stats.layers[1].accum_overflows);
  EXPECT_EQ(twice.layers[1].max_seen, stats.layers[1].max_seen);
  EngineStats empty;
  empty.merge(stats);
  EXPECT_EQ(empty.layers.size(), 4u);
  EXPECT_EQ(empty.input_min_seen, stats.input_min_seen);
}

}  // namespace
}  // namespace hlslim
