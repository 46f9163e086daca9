// Hand-computed layers: every expected raw below is worked out in the comments.

#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using engine_test::batch_norm;
using engine_test::chain;
using engine_test::conv;
using engine_test::dense;
using engine_test::fx;
using engine_test::layer;
using engine_test::model_precision;
using engine_test::pool;
using engine_test::roles;
using engine_test::run_one;
using Raws = std::vector<std::int64_t>;

// x = [3, -5] in fixed<8,4> (0.1875, -0.3125), w = [24, 10] in fixed<8,2> (0.375, 0.15625).
// Products 72 and -50 have 10 fraction bits; the accumulator has 6, so they are divided by 16:
// 4.5 and -3.125. The result fixed<16,6> has 10 fraction bits: the accumulator shifts left 4.
Raws dense_rounding(const char* accum) {
  const Graph g = chain({2}, {dense("fc", 2, {0.375f, 0.15625f})});
  const FixedEngine engine(
      g, model_precision("fixed<8,4>", {roles("fixed<8,2>", nullptr, accum, "fixed<16,6>")}));
  return run_one(engine, {3, -5});
}

TEST(EngineDense, ProductsRoundIntoTheAccumulatorByItsMode) {
  EXPECT_EQ(dense_rounding("fixed<12,6,TRN>"), Raws{0});        // 4 + -4
  EXPECT_EQ(dense_rounding("fixed<12,6,RND>"), Raws{32});       // 5 + -3 = 2, << 4
  EXPECT_EQ(dense_rounding("fixed<12,6,RND_CONV>"), Raws{16});  // 4 + -3 = 1, << 4
  EXPECT_EQ(dense_rounding("fixed<12,6,TRN_ZERO>"), Raws{16});  // 4 + -3
  EXPECT_EQ(dense_rounding("fixed<24,10>"), Raws{22});          // exact: 72 - 50
}

TEST(EngineDense, ResultRoundsByItsMode) {
  // 0.1875 * 0.375 = 0.0703125 = 72 * 2^-10; to fixed<8,4> (step 1/16): 1.125 steps.
  const Graph g = chain({1}, {dense("fc", 1, {0.375f}, {0.0f})});
  auto run = [&](const char* result, std::int64_t x) {
    const FixedEngine engine(
        g,
        model_precision("fixed<8,4>", {roles("fixed<8,2>", "fixed<8,4>", "fixed<24,10>", result)}));
    return run_one(engine, {x});
  };
  EXPECT_EQ(run("fixed<8,4,TRN>", 3), Raws{1});
  EXPECT_EQ(run("fixed<8,4,RND>", 3), Raws{1});
  // x = 8 (0.5): 0.1875 = 3 steps exactly; x = 4 (0.25): 1.5 steps.
  EXPECT_EQ(run("fixed<8,4,RND>", 4), Raws{2});
  EXPECT_EQ(run("fixed<8,4,RND_CONV>", 4), Raws{2});
  EXPECT_EQ(run("fixed<8,4,RND_ZERO>", 4), Raws{1});
  EXPECT_EQ(run("fixed<8,4,RND_MIN_INF>", -4), Raws{-2});
  EXPECT_EQ(run("fixed<8,4,RND_INF>", -4), Raws{-2});
  EXPECT_EQ(run("fixed<8,4,RND>", -4), Raws{-1});
}

// x = [4, 4, 4, 4], w = [3, 3, 3, -3]: products 12 each into fixed<10,6> (raws of 1/16, range
// [-32, 31.9375]). Partial sums 12, 24, 36 (overflow), then -12. Result fixed<16,8>: raw x16.
Raws accumulate(const char* accum, EngineStats* stats = nullptr) {
  const Graph g = chain({4}, {dense("fc", 4, {3, 3, 3, -3})});
  const FixedEngine engine(
      g, model_precision("fixed<8,4>", {roles("fixed<8,4>", nullptr, accum, "fixed<16,8>")}));
  return run_one(engine, {64, 64, 64, 64}, stats);
}

TEST(EngineDense, AccumulatorOverflowsAfterEveryAddition) {
  EngineStats sat;
  EXPECT_EQ(accumulate("fixed<10,6,TRN,SAT>", &sat), Raws{319 * 16});  // 31.9375 - 12
  EXPECT_EQ(sat.layers.at(0).accum_overflows, 1);
  EXPECT_EQ(sat.layers.at(0).max_seen, 19.9375);
  EngineStats wrap;
  EXPECT_EQ(accumulate("fixed<10,6>", &wrap), Raws{24 * 256});  // 36 wraps to -28, -40 to 24
  EXPECT_EQ(wrap.layers.at(0).accum_overflows, 2);
  EXPECT_EQ(accumulate("fixed<10,6,TRN,SAT_ZERO>"), Raws{-12 * 256});  // 36 becomes 0
  EXPECT_EQ(accumulate("fixed<10,6,TRN,SAT_SYM>"), Raws{319 * 16});
  EXPECT_EQ(accumulate("fixed<16,8,TRN,SAT>"), Raws{24 * 256});  // wide enough
}

