// Reuse factors: hls4ml's validity rule, the nearest valid values, per-layer resolution and the
// problem texts.

#include "hlslim/export/reuse_factor.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "export_test_support.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// hls4ml's FPGABackend._validate_reuse_factor, transcribed with its floating-point ceil.
bool hls4ml_rule(std::int64_t n_in, std::int64_t n_out, std::int64_t rf) {
  const std::int64_t mult_factor = std::min(n_in, rf);
  const auto limit = static_cast<std::int64_t>(
      std::ceil(static_cast<double>(n_in * n_out) / static_cast<double>(mult_factor)));
  bool ok = (limit % n_out == 0) || (rf >= n_in);
  ok = ok && ((rf % n_in == 0) || (rf < n_in));
  return ok && ((n_in * n_out) % rf == 0);
}

TEST(HlsReuseFactor, MatchesHls4mlsRuleEverywhere) {
  for (std::int64_t n_in = 1; n_in <= 40; ++n_in) {
    for (std::int64_t n_out = 1; n_out <= 24; ++n_out) {
      std::vector<std::int64_t> expected;
      for (std::int64_t rf = 1; rf <= n_in * n_out; ++rf) {
        ASSERT_EQ(is_valid_reuse_factor(n_in, n_out, rf), hls4ml_rule(n_in, n_out, rf))
            << n_in << " x " << n_out << ", rf " << rf;
        if (hls4ml_rule(n_in, n_out, rf)) expected.push_back(rf);
      }
      ASSERT_EQ(valid_reuse_factors(n_in, n_out), expected) << n_in << " x " << n_out;
    }
  }
}

TEST(HlsReuseFactor, ValidValuesOfASmallLayer) {
  // Below n_in a reuse factor must divide n_in; above, be n_in times a divisor of n_out.
  EXPECT_EQ(valid_reuse_factors(6, 4), (std::vector<std::int64_t>{1, 2, 3, 6, 12, 24}));
  EXPECT_FALSE(is_valid_reuse_factor(6, 4, 4));
  EXPECT_FALSE(is_valid_reuse_factor(6, 4, 0));
  EXPECT_FALSE(is_valid_reuse_factor(0, 4, 1));
  EXPECT_EQ(valid_reuse_factors(176, 10).size(), 13u);  // 9 divisors below 176, 176 x {1, 2, 5, 10}
}

