// The LibTorch instantiation of the graph: every layer type against an independent PyTorch
// reference, and bit-identical outputs after a save/load round trip.
#include "hlslim/train/torch_model.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/graph/model_file.hpp"
#include "support/builders.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;

using testing::make_layer;

// Three small networks that together use every layer type.
std::vector<Graph> every_layer_type() {
  std::vector<Graph> graphs;
  {
    Graph g;
    g.name = "conv2d_net";
    g.input_shape = {2, 9, 16};
    Layer c1 = make_layer(LayerKind::kConv2d, "c1");
    c1.params.filters = 4;
    c1.params.kernel = {3, 3};
    c1.params.padding = Padding::kSame;
    g.layers.push_back(c1);
    g.layers.push_back(make_layer(LayerKind::kBatchNorm, "bn"));
    Layer leaky = make_layer(LayerKind::kLeakyRelu, "lr");
    leaky.params.alpha = 0.2;
    g.layers.push_back(leaky);
    Layer p1 = make_layer(LayerKind::kMaxPool2d, "p1");
    p1.params.pool = {1, 2};
    g.layers.push_back(p1);
    Layer c2 = make_layer(LayerKind::kConv2d, "c2");
    c2.params.filters = 3;
    c2.params.kernel = {2, 3};
    c2.params.stride = {2, 1};
    c2.params.bias = false;
    g.layers.push_back(c2);
    Layer p2 = make_layer(LayerKind::kAvgPool2d, "p2");
    p2.params.pool = {2, 2};
    g.layers.push_back(p2);
    g.layers.push_back(make_layer(LayerKind::kGlobalMaxPool, "gmp"));
    g.layers.push_back(make_layer(LayerKind::kTanh, "th"));
    graphs.push_back(g);
  }
  {
    Graph g;
    g.name = "conv1d_net";
    g.input_shape = {3, 20};
    Layer c = make_layer(LayerKind::kConv1d, "c");
    c.params.filters = 5;
    c.params.kernel = {4};
    c.params.stride = {2};
    g.layers.push_back(c);
    g.layers.push_back(make_layer(LayerKind::kBatchNorm, "bn"));
    g.layers.push_back(make_layer(LayerKind::kRelu, "r"));
    Layer mp = make_layer(LayerKind::kMaxPool1d, "mp");
    mp.params.pool = {2};
    g.layers.push_back(mp);
    Layer ap = make_layer(LayerKind::kAvgPool1d, "ap");
    ap.params.pool = {2};
    g.layers.push_back(ap);
    g.layers.push_back(make_layer(LayerKind::kGlobalAvgPool, "gap"));
    g.layers.push_back(make_layer(LayerKind::kSigmoid, "s"));
    graphs.push_back(g);
  }
  {
    Graph g;
    g.name = "dense_net";
    g.input_shape = {24};
    Layer r = make_layer(LayerKind::kReshape, "r");
    r.params.shape = {4, 6};
    g.layers.push_back(r);
    g.layers.push_back(make_layer(LayerKind::kFlatten, "f"));
    Layer d1 = make_layer(LayerKind::kDense, "d1");
    d1.params.units = 8;
    g.layers.push_back(d1);
    g.layers.push_back(make_layer(LayerKind::kBatchNorm, "bn"));
    Layer drop = make_layer(LayerKind::kDropout, "drop");
    drop.params.rate = 0.5;
    g.layers.push_back(drop);
    g.layers.push_back(make_layer(LayerKind::kRelu, "a"));
    Layer d2 = make_layer(LayerKind::kDense, "d2");
    d2.params.units = 4;
    g.layers.push_back(d2);
    g.layers.push_back(make_layer(LayerKind::kSoftmax, "sm"));
    graphs.push_back(g);
  }
  return graphs;
}

// Builds a module, runs a few training-mode batches so batch-norm statistics are not trivial,
// and prunes some weights with a mask, then stores everything into the graph.
Graph with_weights(Graph graph) {
  torch::manual_seed(7);
  GraphModule module(graph);
  module->train();
  for (int i = 0; i < 3; ++i) {
    std::vector<std::int64_t> shape{16};
    shape.insert(shape.end(), graph.input_shape.begin(), graph.input_shape.end());
    module->forward(torch::randn(shape) * 2 + 0.5);
  }
  module->store_weights(graph);
  for (auto& layer : graph.layers) {
    if (layer.kind != LayerKind::kDense && layer.kind != LayerKind::kConv1d &&
        layer.kind != LayerKind::kConv2d)
      continue;
    Tensor mask(layer.tensors.at("weight").shape, 1.0f);
    for (std::size_t i = 0; i < mask.values.size(); i += 3) mask.values[i] = 0.0f;
    layer.tensors["weight_mask"] = mask;
  }
  return graph;
}

