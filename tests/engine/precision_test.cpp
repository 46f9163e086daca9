// Reading and writing the precision attributes of a graph.

#include "hlslim/engine/precision.hpp"

#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using engine_test::chain;
using engine_test::dense;
using engine_test::fx;
using engine_test::layer;
using engine_test::model_precision;
using engine_test::roles;

// fc1 (dense 2 -> 2) -> act (relu) -> flat (flatten) -> fc2 (dense 2 -> 1, no bias).
Graph small_graph() {
  return chain({2}, {dense("fc1", 2, {1, 2, 3, 4}, {0.5f, -0.5f}), layer("act", LayerKind::kRelu),
                     layer("flat", LayerKind::kFlatten), dense("fc2", 2, {1, -1})});
}

std::string attr(const Graph& g, const std::string& layer_name, const std::string& key) {
  const auto value = g.resolve_attr(*g.find(layer_name), key);
  return value ? std::get<std::string>(*value) : "<none>";
}

std::string read_error(const Graph& g) {
  try {
    read_precision(g);
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Precision, RolesPerLayerType) {
  using Roles = std::vector<std::string>;
  EXPECT_EQ(precision_roles(LayerKind::kDense), (Roles{"weight", "bias", "accum", "result"}));
  EXPECT_EQ(precision_roles(LayerKind::kConv2d), (Roles{"weight", "bias", "accum", "result"}));
  EXPECT_EQ(precision_roles(LayerKind::kBatchNorm), (Roles{"weight", "bias", "result"}));
  EXPECT_EQ(precision_roles(LayerKind::kLeakyRelu), (Roles{"weight", "result"}));
  EXPECT_EQ(precision_roles(LayerKind::kAvgPool2d), (Roles{"accum", "result"}));
  EXPECT_EQ(precision_roles(LayerKind::kGlobalAvgPool), (Roles{"accum", "result"}));
  EXPECT_EQ(precision_roles(LayerKind::kGlobalMaxPool), (Roles{"result"}));
  EXPECT_EQ(precision_roles(LayerKind::kRelu), (Roles{"result"}));
  EXPECT_EQ(precision_roles(LayerKind::kFlatten), Roles{});
  EXPECT_EQ(precision_roles(LayerKind::kSoftmax), Roles{});
  EXPECT_TRUE(engine_supports(LayerKind::kDropout));
  EXPECT_FALSE(engine_supports(LayerKind::kTanh));
  EXPECT_FALSE(engine_supports(LayerKind::kSigmoid));
  EXPECT_FALSE(engine_supports(LayerKind::kSoftmax));
  EXPECT_EQ(precision_attr("accum"), "precision.accum");
}

TEST(Precision, ResolvesLayerNameThenTypeThenModel) {
  Graph g = small_graph();
  g.default_attrs["precision.input"] = std::string("fixed<10,4>");
  for (const char* role : {"weight", "bias", "accum", "result"}) {
    g.default_attrs[precision_attr(role)] = std::string("fixed<16,6>");
  }
  g.type_attrs["dense"]["precision.weight"] = std::string("fixed<8,2>");
  g.type_attrs["relu"]["precision.result"] = std::string("ufixed<8,4>");
  g.find("fc2")->attrs["precision.weight"] = std::string("fixed<6,1,RND,SAT>");
  const ModelPrecision p = read_precision(g);
  EXPECT_EQ(p.input, fx("fixed<10,4>"));
  ASSERT_EQ(p.layers.size(), 4u);
  EXPECT_EQ(p.layers[0].weight, fx("fixed<8,2>"));
  EXPECT_EQ(p.layers[0].bias, fx("fixed<16,6>"));
  EXPECT_EQ(p.layers[0].accum, fx("fixed<16,6>"));
  EXPECT_EQ(p.layers[1].result, fx("ufixed<8,4>"));
  EXPECT_FALSE(p.layers[1].weight.has_value());  // relu takes no weight
  EXPECT_FALSE(p.layers[2].result.has_value());  // flatten passes values through
  EXPECT_EQ(p.layers[3].weight, fx("fixed<6,1,RND,SAT>"));
  EXPECT_FALSE(p.layers[3].bias.has_value());  // fc2 has no bias
}

TEST(Precision, StoreWritesConcreteLayerAttributesAndReadsBack) {
  Graph g = small_graph();
  g.default_attrs["precision.result"] = std::string("fixed<16,6>");
  g.default_attrs["reuse_factor"] = std::int64_t{4};
  g.type_attrs["dense"]["precision.accum"] = std::string("fixed<20,8>");
  const ModelPrecision p = model_precision(
      "fixed<10,4,RND,SAT>",
      {roles("fixed<8,2>", "fixed<10,3>", "fixed<24,8>", "fixed<16,6,RND_CONV,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,4>"), LayerPrecision{},
       roles("fixed<8,1>", nullptr, "fixed<20,6>", "fixed<12,4>")});
  store_precision(g, p);
  EXPECT_EQ(g.default_attrs.count("precision.result"), 0u);
  EXPECT_EQ(g.type_attrs["dense"].count("precision.accum"), 0u);
  EXPECT_EQ(std::get<std::int64_t>(g.default_attrs.at("reuse_factor")), 4);  // untouched
  EXPECT_EQ(std::get<std::string>(g.default_attrs.at("precision.input")), "fixed<10,4,RND,SAT>");
  EXPECT_EQ(std::get<std::string>(g.find("fc1")->attrs.at("precision.result")),
            "fixed<16,6,RND_CONV,SAT>");
  EXPECT_EQ(attr(g, "flat", "precision.result"), "<none>");
  EXPECT_TRUE(has_precision(g));

  const ModelPrecision back = read_precision(g);
  EXPECT_EQ(back.input, p.input);
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    for (const char* role : {"weight", "bias", "accum", "result"}) {
      EXPECT_EQ(*back.layers[i].role(role), *p.layers[i].role(role)) << i << " " << role;
    }
  }
}

