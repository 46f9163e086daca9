// Adder graphs for constant matrix-vector products (multiplication: adder_graph): the graph
// computes W x exactly within its ranges, a hand-worked example has the adders counted by hand,
// the generated projects reproduce the engine bit for bit in C simulation, and the estimate
// counts the adders the generated code has.

#include "../../src/export/adder_graph.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "export_test_support.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

using export_test::conv;
using export_test::dense;
using export_test::layer;
using export_test::quantized_chain;
using export_test::random_inputs;
using export_test::random_weights;
using export_test::roles;
using hls_detail::AdderGraph;
using hls_detail::build_adder_graph;

// Every signal's value for raw inputs x, checking each against its range.
std::vector<std::int64_t> evaluate(const AdderGraph& g, const std::vector<std::int64_t>& x) {
  std::vector<std::int64_t> v(x);
  for (const AdderGraph::Adder& a : g.adders) {
    const std::int64_t b = v[static_cast<std::size_t>(a.b)] * (std::int64_t{1} << a.shift);
    v.push_back(v[static_cast<std::size_t>(a.a)] + (a.subtract ? -b : b));
  }
  for (std::size_t s = 0; s < v.size(); ++s) {
    EXPECT_GE(v[s], g.lo[s]) << "signal " << s;
    EXPECT_LE(v[s], g.hi[s]) << "signal " << s;
  }
  std::vector<std::int64_t> y;
  for (const AdderGraph::Output& o : g.outputs) {
    if (o.signal < 0) {
      y.push_back(0);
      continue;
    }
    const std::int64_t t = v[static_cast<std::size_t>(o.signal)] * (std::int64_t{1} << o.shift);
    y.push_back(o.negative ? -t : t);
  }
  return y;
}

TEST(AdderGraph, HandWorkedSharedSum) {
  // y0 = x0 + x1 + x2, y1 = x0 + x1, y2 = 2 x0 + 2 x1 + x2: x0 + x1 occurs in all three
  // (in y2 shifted by one), so t0 = x0 + x1, then y0 = x2 + t0, y1 = t0, y2 = x2 + 2 t0:
  // 3 adders instead of 2 + 1 + 2 = 5, depth 2.
  const std::vector<std::int64_t> w = {1, 1, 1, 1, 1, 0, 2, 2, 1};
  const AdderGraph g = build_adder_graph(w, 3, 3, -8, 7);
  ASSERT_EQ(g.adders.size(), 3u);
  EXPECT_EQ(hls_detail::csd_additions(w, 3, 3), 5);
  EXPECT_EQ(g.adders[0].a, 0);
  EXPECT_EQ(g.adders[0].b, 1);
  EXPECT_EQ(g.adders[0].shift, 0);
  EXPECT_FALSE(g.adders[0].subtract);
  EXPECT_EQ(g.outputs[1].signal, 3);  // y1 is t0 itself
  EXPECT_EQ(g.max_depth(), 2);
  // Ranges: t0 in [-16, 14] (6 bits), x2 + t0 in [-24, 21], x2 + 2 t0 in [-40, 35].
  EXPECT_EQ(g.lo[3], -16);
  EXPECT_EQ(g.hi[3], 14);
  EXPECT_EQ(AdderGraph::signed_bits(g.lo[3], g.hi[3]), 5);
  EXPECT_EQ(evaluate(g, {3, -5, 7}), (std::vector<std::int64_t>{5, -2, 3}));
}

TEST(AdderGraph, HandWorkedSharedDigitPattern) {
  // 3 x = 4x - x, 6 x = 8x - 2x, -3 x = x - 4x: one pattern x - (x << 2) = -3x at shifts
  // 0, 1, 0: one adder; y0 and y1 are its negation (csd alone: 3 additions).
  const std::vector<std::int64_t> w = {3, 6, -3};
  const AdderGraph g = build_adder_graph(w, 3, 1, -128, 127);
  ASSERT_EQ(g.adders.size(), 1u);
  EXPECT_EQ(hls_detail::csd_additions(w, 3, 1), 3);
  EXPECT_TRUE(g.adders[0].subtract);
  EXPECT_EQ(g.adders[0].shift, 2);
  EXPECT_TRUE(g.outputs[0].negative);
  EXPECT_EQ(g.outputs[1].shift, 1);
  EXPECT_FALSE(g.outputs[2].negative);
  EXPECT_EQ(evaluate(g, {-7}), (std::vector<std::int64_t>{-21, -42, 21}));
  // -3x for x in [-128, 127]: [-381, 384], 10 bits; its adder passes the 2 low bits of x.
  EXPECT_EQ(g.lo[1], -381);
  EXPECT_EQ(g.hi[1], 384);
  EXPECT_EQ(g.adder_width(0), 8);
}