TEST(EngineDense, MaskedWeightsAndBiasesCountAsZero) {
  // Without the masks: 3 * 1 + 0.5 * 1 + 1 = 4.5; with them only 0.5 remains.
  Layer fc = dense("fc", 2, {3.0f, 0.5f}, {1.0f});
  fc.tensors["weight_mask"] = engine_test::tensor({1, 2}, {0.0f, 1.0f});
  fc.tensors["bias_mask"] = engine_test::tensor({1}, {0.0f});
  const FixedEngine engine(chain({2}, {fc}),
                           model_precision("fixed<8,4>", {roles("fixed<8,3>", "fixed<8,3>",
                                                                "fixed<16,8>", "fixed<8,4>")}));
  EXPECT_EQ(run_one(engine, {16, 16}), Raws{8});
}

const char* const kIntTypes[] = {"fixed<8,8>", "fixed<8,8>", "fixed<16,16>", "fixed<16,16>"};

FixedEngine integer_engine(const Shape& input, const Layer& l) {
  return FixedEngine(chain(input, {l}),
                     model_precision("fixed<8,8>", {roles(kIntTypes[0], kIntTypes[1], kIntTypes[2],
                                                          kIntTypes[3])}));
}

TEST(EngineConv, Conv1dValidSameAndStride) {
  // Integers throughout. x = 1..5, kernel [1, 2, 3]: out[p] = x[p] + 2 x[p+1] + 3 x[p+2].
  const Raws x{1, 2, 3, 4, 5};
  auto conv1d = [](std::vector<float> w, std::int64_t stride, Padding padding,
                   std::vector<float> bias = {}) {
    const std::int64_t k = static_cast<std::int64_t>(w.size());
    return conv("c", LayerKind::kConv1d, 1, {k}, {stride}, padding, std::move(w), std::move(bias));
  };
  EXPECT_EQ(run_one(integer_engine({1, 5}, conv1d({1, 2, 3}, 1, Padding::kValid)), x),
            (Raws{14, 20, 26}));
  EXPECT_EQ(run_one(integer_engine({1, 5}, conv1d({1, 2, 3}, 1, Padding::kValid, {10})), x),
            (Raws{24, 30, 36}));
  // 'same', k = 3: one zero on each side.
  EXPECT_EQ(run_one(integer_engine({1, 5}, conv1d({1, 2, 3}, 1, Padding::kSame)), x),
            (Raws{8, 14, 20, 26, 14}));
  // 'same', k = 4: torch pads 3 in total, 1 before and 2 after.
  EXPECT_EQ(run_one(integer_engine({1, 5}, conv1d({1, 2, 3, 4}, 1, Padding::kSame)), x),
            (Raws{20, 30, 40, 26, 14}));
  EXPECT_EQ(run_one(integer_engine({1, 5}, conv1d({1, 2, 3}, 2, Padding::kValid)), x),
            (Raws{14, 26}));
}

TEST(EngineConv, Conv1dChannelsAndFilters) {
  // in [2, 3]: [1, 2, 3] and [10, 20, 30]; filter 0 = [[1, 2], [3, 4]], filter 1 = [[0, 0],
  // [0, -1]]. Output [filters, positions].
  const Layer c =
      conv("c", LayerKind::kConv1d, 2, {2}, {1}, Padding::kValid, {1, 2, 3, 4, 0, 0, 0, -1});
  EXPECT_EQ(run_one(integer_engine({2, 3}, c), {1, 2, 3, 10, 20, 30}), (Raws{115, 188, -20, -30}));
}

TEST(EngineConv, Conv2dValidSameAndStride) {
  // x = 1..9 as 3x3, kernel [[1, 2], [3, 4]].
  const Raws x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> w{1, 2, 3, 4};
  auto conv2d = [&](std::vector<std::int64_t> stride, Padding padding) {
    return conv("c", LayerKind::kConv2d, 1, {2, 2}, std::move(stride), padding, w);
  };
  EXPECT_EQ(run_one(integer_engine({1, 3, 3}, conv2d({1, 1}, Padding::kValid)), x),
            (Raws{37, 47, 67, 77}));
  // 'same', k = 2: nothing before, one zero row/column after.
  EXPECT_EQ(run_one(integer_engine({1, 3, 3}, conv2d({1, 1}, Padding::kSame)), x),
            (Raws{37, 47, 21, 67, 77, 33, 23, 26, 9}));
  EXPECT_EQ(run_one(integer_engine({1, 3, 3}, conv2d({2, 1}, Padding::kValid)), x), (Raws{37, 47}));
}

