// Precision requests: parsing, name > type > model precedence, calibrated integer bits and
// accumulators wide enough for every sum.
#include "hlslim/engine/precision_plan.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "hlslim/quant/fixed_point.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

using testing::make_layer;

FixedType type(const char* text) {
  return *parse_fixed_type(text).type;
}
PrecisionSpec spec(const char* text) {
  return *parse_precision_spec(text).spec;
}

TEST(PrecisionSpec, ParsesAutoPartialAutoAndConcreteTypes) {
  EXPECT_EQ(spec("auto").kind, PrecisionSpec::Kind::kAuto);
  EXPECT_EQ(spec(" AUTO ").kind, PrecisionSpec::Kind::kAuto);
  const PrecisionSpec partial = spec("ufixed<6, auto, RND_CONV, SAT>");
  EXPECT_EQ(partial.kind, PrecisionSpec::Kind::kAutoIntegerBits);
  EXPECT_FALSE(partial.type.is_signed);
  EXPECT_EQ(partial.type.width, 6);
  EXPECT_EQ(partial.type.quant, QuantMode::kRndConv);
  EXPECT_EQ(partial.type.overflow, OverflowMode::kSat);
  const PrecisionSpec fixed = spec("fixed<8,3,RND>");
  EXPECT_EQ(fixed.kind, PrecisionSpec::Kind::kFixed);
  EXPECT_EQ(fixed.type, type("fixed<8,3,RND>"));
  // Errors of the partial form are those of the concrete type.
  EXPECT_EQ(parse_precision_spec("fixed<8,auto,RND_UP>").error,
            parse_fixed_type("fixed<8,1,RND_UP>").error);
  EXPECT_FALSE(parse_precision_spec("fixed<80,auto>").spec);
  EXPECT_FALSE(parse_precision_spec("automatic").spec);
}

TEST(PrecisionSpec, IntegerBitsAreTheFewestThatHoldTheRange) {
  // signed 8 bits: I = 3 holds [-4, 3.96875]
  EXPECT_EQ(integer_bits_for(type("fixed<8,0>"), -3.0, 2.9), 3);
  EXPECT_EQ(integer_bits_for(type("fixed<8,0>"), -4.0, 0.0), 3);
  EXPECT_EQ(integer_bits_for(type("fixed<8,0>"), 0.0, 3.97), 4);  // 3.97 > 3.96875
  // signed needs a sign bit: 1.0 does not fit fixed<16,1> (max 0.99997)
  EXPECT_EQ(integer_bits_for(type("fixed<16,0>"), -1.0, 1.0), 2);
  EXPECT_EQ(integer_bits_for(type("ufixed<16,0>"), 0.0, 1.0), 1);
  // small ranges give negative integer bits, i.e. more fraction bits
  EXPECT_EQ(integer_bits_for(type("fixed<8,0>"), -0.1, 0.1), -2);  // [-0.125, 0.1240]
  EXPECT_EQ(integer_bits_for(type("fixed<8,0>"), 0.0, 0.0), 1);
}

Graph small_model() {
  Graph graph;
  graph.name = "m";
  graph.input_shape = {3};
  Layer fc1 = make_layer(LayerKind::kDense, "fc1");
  fc1.params.units = 2;
  fc1.tensors["weight"] = Tensor({2, 3});
  fc1.tensors["weight"].values = {0.5f, -1.25f, 0.75f, 0.1f, 0.2f, -0.3f};
  fc1.tensors["bias"] = Tensor({2});
  fc1.tensors["bias"].values = {0.25f, -2.5f};
  Layer out = make_layer(LayerKind::kDense, "out");
  out.params.units = 1;
  out.tensors["weight"] = Tensor({1, 2});
  out.tensors["weight"].values = {3.0f, -0.5f};
  out.tensors["bias"] = Tensor({1});
  graph.layers = {fc1, make_layer(LayerKind::kRelu, "relu"), out};
  return graph;
}