TEST(AdderGraph, RandomMatricesComputeTheirProductsExactly) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    const int rows = 1 + static_cast<int>(rng() % 12);
    const int cols = 1 + static_cast<int>(rng() % 20);
    std::vector<std::int64_t> w(static_cast<std::size_t>(rows * cols));
    for (std::int64_t& v : w) {
      const int kind = static_cast<int>(rng() % 4);
      if (kind == 0) v = 0;
      if (kind == 1) v = (rng() % 2 ? 1 : -1) * (std::int64_t{1} << (rng() % 6));  // +-2^k
      if (kind >= 2) v = static_cast<std::int64_t>(rng() % 255) - 127;
    }
    const std::int64_t lo = trial % 2 ? 0 : -512, hi = 511;
    const AdderGraph g = build_adder_graph(w, rows, cols, lo, hi);
    EXPECT_LE(static_cast<std::int64_t>(g.adders.size()), hls_detail::csd_additions(w, rows, cols));
    // The corners of the input box and random points.
    for (int n = 0; n < 50; ++n) {
      std::vector<std::int64_t> x(static_cast<std::size_t>(cols));
      for (std::int64_t& v : x) {
        v = n < 2 ? (n == 0 ? lo : hi) : lo + static_cast<std::int64_t>(rng() % (hi - lo + 1));
      }
      std::vector<std::int64_t> expected(static_cast<std::size_t>(rows), 0);
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c)
          expected[static_cast<std::size_t>(r)] +=
              w[static_cast<std::size_t>(r * cols + c)] * x[static_cast<std::size_t>(c)];
      }
      ASSERT_EQ(evaluate(g, x), expected) << "trial " << trial << ", point " << n;
    }
    // Deterministic: the same matrix gives the same graph.
    const AdderGraph again = build_adder_graph(w, rows, cols, lo, hi);
    ASSERT_EQ(again.adders.size(), g.adders.size());
    for (std::size_t k = 0; k < g.adders.size(); ++k) {
      EXPECT_EQ(again.adders[k].a, g.adders[k].a);
      EXPECT_EQ(again.adders[k].b, g.adders[k].b);
      EXPECT_EQ(again.adders[k].shift, g.adders[k].shift);
      EXPECT_EQ(again.adders[k].subtract, g.adders[k].subtract);
    }
    ASSERT_EQ(again.outputs.size(), g.outputs.size());
    for (std::size_t o = 0; o < g.outputs.size(); ++o) {
      EXPECT_EQ(again.outputs[o].signal, g.outputs[o].signal);
      EXPECT_EQ(again.outputs[o].shift, g.outputs[o].shift);
      EXPECT_EQ(again.outputs[o].negative, g.outputs[o].negative);
    }
  }
}

TEST(AdderGraph, OptionProblems) {
  HlsProjectOptions options;
  options.multiplication = "dsp";
  EXPECT_EQ(hls_project_option_problems(options),
            std::vector<std::string>{"multiplication 'dsp' is not supported by the HLS writer: "
                                     "use csd or adder_graph"});
  options.multiplication = "adder_graph";
  EXPECT_TRUE(hls_project_option_problems(options).empty());
  options.io_type = "io_stream";
  EXPECT_EQ(hls_project_option_problems(options),
            std::vector<std::string>{
                "multiplication 'adder_graph' needs io_type io_parallel: the io_stream kernels "
                "compute one window at a time with csd products"});
}

#if defined(HLSLIM_SYSTEMC_INCLUDE) && defined(HLSLIM_SYSTEMC_LIB)
constexpr bool kHaveSystemC = true;
const char* const kSystemCInclude = HLSLIM_SYSTEMC_INCLUDE;
const char* const kSystemCLib = HLSLIM_SYSTEMC_LIB;
#else
constexpr bool kHaveSystemC = false;
const char* const kSystemCInclude = "";
const char* const kSystemCLib = "";
#endif