TEST(EngineActivation, ReluRoundsAndOverflowsIntoTheResult) {
  // x in fixed<8,4> (F = 4); results with F = 3 halve the raws.
  const Raws x{-20, 0, 17, 100, 127};
  auto run = [&](const char* result, EngineStats* stats) {
    const FixedEngine engine(
        chain({5}, {layer("r", LayerKind::kRelu)}),
        model_precision("fixed<8,4>", {roles(nullptr, nullptr, nullptr, result)}));
    return run_one(engine, x, stats);
  };
  EngineStats stats;
  EXPECT_EQ(run("fixed<8,5,RND,SAT>", &stats), (Raws{0, 0, 9, 50, 64}));
  EXPECT_EQ(stats.layers.at(0).result_overflows, 0);
  EXPECT_EQ(stats.layers.at(0).min_seen, 0.0);  // max(0, x) is what is converted
  EXPECT_EQ(stats.layers.at(0).max_seen, 127.0 / 16);
  EngineStats narrow;
  // ufixed<5,2>: raws 0..31; 50 and 63 wrap to 18 and 31.
  EXPECT_EQ(run("ufixed<5,2>", &narrow), (Raws{0, 0, 8, 18, 31}));
  EXPECT_EQ(narrow.layers.at(0).result_overflows, 2);
  EXPECT_EQ(narrow.layers.at(0).values, 5);
}

TEST(EngineActivation, LeakyReluMultipliesByTheQuantizedSlope) {
  // alpha 0.1 in fixed<8,1> (F = 7) truncates to 12/128. x = -16 (-1.0): -192 * 2^-11 = -1.5
  // -> TRN -2, RND -1; x = -1: -12 * 2^-11 = -0.09375 steps -> TRN -1, RND 0.
  Layer leaky = layer("l", LayerKind::kLeakyRelu);
  leaky.params.alpha = 0.1;
  auto run = [&](const char* result) {
    const FixedEngine engine(
        chain({4}, {leaky}),
        model_precision("fixed<8,4>", {roles("fixed<8,1>", nullptr, nullptr, result)}));
    return run_one(engine, {-16, 20, 0, -1});
  };
  EXPECT_EQ(run("fixed<8,4>"), (Raws{-2, 20, 0, -1}));
  EXPECT_EQ(run("fixed<8,4,RND>"), (Raws{-1, 20, 0, 0}));
}

TEST(EngineBatchNorm, ScaleAndShiftPerChannel) {
  // Channel 0: scale 2/sqrt(3+1) = 1, shift 1 - 0.5 = 0.5. Channel 1: scale 1/2, shift -0.5.
  // x = 1.25, -0.25 in both: 1.75, 0.25 and 0.125, -0.625 (raws of 1/16).
  const Layer bn = batch_norm("bn", {2, 1}, {1, 0}, {0.5f, 1}, {3, 3}, 1.0);
  const FixedEngine engine(
      chain({2, 2}, {bn}),
      model_precision("fixed<8,4>", {roles("fixed<8,4>", "fixed<8,4>", nullptr, "fixed<8,4>")}));
  EXPECT_EQ(run_one(engine, {20, -4, 20, -4}), (Raws{28, 4, 2, -10}));
}

TEST(EngineBatchNorm, QuantizedScaleRounds) {
  // scale 1/3 in fixed<8,1> truncates to 42/128; x = 1.0: 42/128 = 0.328125 = 5.25 steps -> 5.
  const Layer bn = batch_norm("bn", {1}, {0}, {0}, {9}, 0.0);
  const FixedEngine engine(
      chain({1}, {bn}),
      model_precision("fixed<8,4>", {roles("fixed<8,1>", "fixed<8,4>", nullptr, "fixed<8,4>")}));
  EXPECT_EQ(run_one(engine, {16}), Raws{5});
}

FixedEngine pool_engine(const Shape& input, const Layer& l, const char* result,
                        const char* accum = "fixed<16,8>") {
  return FixedEngine(chain(input, {l}),
                     model_precision("fixed<8,4>", {roles(nullptr, nullptr, accum, result)}));
}

TEST(EnginePool, MaxPool) {
  EXPECT_EQ(run_one(pool_engine({2, 4}, pool("p", LayerKind::kMaxPool1d, {2}), "fixed<8,4>"),
                    {1, 5, -3, -7, 0, -2, 9, 9}),
            (Raws{5, -3, 0, 9}));
  EXPECT_EQ(run_one(pool_engine({1, 2, 4}, pool("p", LayerKind::kMaxPool2d, {2, 2}), "fixed<8,4>"),
                    {1, 2, 3, 4, 5, 6, 7, 8}),
            (Raws{6, 8}));
  // 3x5 with 2x2 windows: the last row and column are dropped, as torch does.
  EXPECT_EQ(run_one(pool_engine({1, 3, 5}, pool("p", LayerKind::kMaxPool2d, {2, 2}), "fixed<8,4>"),
                    {1, 2, 3, 4, 99, 5, 6, 7, 8, 99, 99, 99, 99, 99, 99}),
            (Raws{6, 8}));
  // To fixed<8,5> (F = 3): raws halve, 5 -> 2 (TRN).
  EXPECT_EQ(
      run_one(pool_engine({1, 2}, pool("p", LayerKind::kMaxPool1d, {2}), "fixed<8,5>"), {5, -3}),
      Raws{2});
}

