#pragma once

// Small models for the export tests: random (deterministic) weights, quantized with types that
// QONNX expresses exactly unless a test says otherwise.

#include <cstdint>
#include <string>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/graph/layer_types.hpp"

namespace hlslim::export_test {

/// A deterministic generator of uniform floats in [lo, hi).
class Random {
 public:
  explicit Random(std::uint64_t seed)
      : state_(seed * 6364136223846793005ULL + 1442695040888963407ULL) {}
  float uniform(float lo, float hi) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(state_ >> 11) / 9007199254740992.0;
    return static_cast<float>(lo + (hi - lo) * u);
  }
  std::vector<float> values(std::size_t n, float lo, float hi) {
    std::vector<float> out(n);
    for (float& v : out) v = uniform(lo, hi);
    return out;
  }

 private:
  std::uint64_t state_;
};

inline Layer make_layer(const std::string& name, LayerKind kind) {
  Layer layer;
  layer.name = name;
  layer.kind = kind;
  return layer;
}

/// Gives every layer that lacks one the tensors expected_tensors() lists, random.
inline void fill_weights(Graph& graph, std::uint64_t seed) {
  Random random(seed);
  const std::vector<Shape> shapes = graph.shapes();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    Layer& layer = graph.layers[i];
    for (const auto& [name, shape] : expected_tensors(layer, shapes[i])) {
      if (layer.tensors.count(name)) continue;
      Tensor t(shape);
      const float lo = name == "running_var" ? 0.5f : -1.0f;
      const float hi = name == "running_var" ? 2.0f : 1.0f;
      t.values = random.values(static_cast<std::size_t>(t.numel()), lo, hi);
      layer.tensors[name] = t;
    }
  }
}

/// Types QONNX and hls4ml carry exactly, with accumulators wide enough that no sum rounds or
/// overflows: the QONNX file then computes exactly what the engine computes.
inline void set_exact_precision(Graph& graph) {
  graph.default_attrs[kInputPrecisionAttr] = std::string("fixed<10,3,RND_CONV,SAT>");
  graph.default_attrs["precision.weight"] = std::string("fixed<6,1,RND_CONV,SAT>");
  graph.default_attrs["precision.bias"] = std::string("fixed<8,2,RND_CONV,SAT_SYM>");
  graph.default_attrs["precision.accum"] = std::string("fixed<40,16>");
  graph.default_attrs["precision.result"] = std::string("fixed<12,4,RND_CONV,SAT>");
  graph.type_attrs["relu"]["precision.result"] = std::string("ufixed<10,3,TRN,SAT>");
  graph.type_attrs["max_pool1d"]["precision.result"] = std::string("fixed<12,4,TRN,SAT>");
}

/// dense 12 -> 8, relu, dense 3.
inline Graph dense_model() {
  Graph g;
  g.name = "dense";
  g.input_shape = {12};
  Layer fc1 = make_layer("fc1", LayerKind::kDense);
  fc1.params.units = 8;
  Layer out = make_layer("out", LayerKind::kDense);
  out.params.units = 3;
  g.layers = {fc1, make_layer("relu1", LayerKind::kRelu), out};
  fill_weights(g, 1);
  set_exact_precision(g);
  return g;
}

/// The dense model with half its weights and a bias masked.
inline Graph pruned_model() {
  Graph g = dense_model();
  g.name = "pruned";
  Random random(7);
  for (Layer& layer : g.layers) {
    if (layer.kind != LayerKind::kDense) continue;
    Tensor mask = layer.tensors.at("weight");
    for (float& v : mask.values) v = random.uniform(0, 1) < 0.5f ? 0.0f : 1.0f;
    layer.tensors["weight_mask"] = mask;
    Tensor bias_mask = layer.tensors.at("bias");
    for (float& v : bias_mask.values) v = 1.0f;
    bias_mask.values[0] = 0.0f;
    layer.tensors["bias_mask"] = bias_mask;
  }
  return g;
}

/// conv1d [4, 10] -> 5 filters k3 same, relu, max pool 2, conv1d 3 filters k2 stride 2 valid,
/// flatten, dense 3.
inline Graph conv1d_model() {
  Graph g;
  g.name = "conv1d";
  g.input_shape = {4, 10};
  Layer c1 = make_layer("conv.1", LayerKind::kConv1d);
  c1.params.filters = 5;
  c1.params.kernel = {3};
  c1.params.stride = {1};
  c1.params.padding = Padding::kSame;
  Layer pool = make_layer("pool1", LayerKind::kMaxPool1d);
  pool.params.pool = {2};
  Layer c2 = make_layer("conv-2", LayerKind::kConv1d);
  c2.params.filters = 3;
  c2.params.kernel = {2};
  c2.params.stride = {2};
  Layer fc = make_layer("fc", LayerKind::kDense);
  fc.params.units = 3;
  g.layers = {c1, make_layer("relu1", LayerKind::kRelu),      pool,
              c2, make_layer("flatten", LayerKind::kFlatten), fc};
  fill_weights(g, 2);
  set_exact_precision(g);
  return g;
}