TEST(ResolvePrecision, NameBeatsTypeBeatsModelDefault) {
  PrecisionRequest request;
  for (const char* role : {"input", "weight", "bias", "accum", "result"})
    request.defaults[role] = spec("fixed<16,6>");
  request.layers["dense"]["weight"] = spec("fixed<8,3>");
  request.layers["out"]["weight"] = spec("fixed<6,4>");
  const Graph graph = small_model();
  ValueRanges ranges;
  ranges.layers.assign(3, {-1.0, 1.0});
  const ModelPrecision p = resolve_precision(graph, request, ranges);
  EXPECT_EQ(*p.layers[0].weight, type("fixed<8,3>"));  // by type
  EXPECT_EQ(*p.layers[2].weight, type("fixed<6,4>"));  // by name
  EXPECT_EQ(*p.layers[0].bias, type("fixed<16,6>"));   // model default
  EXPECT_EQ(*p.layers[1].result, type("fixed<16,6>"));
  EXPECT_FALSE(p.layers[1].weight);  // a relu has no weights
}

TEST(ResolvePrecision, AutoCalibratesResultsAndSizesAccumulatorsForEverySum) {
  PrecisionRequest request;
  request.margin = 0.1;
  const Graph graph = small_model();
  ValueRanges ranges;
  ranges.input = {0.0, 1.0};
  ranges.layers = {{-3.0, 1.5}, {0.0, 1.5}, {-0.2, 5.0}};
  const ModelPrecision p = resolve_precision(graph, request, ranges);
  // input [0, 1.1]: unsigned 16 bits with one integer bit, rounded and saturating
  EXPECT_EQ(p.input, type("ufixed<16,1,RND_CONV,SAT>"));
  // weights of fc1 span [-1.25, 0.75]: signed 8 bits, I = 2 ([-2, 1.984])
  EXPECT_EQ(*p.layers[0].weight, type("fixed<8,2,RND_CONV,SAT>"));
  EXPECT_EQ(*p.layers[0].bias, type("fixed<8,3,RND_CONV,SAT>"));  // -2.5 needs [-4, 3.97]
  // fc1's result [-3.3, 1.65] -> fixed<16,3>; the relu's [0, 1.65] -> ufixed<16,1>
  EXPECT_EQ(*p.layers[0].result, type("fixed<16,3,RND_CONV,SAT>"));
  EXPECT_EQ(*p.layers[1].result, type("ufixed<16,1,RND_CONV,SAT>"));
  // Accumulator of fc1: fraction bits of an exact product (15 + 6), integer bits of the worst
  // case over units, |b| + sum |w| max|x| = 0.25 + 2.5 * 1.99998 = 5.25 -> 4 (range [-8, 8)).
  const FixedType acc = *p.layers[0].accum;
  EXPECT_EQ(acc.fraction_bits(), p.input.fraction_bits() + p.layers[0].weight->fraction_bits());
  EXPECT_EQ(acc.integer_bits, 4);
  EXPECT_EQ(acc.quant, QuantMode::kTrn);
  EXPECT_EQ(acc.overflow, OverflowMode::kWrap);
}

TEST(ResolvePrecision, QuantizationAwareActivationsAreAsWideAsTheWeights) {
  PrecisionRequest request;
  request.defaults["weight"] = spec("fixed<4,auto,RND_CONV,SAT>");
  EXPECT_EQ(activation_width_for(request), 4);
  request.activation_width = activation_width_for(request);
  Graph graph = small_model();
  graph.layers.insert(graph.layers.begin() + 2, make_layer(LayerKind::kLeakyRelu, "leaky"));
  graph.layers[2].params.alpha = 0.25;
  ValueRanges ranges;
  ranges.input = {0.0, 1.0};
  ranges.layers = {{-3.0, 1.5}, {0.0, 1.5}, {-0.3, 1.5}, {-0.2, 5.0}};
  const ModelPrecision p = resolve_precision(graph, request, ranges);
  // Activations: 4 bits, unsigned after the ReLU, signed after the leaky ReLU ([-0.33, 1.65]).
  EXPECT_EQ(*p.layers[1].result, type("ufixed<4,1,RND_CONV,SAT>"));
  EXPECT_EQ(*p.layers[2].result, type("fixed<4,2,RND_CONV,SAT>"));
  // The dense layers' outputs and the input keep 16 bits.
  EXPECT_EQ(*p.layers[0].result, type("fixed<16,3,RND_CONV,SAT>"));
  EXPECT_EQ(*p.layers[3].result, type("fixed<16,4,RND_CONV,SAT>"));
  EXPECT_EQ(p.input, type("ufixed<16,1,RND_CONV,SAT>"));
  // What a config writes wins: by type and by name.
  request.layers["relu"]["result"] = spec("ufixed<16,auto>");
  request.layers["leaky"]["result"] = spec("fixed<6,auto,RND_CONV,SAT>");
  const ModelPrecision q = resolve_precision(graph, request, ranges);
  EXPECT_EQ(q.layers[1].result->width, 16);
  EXPECT_EQ(*q.layers[2].result, type("fixed<6,2,RND_CONV,SAT>"));
  // `auto` weights are 8 bits, and so are the activations then.
  request.defaults["weight"] = spec("auto");
  EXPECT_EQ(activation_width_for(request), 8);
}