// Weights with every kind of value: zeros, +-2^k, negative, mixed.
std::vector<float> mixed_weights(std::mt19937_64& rng, std::size_t n, double range, double step) {
  std::vector<float> w = random_weights(rng, n, range, step, 25);
  for (std::size_t i = 0; i < n; i += 5) {
    const int k = static_cast<int>(rng() % 4);
    w[i] = static_cast<float>((i % 10 == 0 ? 1 : -1) * std::ldexp(1.0, -k));
  }
  return w;
}

// fc1 (exact saturating accumulator), fc2 (wrapping accumulator that overflows: exact modulo
// its range), fc3 (a rounding accumulator: csd products, with a note), fc4 (reuse factor 3:
// csd products, with a note).
Graph dense_model(std::mt19937_64& rng) {
  Layer fc4 = dense("fc4", 3, mixed_weights(rng, 6, 1.9, 1.0 / 8), {0.25f, -0.5f});
  fc4.attrs["reuse_factor"] = std::int64_t{3};
  return quantized_chain(
      "dense_ag", {12},
      {dense("fc1", 12, mixed_weights(rng, 120, 0.9, 1.0 / 16),
             random_weights(rng, 10, 0.9, 1.0 / 32, 10)),
       layer("relu1", LayerKind::kRelu), dense("fc2", 10, mixed_weights(rng, 60, 0.9, 1.0 / 16)),
       layer("relu2", LayerKind::kRelu),
       dense("fc3", 6, mixed_weights(rng, 18, 1.9, 1.0 / 32), {0.5f, -0.25f, 0.125f}),
       layer("relu3", LayerKind::kRelu), fc4},
      "fixed<10,3,RND,SAT>",
      {roles("fixed<6,1>", "fixed<8,2>", "fixed<24,8,RND,SAT>", "fixed<8,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2,RND_INF,SAT>"),
       roles("fixed<6,1>", nullptr, "fixed<12,3>", "fixed<8,3,RND_CONV,SAT_SYM>"),
       roles(nullptr, nullptr, nullptr, "ufixed<7,3,RND_CONV,SAT>"),
       roles("fixed<7,2>", "fixed<6,2>", "fixed<10,3,RND_ZERO,SAT>", "fixed<8,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2>"),
       roles("fixed<6,2>", "fixed<6,2>", "fixed<16,6>", "fixed<12,5,RND_CONV,SAT>")});
}

// conv1d 'same' (exact accumulator, biases) -> relu -> conv1d 'valid' stride 2 (wrapping
// accumulator, no bias) -> flatten -> dense; a conv2d 'same' 3 x 3 -> relu -> global pool.
Graph conv1d_model(std::mt19937_64& rng) {
  return quantized_chain(
      "conv1d_ag", {2, 16},
      {conv("conv1", LayerKind::kConv1d, 2, {3}, {1}, Padding::kSame,
            mixed_weights(rng, 24, 0.9, 1.0 / 16), random_weights(rng, 4, 0.5, 1.0 / 16, 0)),
       layer("relu1", LayerKind::kRelu),
       conv("conv2", LayerKind::kConv1d, 4, {3}, {2}, Padding::kValid,
            mixed_weights(rng, 36, 0.9, 1.0 / 8)),
       layer("flatten", LayerKind::kFlatten),
       dense("out", 21, mixed_weights(rng, 42, 0.9, 1.0 / 16), {0.5f, 0.0f})},
      "fixed<8,2,RND_CONV,SAT>",
      {roles("fixed<6,1>", "fixed<6,1>", "fixed<20,6,RND,SAT>", "fixed<10,4,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2,RND_CONV,SAT>"),
       roles("fixed<5,1>", nullptr, "fixed<10,2>", "fixed<8,3>"),
       {},
       roles("fixed<6,1>", "fixed<6,2>", "fixed<20,8>", "fixed<10,4,RND_CONV,SAT>")});
}