/// conv2d [2, 6, 8] -> 4 filters 3x3 valid, relu, max pool 2x2, conv2d 3 filters 2x2 same
/// without bias, flatten, dense 4.
inline Graph conv2d_model() {
  Graph g;
  g.name = "conv2d";
  g.input_shape = {2, 6, 8};
  Layer c1 = make_layer("c1", LayerKind::kConv2d);
  c1.params.filters = 4;
  c1.params.kernel = {3, 3};
  c1.params.stride = {1, 1};
  Layer pool = make_layer("p1", LayerKind::kMaxPool2d);
  pool.params.pool = {2, 2};
  Layer c2 = make_layer("c2", LayerKind::kConv2d);
  c2.params.filters = 3;
  c2.params.kernel = {2, 2};
  c2.params.stride = {1, 1};
  c2.params.padding = Padding::kSame;
  c2.params.bias = false;
  Layer fc = make_layer("fc", LayerKind::kDense);
  fc.params.units = 4;
  g.layers = {c1, make_layer("r1", LayerKind::kRelu),      pool,
              c2, make_layer("flat", LayerKind::kFlatten), fc};
  fill_weights(g, 3);
  set_exact_precision(g);
  return g;
}

/// Pools and the rest: reshape [32] -> [2, 4, 4], batch norm, leaky relu, average pool (1, 2),
/// conv2d 3 filters 1x1, global average pool (8 values), dropout, batch norm on a flat tensor,
/// dense 2.
inline Graph pooled_model() {
  Graph g;
  g.name = "pooled";
  g.input_shape = {32};
  Layer reshape = make_layer("reshape", LayerKind::kReshape);
  reshape.params.shape = {2, 4, 4};
  Layer bn = make_layer("bn", LayerKind::kBatchNorm);
  Layer leaky = make_layer("leaky", LayerKind::kLeakyRelu);
  leaky.params.alpha = 0.1;
  Layer avg = make_layer("avg", LayerKind::kAvgPool2d);
  avg.params.pool = {1, 2};
  Layer conv = make_layer("conv", LayerKind::kConv2d);
  conv.params.filters = 3;
  conv.params.kernel = {1, 1};
  conv.params.stride = {1, 1};
  Layer fc = make_layer("fc", LayerKind::kDense);
  fc.params.units = 2;
  Layer bn2 = make_layer("bn2", LayerKind::kBatchNorm);
  g.layers = {reshape,
              bn,
              leaky,
              avg,
              conv,
              make_layer("gap", LayerKind::kGlobalAvgPool),
              make_layer("drop", LayerKind::kDropout),
              bn2,
              fc};
  fill_weights(g, 4);
  set_exact_precision(g);
  // Average pools sum two values: an accumulator with one more fraction bit divides exactly.
  g.type_attrs["avg_pool2d"]["precision.accum"] = std::string("fixed<24,8>");
  g.type_attrs["global_avg_pool"]["precision.accum"] = std::string("fixed<24,8>");
  g.type_attrs["leaky_relu"]["precision.weight"] = std::string("fixed<8,1,RND_CONV,SAT>");
  return g;
}

/// Global max pool on a 1-D tensor, then a reshape to several channels and a flatten of it.
inline Graph reshaped_model() {
  Graph g;
  g.name = "reshaped";
  g.input_shape = {3, 8};
  Layer pool = make_layer("pool", LayerKind::kAvgPool1d);
  pool.params.pool = {2};
  Layer flat = make_layer("flat", LayerKind::kFlatten);
  Layer reshape = make_layer("rs", LayerKind::kReshape);
  reshape.params.shape = {2, 6};
  Layer conv = make_layer("conv", LayerKind::kConv1d);
  conv.params.filters = 2;
  conv.params.kernel = {3};
  conv.params.stride = {1};
  Layer fc = make_layer("fc", LayerKind::kDense);
  fc.params.units = 2;
  g.layers = {pool, flat, reshape, conv, make_layer("gmp", LayerKind::kGlobalMaxPool), fc};
  fill_weights(g, 5);
  set_exact_precision(g);
  g.type_attrs["avg_pool1d"]["precision.accum"] = std::string("fixed<24,8>");
  return g;
}

/// Every exact model, named.
inline std::vector<Graph> exact_models() {
  return {dense_model(),  pruned_model(), conv1d_model(),
          conv2d_model(), pooled_model(), reshaped_model()};
}

}  // namespace hlslim::export_test