TEST(ResolvePrecision, AutoAccumulatorsTakeTheBiasUnrounded) {
  // A binary input and 4-bit weights leave the products few fraction bits; the bias must not
  // lose its own when it enters the accumulator.
  PrecisionRequest request;
  request.defaults["input"] = spec("ufixed<1,1,RND_CONV,SAT>");
  request.defaults["weight"] = spec("fixed<4,auto,RND_CONV,SAT>");
  Graph graph = small_model();
  graph.layers[0].tensors["bias"].values = {0.3f, -2.5f};
  ValueRanges ranges;
  ranges.input = {0.0, 1.0};
  ranges.layers = {{-3.0, 1.5}, {0.0, 1.5}, {-0.2, 5.0}};
  const ModelPrecision p = resolve_precision(graph, request, ranges);
  EXPECT_EQ(*p.layers[0].weight, type("fixed<4,2,RND_CONV,SAT>"));  // 2 fraction bits
  // bias fixed<8,3> (5 fraction bits): 0.3 -> raw 10 = 0.3125, which needs 4 of them
  EXPECT_EQ(*p.layers[0].bias, type("fixed<8,3,RND_CONV,SAT>"));
  EXPECT_EQ(p.layers[0].accum->fraction_bits(), 4);
  // out: products with 1 + 4 fraction bits; its zero bias needs none
  EXPECT_EQ(p.layers[2].accum->fraction_bits(),
            p.layers[1].result->fraction_bits() + p.layers[2].weight->fraction_bits());
}

TEST(ResolvePrecision, SignedActivationsKeepASignBitAndOneMore) {
  PrecisionRequest request;
  request.defaults["weight"] = spec("fixed<1,auto,TRN,SAT>");
  request.activation_width = activation_width_for(request);
  Graph graph = small_model();
  graph.layers[1] = make_layer(LayerKind::kLeakyRelu, "leaky");
  graph.layers[1].params.alpha = 0.25;
  ValueRanges ranges;
  ranges.input = {0.0, 1.0};
  ranges.layers = {{-3.0, 1.5}, {-0.75, 1.5}, {-0.2, 5.0}};
  const ModelPrecision p = resolve_precision(graph, request, ranges);
  // [-0.825, 1.65] with the margin: [-4, 2] in steps of 2, not a 512-bit integer part
  EXPECT_EQ(*p.layers[1].result, type("fixed<2,3,RND_CONV,SAT>"));
}

TEST(ResolvePrecision, AccumulatorsThatWouldNeedMoreThan64BitsKeepTheirIntegerBits) {
  PrecisionRequest request;
  request.defaults["input"] = spec("fixed<40,10>");
  request.defaults["weight"] = spec("fixed<40,4>");
  const Graph graph = small_model();
  ValueRanges ranges;
  ranges.layers.assign(3, {-1.0, 1.0});
  const ModelPrecision p = resolve_precision(graph, request, ranges);
  EXPECT_EQ(p.layers[0].accum->width, 64);
  EXPECT_GE(p.layers[0].accum->integer_bits, 11);
}

}  // namespace
}  // namespace hlslim