Graph conv2d_model(std::mt19937_64& rng) {
  return quantized_chain(
      "conv2d_ag", {2, 4, 8},
      {conv("conv", LayerKind::kConv2d, 2, {3, 3}, {1, 1}, Padding::kSame,
            mixed_weights(rng, 54, 0.9, 1.0 / 8), random_weights(rng, 3, 0.5, 1.0 / 16, 0)),
       layer("relu", LayerKind::kRelu), layer("gap", LayerKind::kGlobalAvgPool)},
      "fixed<9,3,RND,SAT>",
      {roles("fixed<5,1>", "fixed<6,1>", "fixed<16,4>", "fixed<9,4,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<7,3>"),
       roles(nullptr, nullptr, "ufixed<12,6>", "ufixed<8,3,RND_CONV,SAT>")});
}

class AdderGraphCsim : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kHaveSystemC) GTEST_SKIP() << "SystemC not found (install libsystemc-dev)";
  }
};

// Writes and runs the C simulation (with Xilinx's headers too when HLSLIM_AP_TYPES_INCLUDE
// names them); expects PASS with every output compared. Returns the project directory.
std::filesystem::path expect_csim_pass(const Graph& g, const HlsProjectOptions& options,
                                       const std::vector<float>& x, std::size_t events,
                                       std::size_t outputs) {
  const std::filesystem::path dir = export_test::fresh_dir("ag_" + options.project);
  write_hls_project(g, options, x, dir);
  std::string output;
  const int status = export_test::run_command(
      "cd '" + dir.string() + "' && CXX='" + HLSLIM_TEST_CXX + "' CXXFLAGS=-O0 SYSTEMC_INCLUDE='" +
          kSystemCInclude + "' SYSTEMC_LIB='" + kSystemCLib + "' sh csim/build_csim.sh",
      output);
  const std::string summary = std::to_string(events) + " events, " +
                              std::to_string(events * outputs) + " outputs compared, 0 mismatches";
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find(summary + "\nPASS"), std::string::npos) << output;
  const char* ap_types = std::getenv("HLSLIM_AP_TYPES_INCLUDE");
  if (ap_types != nullptr && *ap_types != '\0') {
    const std::string& p = options.project;
    const int vendor = export_test::run_command(
        "cd '" + dir.string() + "' && '" + HLSLIM_TEST_CXX + "' -std=c++17 -O0 " +
            "-Wno-unknown-pragmas -I'" + ap_types + "' -Ifirmware -Icsim -o csim/" + p + "_ap " +
            p + "_test.cpp firmware/" + p + ".cpp && ./csim/" + p + "_ap tb_data",
        output);
    EXPECT_EQ(vendor, 0) << output;
    EXPECT_NE(output.find(summary), std::string::npos) << output;
  }
  return dir;
}

void remove_unless_kept(const std::filesystem::path& dir) {
  const char* keep = std::getenv("HLSLIM_KEEP_CSIM");
  if ((keep == nullptr || std::string(keep) != "1") && !::testing::Test::HasFailure())
    std::filesystem::remove_all(dir);
}

// The statements "const ap_fixed<W,I> tK = ...;" of `<layer>_graph` in the generated source.
std::int64_t graph_adders_in_code(const std::string& source, const std::string& layer) {
  const std::size_t start = source.find("static void " + layer + "_graph(");
  if (start == std::string::npos) return -1;
  const std::size_t end = source.find("\n}\n", start);
  const std::string body = source.substr(start, end - start);
  const std::regex adder(R"(\n  const ap_fixed<\d+,-?\d+> t\d+ = \S+ [+-] \S+( \* \d+)?;)");
  return std::distance(std::sregex_iterator(body.begin(), body.end(), adder),
                       std::sregex_iterator());
}