torch::Tensor evaluate(const Graph& graph, const torch::Tensor& x) {
  GraphModule module(graph);
  module->eval();
  torch::NoGradGuard no_grad;
  return module->forward(x);
}

torch::Tensor batch_for(const Graph& graph, int n) {
  std::vector<std::int64_t> shape{n};
  shape.insert(shape.end(), graph.input_shape.begin(), graph.input_shape.end());
  torch::manual_seed(11);
  return torch::randn(shape);
}

TEST(TorchModel, ParameterCountsMatchTheGraph) {
  for (const Graph& graph : every_layer_type()) {
    GraphModule module(graph);
    std::int64_t torch_count = 0;
    for (const auto& p : module->parameters()) torch_count += p.numel();
    EXPECT_EQ(torch_count, graph.totals().parameters) << graph.name;
  }
}

TEST(TorchModel, SaveLoadGivesBitIdenticalOutputs) {
  const auto dir = testing::temp_dir("roundtrip");
  for (const Graph& architecture : every_layer_type()) {
    const Graph graph = with_weights(architecture);
    ASSERT_TRUE(graph.has_weights());
    const auto x = batch_for(graph, 32);
    const auto before = evaluate(graph, x);
    save_model(graph, dir / (graph.name + ".hlsm"));
    const Graph loaded = load_model(dir / (graph.name + ".hlsm"));
    const auto after = evaluate(loaded, x);
    EXPECT_TRUE(torch::equal(before, after)) << graph.name;
    EXPECT_EQ(loaded.layers.size(), graph.layers.size());
    for (std::size_t i = 0; i < graph.layers.size(); ++i) {
      EXPECT_EQ(loaded.layers[i].tensors, graph.layers[i].tensors) << graph.layers[i].name;
      EXPECT_EQ(loaded.layers[i].params.kernel, graph.layers[i].params.kernel);
      EXPECT_EQ(loaded.layers[i].params.padding, graph.layers[i].params.padding);
    }
  }
}

TEST(TorchModel, AgreesWithIndependentPyTorchReference) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no torch (install python3-torch)";
  }
  const auto dir = testing::temp_dir("reference");
  const std::string script = std::string(HLSLIM_SOURCE_DIR) + "/tests/graph/reference_forward.py";
  for (const Graph& architecture : every_layer_type()) {
    const Graph graph = with_weights(architecture);
    const int n = 8;
    const auto x = batch_for(graph, n).contiguous();
    const auto ours = evaluate(graph, x).contiguous();
    const fs::path model = dir / (graph.name + ".hlsm");
    const fs::path input = dir / (graph.name + ".in");
    const fs::path output = dir / (graph.name + ".out");
    save_model(graph, model);
    std::ofstream(input, std::ios::binary)
        .write(reinterpret_cast<const char*>(x.data_ptr<float>()), x.numel() * 4);
    const std::string command = "/usr/bin/python3 " + script + " " + model.string() + " " +
                                input.string() + " " + std::to_string(n) + " " + output.string();
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream in(output, std::ios::binary);
    std::vector<float> reference(static_cast<std::size_t>(ours.numel()));
    in.read(reinterpret_cast<char*>(reference.data()), ours.numel() * 4);
    ASSERT_EQ(in.gcount(), ours.numel() * 4) << graph.name;
    const float* got = ours.data_ptr<float>();
    for (std::size_t i = 0; i < reference.size(); ++i) {
      ASSERT_NEAR(got[i], reference[i], 1e-5f) << graph.name << " first mismatch at index " << i;
    }
  }
}

TEST(TorchModel, MaskedWeightsDoNotContribute) {
  Graph graph;
  graph.name = "m";
  graph.input_shape = {2};
  Layer d = make_layer(LayerKind::kDense, "d");
  d.params.units = 1;
  d.params.bias = false;
  d.tensors["weight"] = Tensor({1, 2}, 3.0f);
  d.tensors["weight_mask"] = Tensor({1, 2}, 1.0f);
  d.tensors["weight_mask"].values[1] = 0.0f;
  graph.layers.push_back(d);
  const auto y = evaluate(graph, torch::tensor({{1.0f, 100.0f}}));
  EXPECT_FLOAT_EQ(y.item<float>(), 3.0f);
}

}  // namespace
}  // namespace hlslim