TEST(EnginePool, AveragePoolDividesExactlyThenRounds) {
  // (1 + 2) / 2 = 1.5 steps, (0 - 1) / 2 = -0.5 steps.
  EXPECT_EQ(run_one(pool_engine({1, 4}, pool("p", LayerKind::kAvgPool1d, {2}), "fixed<8,4,RND>"),
                    {1, 2, 0, -1}),
            (Raws{2, 0}));
  EXPECT_EQ(run_one(pool_engine({1, 4}, pool("p", LayerKind::kAvgPool1d, {2}), "fixed<8,4>"),
                    {1, 2, 0, -1}),
            (Raws{1, -1}));
  // 2x2 windows: 14 / 4 = 3.5, 22 / 4 = 5.5.
  const Layer p2 = pool("p", LayerKind::kAvgPool2d, {2, 2});
  EXPECT_EQ(run_one(pool_engine({1, 2, 4}, p2, "fixed<8,4,RND>"), {1, 2, 3, 4, 5, 6, 7, 8}),
            (Raws{4, 6}));
  EXPECT_EQ(run_one(pool_engine({1, 2, 4}, p2, "fixed<8,4>"), {1, 2, 3, 4, 5, 6, 7, 8}),
            (Raws{3, 5}));
}

TEST(EnginePool, AverageAccumulatorSaturates) {
  // 4 + 4 in fixed<6,4,TRN,SAT> (range [-8, 7.75]) saturates to 7.75; / 2 = 3.875 = 62/16.
  EngineStats stats;
  EXPECT_EQ(run_one(pool_engine({1, 2}, pool("p", LayerKind::kAvgPool1d, {2}), "fixed<8,4>",
                                "fixed<6,4,TRN,SAT>"),
                    {64, 64}, &stats),
            Raws{62});
  EXPECT_EQ(stats.layers.at(0).accum_overflows, 1);
}

TEST(EnginePool, GlobalPools) {
  // [2 channels, 2, 2]: channel 0 = 1..4 (mean 2.5 steps), channel 1 = -1 everywhere.
  const Raws x{1, 2, 3, 4, -1, -1, -1, -1};
  EXPECT_EQ(
      run_one(pool_engine({2, 2, 2}, layer("g", LayerKind::kGlobalAvgPool), "fixed<8,4,RND>"), x),
      (Raws{3, -1}));
  EXPECT_EQ(run_one(pool_engine({2, 2, 2}, layer("g", LayerKind::kGlobalMaxPool), "fixed<8,4>"), x),
            (Raws{4, -1}));
}

TEST(EngineErrors, AverageOverANonPowerOfTwoIsRefused) {
  try {
    pool_engine({1, 6}, pool("p", LayerKind::kAvgPool1d, {3}), "fixed<8,4>");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "model 'm', layer 'p': average over 3 values, not a power of two: the engine "
                 "divides exactly by a shift only");
  }
}

TEST(EngineErrors, LookupTableActivationsAreRefused) {
  const Graph g = chain({4}, {layer("sm", LayerKind::kSoftmax)});
  try {
    FixedEngine engine(
        g, model_precision("fixed<8,4>", {roles(nullptr, nullptr, nullptr, "fixed<8,4>")}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "model 'm', layer 'sm': softmax is not supported by the fixed-point engine: "
                 "hls4ml computes it with lookup tables that the engine does not model");
  }
}

TEST(EngineErrors, MissingPrecisionNamesTheLayerAndRole) {
  const Graph g = chain({2}, {dense("fc1", 2, {1, 1})});
  try {
    FixedEngine engine(
        g, model_precision("fixed<8,4>", {roles("fixed<8,4>", nullptr, nullptr, "fixed<8,4>")}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "model 'm', layer 'fc1': precision.accum missing");
  }
}

TEST(EngineErrors, RawInputsOutsideTheInputTypeAreRefused) {
  const FixedEngine engine(
      chain({1}, {layer("r", LayerKind::kRelu)}),
      model_precision("fixed<4,2>", {roles(nullptr, nullptr, nullptr, "fixed<4,2>")}));
  EXPECT_THROW(run_one(engine, {8}), Error);
  EXPECT_EQ(run_one(engine, {7}), Raws{7});
}

}  // namespace
}  // namespace hlslim
