// Every layer kind through every part of hlslim that handles layers: each either supports the
// kind or rejects it with an hlslim::Error that names it. The table of expected rejections below
// is the support matrix; a new kind gets a row in the traits table and an entry here.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/export/hls4ml_config.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/export/readiness.hpp"
#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/graph/layer_types.hpp"
#include "hlslim/prune/structured.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "support/builders.hpp"

namespace hlslim {

// Test names and failure messages show the kind's name.
void PrintTo(LayerKind kind, std::ostream* os) {
  *os << layer_kind_name(kind);
}

namespace {

namespace fs = std::filesystem;
using testing::make_layer;

// A model around the layer under test, named after its kind: a dense or convolution layer
// before it (so structured pruning has units to carry through it) and, where its output is not
// flat, a flatten and a dense layer after it.
Graph model_around(LayerKind kind) {
  const LayerTraits& traits = layer_traits(kind);
  Graph g;
  g.name = "m";
  Layer under = make_layer(kind, traits.name);
  under.params.units = 3;
  under.params.filters = 3;
  under.params.kernel.assign(static_cast<std::size_t>(std::max(1, spatial_dims(kind))), 1);
  Layer first;
  switch (traits.input) {
    case InputRank::kFlat:
      g.input_shape = {6};
      first = make_layer(LayerKind::kDense, "first");
      first.params.units = 4;
      break;
    case InputRank::k1d:
    case InputRank::kAny:
      g.input_shape = {2, 8};
      first = make_layer(LayerKind::kConv1d, "first");
      first.params.filters = 4;
      first.params.kernel = {1};
      break;
    case InputRank::k2d:
    case InputRank::kSpatial:
      g.input_shape = {2, 4, 4};
      first = make_layer(LayerKind::kConv2d, "first");
      first.params.filters = 4;
      first.params.kernel = {1, 1};
      break;
  }
  if (kind == LayerKind::kReshape) under.params.shape = {4, 8};
  g.layers.push_back(first);
  g.layers.push_back(under);
  const Shape out = g.shapes().back();
  if (out.size() > 1) g.layers.push_back(make_layer(LayerKind::kFlatten, "flat"));
  if (kind != LayerKind::kSoftmax) {
    Layer last = make_layer(LayerKind::kDense, "last");
    last.params.units = 2;
    g.layers.push_back(last);
  }
  seed_torch(7);
  initialize_weights(g);
  return g;
}

// The model quantized at 16-bit types with calibrated integer bits, as a quantize stage would.
Graph quantized(Graph g) {
  PrecisionRequest request;
  const auto spec = [](const char* text) { return *parse_precision_spec(text).spec; };
  request.defaults["input"] = spec("fixed<16,auto>");
  request.defaults["weight"] = spec("fixed<12,auto>");
  request.defaults["bias"] = spec("fixed<12,auto>");
  request.defaults["result"] = spec("fixed<16,auto>");
  request.defaults["accum"] = spec("auto");
  ValueRanges ranges;
  ranges.input = {-4.0, 4.0};
  ranges.layers.assign(g.layers.size(), {-8.0, 8.0});
  store_precision(g, resolve_precision(g, request, ranges));
  return g;
}

// What each part of hlslim did with the kind: "ok", or the message of the Error it threw.
std::map<std::string, std::string> run_consumers(LayerKind kind, const fs::path& dir) {
  std::map<std::string, std::string> out;
  const auto attempt = [&](const std::string& consumer, const auto& f) {
    try {
      f();
      out[consumer] = "ok";
    } catch (const Error& e) {
      out[consumer] = e.what();
    }
  };
  Graph g = model_around(kind);
  attempt("shapes", [&] { (void)g.shapes(); });
  attempt("torch", [&] {
    const std::size_t n = 3, in = static_cast<std::size_t>(shape_numel(g.input_shape));
    std::vector<float> x(n * in), y(n * static_cast<std::size_t>(shape_numel(g.shapes().back())));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) * 0.25f - 0.75f;
    float_predictor(g)(x.data(), n, y.data());
    for (float v : y) {
      if (!std::isfinite(v)) throw Error("non-finite output");
    }
  });
  attempt("onnx", [&] { write_onnx(g, dir / "float.onnx"); });
  attempt("structured_pruning", [&] {
    Graph pruned = g;
    const std::string blocker = removal_blocker(pruned, 0);
    if (!blocker.empty()) throw Error(blocker);
    apply_structured_masks(pruned, {{"first", 0.5}}, UnitNorm::kL1);
    remove_pruned_units(pruned);
  });
  Graph q;
  attempt("precision", [&] { q = quantized(g); });
  if (out["precision"] != "ok") return out;
  attempt("engine", [&] {
    const FixedEngine engine(q, read_precision(q));
    (void)engine.value_types();
  });
  attempt("qonnx", [&] { write_qonnx(q, dir / "model.onnx"); });
  attempt("hls4ml_readiness", [&] { (void)check_hls4ml_readiness(q, Hls4mlOptions{}); });
  attempt("hls_project", [&] {
    const std::vector<float> inputs(static_cast<std::size_t>(shape_numel(q.input_shape)), 0.5f);
    write_hls_project(q, HlsProjectOptions{}, inputs, dir / "hls");
  });
  attempt("estimates", [&] { (void)estimate_resources(q, HlsProjectOptions{}); });
  return out;
}

// The consumers that reject a kind. Every other consumer supports it; where the precision plan
// rejects a kind, the consumers of quantized models (engine, QONNX, readiness, HLS project,
// estimates) never see it.
const std::map<LayerKind, std::set<std::string>> kRejections{
    // Structured pruning stops where units cannot be carried to the next dense layer.
    {LayerKind::kReshape, {"structured_pruning"}},
    // The model here ends in the softmax: the firmware leaves it out (it ends at the logits),
    // so every consumer of quantized models takes it; a softmax elsewhere is refused by the
    // quantize stage (tests/quantize).
    {LayerKind::kSoftmax, {"structured_pruning"}},
    // hls4ml computes these with lookup tables the fixed-point engine does not model, so no
    // precision is planned for them.
    {LayerKind::kTanh, {"precision"}},
    {LayerKind::kSigmoid, {"precision"}},
};

class LayerConformance : public ::testing::TestWithParam<LayerKind> {};

TEST_P(LayerConformance, EveryConsumerSupportsTheKindOrRejectsItByName) {
  const LayerKind kind = GetParam();
  const std::string name = layer_kind_name(kind);
  const fs::path dir = fs::temp_directory_path() / ("hlslim_conformance_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto results = run_consumers(kind, dir);
  fs::remove_all(dir);
  const auto it = kRejections.find(kind);
  const std::set<std::string> rejecting =
      it == kRejections.end() ? std::set<std::string>{} : it->second;
  for (const auto& [consumer, result] : results) {
    if (rejecting.count(consumer)) {
      EXPECT_NE(result, "ok") << consumer << " was expected to reject " << name;
      EXPECT_NE(result.find("'" + name + "'"), std::string::npos)
          << consumer << " rejects " << name << " without naming it: " << result;
    } else {
      EXPECT_EQ(result, "ok") << consumer << " on " << name;
    }
  }
  for (const auto& consumer : rejecting) EXPECT_TRUE(results.count(consumer)) << consumer;
}

INSTANTIATE_TEST_SUITE_P(AllKinds, LayerConformance, ::testing::ValuesIn(all_layer_kinds()),
                         [](const ::testing::TestParamInfo<LayerKind>& info) {
                           return std::string(layer_kind_name(info.param));
                         });

TEST(LayerTraits, OneRowPerKindInEnumOrderWithItsName) {
  const auto& all = all_layer_traits();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kLastLayerKind) + 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(all[i].kind), i);
    EXPECT_EQ(parse_layer_kind(all[i].name), all[i].kind);
    // The traits agree with what the graph computes for the kind.
    const Graph g = model_around(all[i].kind);
    const bool owns = !expected_tensors(g.layers[1], g.shapes()[1]).empty();
    EXPECT_EQ(owns, all[i].has_tensors) << all[i].name;
  }
}

}  // namespace
}  // namespace hlslim