TEST_F(AdderGraphCsim, DenseModelReproducesTheEngineBitForBit) {
  std::mt19937_64 rng(21);
  const Graph g = dense_model(rng);
  const std::vector<float> x = random_inputs(rng, 300 * 12, -4.5, 4.5, 1.0 / 128);
  HlsProjectOptions options;
  options.project = "dense_ag";
  options.multiplication = "adder_graph";
  const std::filesystem::path dir = expect_csim_pass(g, options, x, 300, 2);

  // fc1 and fc2 are graphs; fc3 (rounding accumulator) and fc4 (reuse factor 3) are not.
  const std::string source = read_file(dir / "firmware/dense_ag.cpp");
  const ModelEstimate e = estimate_resources(g, options);
  for (const LayerEstimate& l : e.layers) {
    if (l.name == "fc1" || l.name == "fc2") {
      EXPECT_EQ(l.multiplication, "adder_graph") << l.name;
      EXPECT_GT(l.adders, 0) << l.name;
    } else {
      EXPECT_EQ(l.multiplication, "") << l.name;
    }
  }
  EXPECT_EQ(graph_adders_in_code(source, "fc3"), -1);
  EXPECT_EQ(e.notes,
            (std::vector<std::string>{
                "layer 'fc3': its accumulator fixed<10,3,RND_ZERO,SAT> rounds the products (9 "
                "fraction bits), so the order of the sum matters: csd products in the engine's "
                "order instead of an adder graph",
                "layer 'fc4': reuse factor 3: csd products on shared multipliers (an adder graph "
                "needs reuse factor 1)"}));
  EXPECT_EQ(e.multiplication, "adder_graph");
  EXPECT_GT(e.csd_lut, e.lut);
  // The wrapping fc2 overflows on these inputs: exact only modulo its range.
  ModelPrecision wide = read_precision(g);
  wide.layers[2].accum = export_test::fx("fixed<30,12>");
  const FixedEngine narrow(g), exact(g, wide);
  std::vector<float> a(600), b(600);
  narrow.run(x.data(), 300, a.data());
  exact.run(x.data(), 300, b.data());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) changed += a[i] != b[i] ? 1 : 0;
  EXPECT_GT(changed, 50u);
  remove_unless_kept(dir);
}

TEST_F(AdderGraphCsim, ConvModelsReproduceTheEngineBitForBit) {
  std::mt19937_64 rng(22);
  const Graph g1 = conv1d_model(rng);
  const std::vector<float> x1 = random_inputs(rng, 300 * 32, -2.5, 2.5, 1.0 / 64);
  HlsProjectOptions options;
  options.project = "conv1d_ag";
  options.multiplication = "adder_graph";
  const ModelEstimate e1 = estimate_resources(g1, options);
  EXPECT_TRUE(e1.notes.empty());
  remove_unless_kept(expect_csim_pass(g1, options, x1, 300, 2));

  const Graph g2 = conv2d_model(rng);
  const std::vector<float> x2 = random_inputs(rng, 200 * 64, -5.0, 5.0, 1.0 / 32);
  options.project = "conv2d_ag";
  remove_unless_kept(expect_csim_pass(g2, options, x2, 200, 3));
}

// Outputs without adders: all-zero weights (with and without a bias), one weight +-2^k (a
// shifted or negated input), and a layer whose weights are all zero; unsigned inputs.
TEST_F(AdderGraphCsim, OutputsWithoutAdders) {
  const Graph g = quantized_chain(
      "edge_ag", {3},
      {dense("fc", 3, {0, 0, 0, 0.5f, 0, 0, 0, -0.25f, 0, 0.75f, 0, -1.5f}, {0.25f, 0, -0.5f, 0}),
       dense("zero", 4, std::vector<float>(8, 0.0f), {0.5f, -0.25f}),
       dense("fc2", 2, {0, 1, -2, 0}), layer("flat", LayerKind::kFlatten)},
      "ufixed<8,3,RND,SAT>",
      {roles("fixed<6,2>", "fixed<6,2>", "fixed<20,8>", "fixed<12,6>"),
       roles("fixed<6,2>", "fixed<6,2>", "fixed<20,8>", "fixed<12,6>"),
       roles("fixed<6,2>", nullptr, "fixed<20,8>", "fixed<12,6>"),
       {}});
  std::mt19937_64 rng(27);
  const std::vector<float> x = random_inputs(rng, 100 * 3, 0.0, 8.0, 1.0 / 32);
  HlsProjectOptions options;
  options.project = "edge_ag";
  options.multiplication = "adder_graph";
  const std::filesystem::path dir = expect_csim_pass(g, options, x, 100, 2);
  const std::string source = read_file(dir / "firmware/edge_ag.cpp");
  EXPECT_NE(source.find("  acc[0] = fc_accum_t(b[0]);\n"), std::string::npos) << source;
  // Zero biases are not added.
  EXPECT_EQ(source.find("fc_accum_t(b[1])"), std::string::npos) << source;
  EXPECT_EQ(source.find("fc_accum_t(b[3])"), std::string::npos) << source;
  EXPECT_EQ(graph_adders_in_code(source, "zero"), 0);
  remove_unless_kept(dir);
}