TEST(Precision, StoreKeepsWhatUnsupportedLayersResolvedTo) {
  Graph g = chain({2}, {layer("act", LayerKind::kRelu), layer("sm", LayerKind::kSoftmax)});
  g.default_attrs["precision.result"] = std::string("fixed<18,8>");
  store_precision(g, model_precision("fixed<8,4>", {roles(nullptr, nullptr, nullptr, "fixed<8,4>"),
                                                    LayerPrecision{}}));
  EXPECT_EQ(attr(g, "act", "precision.result"), "fixed<8,4>");
  EXPECT_EQ(attr(g, "sm", "precision.result"), "fixed<18,8>");
  EXPECT_EQ(g.default_attrs.count("precision.result"), 0u);
}

TEST(Precision, ErrorsNameModelLayerAndRole) {
  Graph g = small_graph();
  EXPECT_FALSE(has_precision(g));
  EXPECT_EQ(read_error(g), "model 'm': precision.input missing");
  g.default_attrs["precision.input"] = std::string("fixed<10,4>");
  g.default_attrs["precision.weight"] = std::string("fixed<8,2>");
  g.default_attrs["precision.bias"] = std::string("fixed<8,2>");
  g.default_attrs["precision.accum"] = std::string("fixed<20,8>");
  EXPECT_EQ(read_error(g), "model 'm', layer 'fc1': precision.result missing");
  g.default_attrs["precision.result"] = std::string("fixed<16,6>");
  g.find("fc2")->attrs["precision.weight"] = std::string("fixed<0,5>");
  EXPECT_EQ(read_error(g),
            "model 'm', layer 'fc2': precision.weight 'fixed<0,5>': total bits must be at least "
            "1, got 0");
  g.find("fc2")->attrs["precision.weight"] = std::string("fixed<8,2,RND,CLAMP>");
  EXPECT_EQ(read_error(g).rfind("model 'm', layer 'fc2': precision.weight 'fixed<8,2,RND,CLAMP>': "
                                "unknown overflow mode 'CLAMP'",
                                0),
            0u);
  g.find("fc2")->attrs["precision.weight"] = std::int64_t{8};
  EXPECT_EQ(read_error(g),
            "model 'm', layer 'fc2': precision.weight must be a precision string such as "
            "'fixed<16,6>'");
  g.find("fc2")->attrs.erase("precision.weight");
  g.default_attrs["precision.input"] = std::string("fixed<10");
  EXPECT_EQ(read_error(g),
            "model 'm': precision.input 'fixed<10': expected '>' at the end of precision "
            "'fixed<10'");
}

TEST(Precision, EngineReadsTheGraphsOwnPrecisions) {
  Graph g = chain({2}, {dense("fc", 2, {0.5f, 0.25f})});
  g.default_attrs["precision.input"] = std::string("fixed<8,4>");
  g.default_attrs["precision.weight"] = std::string("fixed<8,2>");
  g.default_attrs["precision.accum"] = std::string("fixed<20,8>");
  g.default_attrs["precision.result"] = std::string("fixed<12,6>");
  const FixedEngine engine(g);
  EXPECT_EQ(engine.value_types().back(), fx("fixed<12,6>"));
  // 0.5 * 1 + 0.25 * 2 = 1.0 = 64 raws of 1/64.
  EXPECT_EQ(engine_test::run_one(engine, {16, 32}), std::vector<std::int64_t>{64});
}

}  // namespace
}  // namespace hlslim