TEST(HlsReuseFactor, NearestValidValues) {
  EXPECT_EQ(nearest_valid_reuse_factors(6, 4, 3), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(nearest_valid_reuse_factors(6, 4, 4), (std::vector<std::int64_t>{3, 6}));
  EXPECT_EQ(nearest_valid_reuse_factors(6, 4, 100), (std::vector<std::int64_t>{24}));
  EXPECT_EQ(nearest_valid_reuse_factors(6, 4, 0), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(closest_reuse_factor(6, 4, 4), 3);
  EXPECT_EQ(closest_reuse_factor(6, 4, 5), 6);
  EXPECT_EQ(closest_reuse_factor(6, 4, 9), 6);  // a tie: the smaller, as hls4ml
  EXPECT_EQ(closest_reuse_factor(6, 4, 1000), 24);
}

TEST(HlsReuseFactor, DimensionsOfDenseAndConvolutionLayers) {
  const Layer fc = export_test::dense("fc", 12, std::vector<float>(36, 1.0f));
  EXPECT_EQ(reuse_dims(fc, {12})->n_in, 12);
  EXPECT_EQ(reuse_dims(fc, {12})->n_out, 3);
  const Layer c = export_test::conv("c", LayerKind::kConv2d, 3, {3, 2}, {1, 1}, Padding::kValid,
                                    std::vector<float>(4 * 3 * 6, 1.0f));
  EXPECT_EQ(reuse_dims(c, {3, 8, 8})->n_in, 18);
  EXPECT_EQ(reuse_dims(c, {3, 8, 8})->n_out, 4);
  EXPECT_FALSE(reuse_dims(export_test::layer("r", LayerKind::kRelu), {4}));
}

Graph two_dense() {
  return export_test::quantized_chain(
      "m", {6},
      {export_test::dense("fc1", 6, std::vector<float>(24, 0.5f)),
       export_test::layer("relu", LayerKind::kRelu),
       export_test::dense("fc2", 4, std::vector<float>(8, 0.5f))},
      "fixed<8,3>",
      {export_test::roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<8,3>"),
       export_test::roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       export_test::roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<8,3>")});
}

TEST(HlsReuseFactor, ResolvesByLayerNameThenTypeThenModelThenOptions) {
  Graph g = two_dense();
  HlsProjectOptions options;
  options.reuse_factor = 2;
  EXPECT_EQ(layer_reuse_factor(g, g.layers[0], options), 2);
  EXPECT_EQ(layer_reuse_factor(g, g.layers[1], options), 1);  // relu: no weights
  g.default_attrs["reuse_factor"] = std::int64_t{3};
  EXPECT_EQ(layer_reuse_factor(g, g.layers[0], options), 3);
  g.type_attrs["dense"]["reuse_factor"] = std::int64_t{6};
  EXPECT_EQ(layer_reuse_factor(g, g.layers[0], options), 6);
  g.layers[0].attrs["reuse_factor"] = 12.0;  // a whole double is accepted
  EXPECT_EQ(layer_reuse_factor(g, g.layers[0], options), 12);
  EXPECT_EQ(layer_reuse_factor(g, g.layers[2], options), 6);
  g.layers[0].attrs["reuse_factor"] = std::string("two");
  try {
    layer_reuse_factor(g, g.layers[0], options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "layer 'fc1': attribute reuse_factor must be an integer");
    EXPECT_EQ(e.exit_code(), kExitConfig);
  }
}

TEST(HlsReuseFactor, ProblemsNameTheLayerAndTheNearestValidValues) {
  Graph g = two_dense();
  HlsProjectOptions options;
  EXPECT_TRUE(reuse_factor_problems(g, options).empty());
  g.layers[0].attrs["reuse_factor"] = std::int64_t{4};
  g.layers[2].attrs["reuse_factor"] = std::int64_t{5};
  EXPECT_EQ(reuse_factor_problems(g, options),
            (std::vector<std::string>{
                "layer 'fc1': reuse factor 4 is not valid for 6 inputs x 4 outputs (nearest "
                "valid: 3, 6)",
                "layer 'fc2': reuse factor 5 is not valid for 4 inputs x 2 outputs (nearest "
                "valid: 4, 8)"}));
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

TEST(HlsParallelizationFactor, ValidValuesAreTheDivisorsOfThePositions) {
  EXPECT_EQ(valid_parallelization_factors(16), (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(valid_parallelization_factors(12), (std::vector<std::int64_t>{1, 2, 3, 4, 6, 12}));
  EXPECT_EQ(valid_parallelization_factors(7), (std::vector<std::int64_t>{1, 7}));
  EXPECT_TRUE(valid_parallelization_factors(0).empty());
  EXPECT_EQ(closest_parallelization_factor(16, 5), 4);
  EXPECT_EQ(closest_parallelization_factor(16, 6), 4);  // a tie: the smaller, as hls4ml
  EXPECT_EQ(closest_parallelization_factor(16, 7), 8);
  EXPECT_EQ(closest_parallelization_factor(16, 100), 16);
}

// conv1d over 16 positions (same padding), conv2d 28 x 28 stride 4 (7 x 7 = 49 positions).
Graph pf_model() {
  return export_test::chain(
      {2, 16}, {export_test::conv("c1", LayerKind::kConv1d, 2, {3}, {1}, Padding::kSame,
                                  std::vector<float>(4 * 2 * 3, 0.5f)),
                export_test::layer("relu", LayerKind::kRelu),
                export_test::layer("flatten", LayerKind::kFlatten),
                export_test::dense("fc", 64, std::vector<float>(64 * 2, 0.25f))});
}

TEST(HlsParallelizationFactor, DefaultIsEveryPositionAtOnceAttributesResolveAndSnap) {
  Graph g = pf_model();
  EXPECT_EQ(conv_output_positions(g.layers[0], Shape{2, 16}), 16);
  EXPECT_EQ(conv_output_positions(g.layers[3], Shape{64}), std::nullopt);
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 16);  // hlslim's own design
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[3]), 1);   // not a convolution
  EXPECT_TRUE(parallelization_factor_problems(g).empty());
  g.type_attrs["conv1d"]["parallelization_factor"] = std::int64_t{8};
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 8);
  g.layers[0].attrs["parallelization_factor"] = std::int64_t{5};  // name wins over type
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 4);
  auto problems = parallelization_factor_problems(g);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].layer, 0u);
  EXPECT_FALSE(problems[0].error);
  EXPECT_EQ(problems[0].message,
            "layer 'c1': parallelization factor 5 is not valid for 16 output positions "
            "(valid: 1, 2, 4, 8, 16); hls4ml uses 4");
  g.layers[0].attrs["parallelization_factor"] = 2.0;  // a whole double is an integer
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 2);
  g.layers[0].attrs["parallelization_factor"] = std::int64_t{0};
  try {
    layer_parallelization_factor(g, g.layers[0]);
    FAIL() << "no error for 0";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "layer 'c1': attribute parallelization_factor must be an integer of "
                 "at least 1");
    EXPECT_EQ(e.exit_code(), kExitConfig);
  }
  g.layers[0].attrs["parallelization_factor"] = std::string("all");
  problems = parallelization_factor_problems(g);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(problems[0].error);
  EXPECT_EQ(problems[0].message,
            "layer 'c1': attribute parallelization_factor must be an integer of at least 1");
}

}  // namespace
}  // namespace hlslim