TEST(AdderGraphEstimate, CountsTheAddersOfTheGeneratedCode) {
  std::mt19937_64 rng(23);
  const Graph g = conv1d_model(rng);
  HlsProjectOptions options;
  options.project = "conv1d_ag";
  options.multiplication = "adder_graph";
  const std::filesystem::path dir = export_test::fresh_dir("ag_count");
  write_hls_project(g, options, {}, dir);
  const std::string source = read_file(dir / "firmware/conv1d_ag.cpp");
  const ModelEstimate e = estimate_resources(g, options);
  // conv1: 16 positions, 4 filters with nonzero biases; conv2: 7 positions, 3 filters without
  // bias; out: one position, 2 outputs, the second with a zero bias (no final addition).
  const std::map<std::string, std::int64_t> positions = {{"conv1", 16}, {"conv2", 7}, {"out", 1}};
  for (const LayerEstimate& l : e.layers) {
    if (!positions.count(l.name)) continue;
    const std::int64_t in_code = graph_adders_in_code(source, l.name);
    ASSERT_GT(in_code, 0) << l.name;
    // The final additions: one per output that adds a nonzero bias or negates its sum.
    const std::regex final_add(R"(\n  acc\[\d+\] = (\w+_accum_t\(b\[\d+\]\) [+-] |-)[\w\[\]]+;)");
    const std::size_t start = source.find("static void " + l.name + "_graph(");
    const std::string body = source.substr(start, source.find("\n}\n", start) - start);
    const std::int64_t finals = std::distance(
        std::sregex_iterator(body.begin(), body.end(), final_add), std::sregex_iterator());
    EXPECT_EQ(l.adders, positions.at(l.name) * (in_code + finals)) << l.name;
    // out's second bias is zero: not added.
    if (l.name == "out") {
      EXPECT_EQ(body.find("b[1]"), std::string::npos) << body;
    }
    EXPECT_GT(l.adder_lut, l.adders) << l.name;
    EXPECT_GT(l.adder_depth, 0) << l.name;
  }
  std::filesystem::remove_all(dir);
}

TEST(AdderGraphEstimate, ReportsTheComparisonWithCsd) {
  std::mt19937_64 rng(24);
  const Graph g = dense_model(rng);
  HlsProjectOptions options;
  options.multiplication = "adder_graph";
  const ModelEstimate ag = estimate_resources(g, options);
  options.multiplication = "csd";
  const ModelEstimate csd = estimate_resources(g, options);
  EXPECT_EQ(ag.csd_lut, csd.lut);
  EXPECT_EQ(ag.csd_latency_cycles, csd.latency_cycles);
  const nlohmann::json j = ag.to_json();
  EXPECT_EQ(j.at("multiplication").at("lut_csd"), csd.lut);
  EXPECT_EQ(j.at("multiplication").at("lut_saving"), csd.lut - ag.lut);
  EXPECT_EQ(j.at("layers").at(0).at("multiplication"), "adder_graph");
  EXPECT_FALSE(csd.to_json().contains("multiplication"));
  EXPECT_FALSE(csd.to_json().at("layers").at(0).contains("adders"));
  EXPECT_NE(ag.table().find("multiplication adder_graph: " + std::to_string(ag.lut) + " LUT"),
            std::string::npos)
      << ag.table();
}

TEST(AdderGraphEstimate, IoStreamIsAConfigurationError) {
  std::mt19937_64 rng(25);
  HlsProjectOptions options;
  options.multiplication = "adder_graph";
  options.io_type = "io_stream";
  try {
    write_hls_project(dense_model(rng), options, {}, export_test::fresh_dir("ag_stream"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitConfig);
    EXPECT_STREQ(e.what(),
                 "multiplication 'adder_graph' needs io_type io_parallel: the io_stream kernels "
                 "compute one window at a time with csd products");
  }
}

// Accumulators that a single product would saturate (the engine and the csd code saturate
// each product on its own before adding it, a graph would add the exact sum once): csd
// products, with a note, and the engine's values. (a) x in [0, 255] times -1 plus the bias 127
// in fixed<8,8,TRN,SAT>: at x = 200, 127 + sat(-200) = 127 - 128 = -1, not -73. (b) SAT_SYM:
// -128 * x saturates to -127 (its lower limit is -raw_max), so x = (1, 1) gives -126, not -127.
TEST_F(AdderGraphCsim, AProductThatSaturatesAloneKeepsCsdProducts) {
  const Graph a =
      quantized_chain("sat_product_ag", {1}, {dense("fc", 1, {-1.0f}, {127.0f})}, "ufixed<8,8>",
                      {roles("fixed<2,2>", "fixed<8,8>", "fixed<8,8,TRN,SAT>", "fixed<8,8>")});
  std::vector<float> xa;
  for (int v = 0; v < 256; ++v) xa.push_back(static_cast<float>(v));
  std::vector<float> ya(256);
  FixedEngine(a).run(xa.data(), 256, ya.data());
  EXPECT_EQ(ya[200], -1.0f);
  HlsProjectOptions options;
  options.project = "sat_product_ag";
  options.multiplication = "adder_graph";
  EXPECT_EQ(estimate_resources(a, options).notes,
            std::vector<std::string>{
                "layer 'fc': its accumulator fixed<8,8,TRN,SAT> could saturate a product or a "
                "partial sum of output 0, so the order of the sum matters: csd products in the "
                "engine's order instead of an adder graph"});
  remove_unless_kept(expect_csim_pass(a, options, xa, 256, 1));

  const Graph b =
      quantized_chain("sat_sym_ag", {2}, {dense("fc", 2, {-128.0f, 1.0f})}, "ufixed<1,1>",
                      {roles("fixed<9,9>", nullptr, "fixed<8,8,TRN,SAT_SYM>", "fixed<8,8>")});
  const std::vector<float> xb = {0, 0, 0, 1, 1, 0, 1, 1};
  std::vector<float> yb(4);
  FixedEngine(b).run(xb.data(), 4, yb.data());
  EXPECT_EQ(yb[3], -126.0f);
  options.project = "sat_sym_ag";
  EXPECT_EQ(estimate_resources(b, options).notes,
            std::vector<std::string>{
                "layer 'fc': its accumulator fixed<8,8,TRN,SAT_SYM> could saturate a product or "
                "a partial sum of output 0, so the order of the sum matters: csd products in the "
                "engine's order instead of an adder graph"});
  remove_unless_kept(expect_csim_pass(b, options, xb, 4, 1));
}

// An accumulator with fewer fraction bits (5) than the bias (6): the engine converts the bias
// into it once, then adds the exact products, so the graph adds that converted constant.
// RND_ZERO rounds by the sign: rounding bias + sum instead would differ (bias -1/64 = -0.5
// steps and a sum of +1 step: 0 + 1 = 1 step from the bias first, round(0.5) = 0 from the
// whole).
TEST_F(AdderGraphCsim, ABiasThatTheAccumulatorRoundsIsAddedConverted) {
  const Graph g = quantized_chain(
      "bias_round_ag", {3},
      {dense("fc", 3, {1, -1, 0.5f, 2, 0, -1, 0.25f, 1, 1, -2, 0.5f, -0.5f},
             {-0.015625f, 0.390625f, -0.640625f, 0.140625f})},
      "fixed<6,4,RND,SAT>",
      {roles("fixed<6,3>", "fixed<8,2>", "fixed<14,9,RND_ZERO,SAT>", "fixed<14,9>")});
  std::mt19937_64 rng(28);
  const std::vector<float> x = random_inputs(rng, 200 * 3, -8.0, 7.75, 1.0 / 4);
  HlsProjectOptions options;
  options.project = "bias_round_ag";
  options.multiplication = "adder_graph";
  const ModelEstimate e = estimate_resources(g, options);
  EXPECT_TRUE(e.notes.empty()) << e.notes.front();
  ASSERT_EQ(e.layers.size(), 1u);
  EXPECT_EQ(e.layers[0].multiplication, "adder_graph");
  remove_unless_kept(expect_csim_pass(g, options, x, 200, 4));
}

// A convolution's sums are named by filter: filter 1 (weights 1, -1) could saturate
// fixed<5,5,TRN,SAT> with inputs in [-16, 15], filter 0 (weights 1, 0) cannot.
TEST(AdderGraphEstimate, AConvolutionNoteNamesTheFilter) {
  const Graph g = quantized_chain(
      "conv_note_ag", {1, 4},
      {conv("conv", LayerKind::kConv1d, 1, {2}, {1}, Padding::kValid, {1, 0, 1, -1})}, "fixed<5,5>",
      {roles("fixed<2,2>", nullptr, "fixed<5,5,TRN,SAT>", "fixed<5,5>")});
  HlsProjectOptions options;
  options.multiplication = "adder_graph";
  EXPECT_EQ(estimate_resources(g, options).notes,
            std::vector<std::string>{
                "layer 'conv': its accumulator fixed<5,5,TRN,SAT> could saturate a product or a "
                "partial sum of filter 1, so the order of the sum matters: csd products in the "
                "engine's order instead of an adder graph"});
}

// A layer whose graph would need a signal beyond 62 bits, and one with more canonical signed
// digits than the limit: csd products for that layer, with a note naming it.
TEST(AdderGraphEstimate, LayersBeyondTheGraphLimitsKeepCsdProducts) {
  HlsProjectOptions options;
  options.multiplication = "adder_graph";
  // 8 inputs of 40 bits times -(2^23 - 1): |sum| up to 2^65.
  const Graph wide = quantized_chain(
      "wide_ag", {8}, {dense("fc", 8, std::vector<float>(8, -8388607.0f)), dense("fc2", 1, {1.0f})},
      "fixed<40,40>",
      {roles("fixed<25,25>", nullptr, "fixed<64,64>", "fixed<53,53>"),
       roles("fixed<2,2>", nullptr, "fixed<64,64>", "fixed<53,53>")});
  const ModelEstimate w = estimate_resources(wide, options);
  EXPECT_EQ(w.notes, std::vector<std::string>{
                         "layer 'fc': an adder-graph signal needs more than 62 bits: csd "
                         "products instead"});
  ASSERT_EQ(w.layers.size(), 2u);
  EXPECT_EQ(w.layers[0].multiplication, "");
  EXPECT_EQ(w.layers[1].multiplication, "adder_graph");
  write_hls_project(wide, options, {}, export_test::fresh_dir("ag_wide"));

  // 2100 x 8 weights of 0.75 = 1 - 0.25: 33600 digits.
  const Graph big =
      quantized_chain("big_ag", {2100}, {dense("fc", 2100, std::vector<float>(2100 * 8, 0.75f))},
                      "fixed<8,3>", {roles("fixed<4,1>", nullptr, "fixed<24,14>", "fixed<12,6>")});
  const ModelEstimate b = estimate_resources(big, options);
  EXPECT_EQ(b.notes, std::vector<std::string>{
                         "layer 'fc': 33600 canonical signed digits in its weights, more than "
                         "the adder graph's limit of 32768: csd products instead"});
}

// A measurement rather than a check, skipped unless HLSLIM_ADDER_GRAPH_MODEL names a quantized
// model file (.hlsm): prints the estimates with csd products and with adder graphs, and runs
// the adder-graph project's C simulation on 200 random events over the input type's range.
TEST_F(AdderGraphCsim, ModelFileNamedByTheEnvironment) {
  const char* path = std::getenv("HLSLIM_ADDER_GRAPH_MODEL");
  if (path == nullptr || *path == '\0') GTEST_SKIP() << "HLSLIM_ADDER_GRAPH_MODEL is not set";
  const Graph g = load_model(path);
  HlsProjectOptions options;
  options.project = "model_ag";
  const ModelEstimate csd = estimate_resources(g, options);
  options.multiplication = "adder_graph";
  const ModelEstimate ag = estimate_resources(g, options);
  std::cout << "csd:\n" << csd.table() << "adder_graph:\n" << ag.table();
  EXPECT_EQ(ag.csd_lut, csd.lut);
  const FixedType in = read_precision(g).input;
  const std::size_t n_in = static_cast<std::size_t>(shape_numel(g.input_shape));
  std::mt19937_64 rng(26);
  const std::vector<float> x = random_inputs(rng, 200 * n_in, in.min(), in.max(), in.step());
  const std::size_t n_out = FixedEngine(g).output_size();
  remove_unless_kept(expect_csim_pass(g, options, x, 200, n_out));
}

}  // namespace
}  // namespace hlslim
