// The generated HLS project's C simulation, compiled with g++ and the SystemC ap_ shim,
// reproduces the bit-accurate engine exactly on the exported test vectors: dense, conv1d and
// conv2d students with narrow, rounding and saturating accumulators, reuse factors above 1,
// pools, batch norm and leaky ReLU.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "export_test_support.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/hls_project.hpp"

namespace hlslim {
namespace {

using export_test::conv;
using export_test::dense;
using export_test::layer;
using export_test::pool;
using export_test::quantized_chain;
using export_test::random_inputs;
using export_test::random_weights;
using export_test::roles;

#if defined(HLSLIM_SYSTEMC_INCLUDE) && defined(HLSLIM_SYSTEMC_LIB)
constexpr bool kHaveSystemC = true;
const char* const kSystemCInclude = HLSLIM_SYSTEMC_INCLUDE;
const char* const kSystemCLib = HLSLIM_SYSTEMC_LIB;
#else
constexpr bool kHaveSystemC = false;
const char* const kSystemCInclude = "";
const char* const kSystemCLib = "";
#endif

struct Csim {
  int status = -1;
  std::string output;
  std::filesystem::path dir;
  // With HLSLIM_AP_TYPES_INCLUDE naming the include directory of Xilinx's open-source
  // ap_fixed headers (github.com/Xilinx/HLS_arbitrary_Precision_Types, also shipped by hls4ml
  // under templates/vivado/ap_types), the same testbench built with them instead of the shim
  // (io_stream: with csim/hls_stream.h unless that directory has its own hls_stream.h).
  bool vendor_headers = false;
  int vendor_status = -1;
  std::string vendor_output;
};

// Writes the project, builds its C simulation with the script it ships and runs it.
Csim build_and_run(const Graph& graph, const HlsProjectOptions& options,
                   const std::vector<float>& inputs, const std::string& name) {
  Csim csim;
  csim.dir = export_test::fresh_dir(name);
  write_hls_project(graph, options, inputs, csim.dir);
  const std::string command = "cd '" + csim.dir.string() + "' && CXX='" + HLSLIM_TEST_CXX +
                              "' CXXFLAGS=-O0 SYSTEMC_INCLUDE='" + kSystemCInclude +
                              "' SYSTEMC_LIB='" + kSystemCLib + "' sh csim/build_csim.sh";
  csim.status = export_test::run_command(command, csim.output);
  const char* ap_types = std::getenv("HLSLIM_AP_TYPES_INCLUDE");
  if (ap_types != nullptr && *ap_types != '\0') {
    csim.vendor_headers = true;
    const std::string& p = options.project;
    const std::string vendor = "cd '" + csim.dir.string() + "' && '" + HLSLIM_TEST_CXX +
                               "' -std=c++17 -O0 -Wno-unknown-pragmas -I'" + ap_types +
                               "' -Ifirmware -Icsim -o csim/" + p + "_ap " + p +
                               "_test.cpp firmware/" + p + ".cpp && ./csim/" + p + "_ap tb_data";
    csim.vendor_status = export_test::run_command(vendor, csim.vendor_output);
  }
  return csim;
}

// Expects PASS with every output compared; removes the project when the test has passed.
void expect_pass(const Csim& csim, std::size_t events, std::size_t outputs, bool keep = false) {
  EXPECT_EQ(csim.status, 0) << csim.output;
  const std::string summary = std::to_string(events) + " events, " +
                              std::to_string(events * outputs) + " outputs compared, 0 mismatches";
  EXPECT_NE(csim.output.find(summary), std::string::npos) << csim.output;
  EXPECT_NE(csim.output.find("PASS"), std::string::npos) << csim.output;
  if (csim.vendor_headers) {
    EXPECT_EQ(csim.vendor_status, 0) << csim.vendor_output;
    EXPECT_NE(csim.vendor_output.find(summary), std::string::npos) << csim.vendor_output;
  }
  // HLSLIM_KEEP_CSIM=1 keeps the projects for inspection.
  const char* keep_all = std::getenv("HLSLIM_KEEP_CSIM");
  if (keep_all != nullptr && std::string(keep_all) == "1") keep = true;
  if (!keep && !::testing::Test::HasFailure()) std::filesystem::remove_all(csim.dir);
}

// Changes the first prediction of event 0 in a passed project: its testbench must then report
// FAIL, exit status 1 and the event. Removes the project when the test has passed.
void expect_fail_on_changed_prediction(const Csim& csim, const std::string& project,
                                       std::size_t events, std::size_t outputs) {
  const std::filesystem::path predictions = csim.dir / "tb_data/tb_output_predictions.dat";
  std::stringstream text;
  text << std::ifstream(predictions).rdbuf();
  std::string changed = text.str();
  changed.insert(changed.find(' '), "1");  // first output of event 0, a different number
  std::ofstream(predictions) << changed;
  std::string output;
  const int status = export_test::run_command(
      "cd '" + csim.dir.string() + "' && ./csim/" + project + "_csim", output);
  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("mismatch: event 0 output 0"), std::string::npos) << output;
  const std::string summary = std::to_string(events) + " events, " +
                              std::to_string(events * outputs) +
                              " outputs compared, 1 mismatches\nFAIL";
  EXPECT_NE(output.find(summary), std::string::npos) << output;
  const char* keep_all = std::getenv("HLSLIM_KEEP_CSIM");
  const bool keep = keep_all != nullptr && std::string(keep_all) == "1";
  if (!keep && !::testing::Test::HasFailure()) std::filesystem::remove_all(csim.dir);
}

// How many outputs change when every accumulator and result is made wide and exact: the
// narrow types must matter on these vectors, or a sloppy firmware (products not converted to
// the accumulator, sums in float) could pass too.
std::size_t outputs_changed_by_wide_types(const Graph& graph, const std::vector<float>& x) {
  const FixedEngine narrow(graph);
  ModelPrecision wide = read_precision(graph);
  for (LayerPrecision& p : wide.layers) {
    if (p.accum) p.accum = export_test::fx("fixed<60,28>");
    if (p.result) p.result = export_test::fx("fixed<60,28>");
  }
  const FixedEngine exact(graph, wide);
  const std::size_t n = x.size() / narrow.input_size();
  std::vector<float> a(n * narrow.output_size()), b(a.size());
  narrow.run(x.data(), n, a.data());
  exact.run(x.data(), n, b.data());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) changed += a[i] != b[i] ? 1 : 0;
  return changed;
}

// A dense student: narrow accumulators that round (RND_ZERO, TRN_ZERO) and saturate or wrap,
// results in every style, a layer without bias and one with reuse factor 3.
Graph dense_student(std::mt19937_64& rng) {
  Layer fc3 = dense("fc3", 6, random_weights(rng, 12, 1.9, 1.0 / 32, 20), {0.25f, -0.5f});
  fc3.attrs["reuse_factor"] = std::int64_t{3};
  return quantized_chain(
      "dense_student", {3, 4},
      {layer("flatten", LayerKind::kFlatten),
       dense("fc1", 12, random_weights(rng, 72, 1.9, 1.0 / 8, 40),
             random_weights(rng, 6, 0.9, 1.0 / 32, 0)),
       layer("relu1", LayerKind::kRelu),
       dense("fc2", 6, random_weights(rng, 36, 0.9, 1.0 / 16, 30)),
       layer("relu2", LayerKind::kRelu), fc3},
      "fixed<10,3,RND,SAT>",
      {{},
       roles("fixed<6,2,RND_CONV,SAT>", "fixed<6,1>", "fixed<10,3,RND_ZERO,SAT>",
             "fixed<8,3,RND,SAT_SYM>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2,RND_INF,SAT>"),
       roles("fixed<5,1>", nullptr, "fixed<9,3,TRN_ZERO,WRAP>", "fixed<8,4,RND_MIN_INF,SAT_ZERO>"),
       roles(nullptr, nullptr, nullptr, "ufixed<7,3,RND_CONV,SAT>"),
       roles("fixed<8,2,RND_CONV>", "fixed<6,2>", "fixed<16,6>", "fixed<12,5,RND_CONV,SAT>")});
}

// A conv1d student: 4-bit weights, 'same' padding, an average pool, a strided 'valid'
// convolution with reuse factor 2, a max pool and a dense head.
Graph conv1d_student(std::mt19937_64& rng) {
  Layer conv2 = conv("conv2", LayerKind::kConv1d, 3, {2}, {2}, Padding::kValid,
                     random_weights(rng, 12, 0.9, 1.0 / 8, 25), {0.125f, -0.25f});
  conv2.attrs["reuse_factor"] = std::int64_t{2};
  return quantized_chain(
      "conv1d_student", {2, 8},
      {conv("conv1", LayerKind::kConv1d, 2, {3}, {1}, Padding::kSame,
            random_weights(rng, 18, 0.9, 1.0 / 8, 30), random_weights(rng, 3, 0.5, 1.0 / 16, 0)),
       layer("relu1", LayerKind::kRelu), pool("avg", LayerKind::kAvgPool1d, {2}), conv2,
       layer("relu2", LayerKind::kRelu), pool("max", LayerKind::kMaxPool1d, {2}),
       layer("flatten", LayerKind::kFlatten),
       dense("out", 2, random_weights(rng, 4, 1.9, 1.0 / 16, 0), {0.5f, 0.0f})},
      "fixed<8,2,RND_CONV,SAT>",
      {roles("fixed<4,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<9,3,RND,SAT>", "fixed<10,4,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2,RND_CONV,SAT>"),
       roles(nullptr, nullptr, "ufixed<7,3,TRN,SAT>", "ufixed<5,2,RND,SAT>"),
       roles("fixed<4,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<12,4,RND_INF,SAT_SYM>", "fixed<8,3>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,3,TRN_ZERO,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,3>"),
       {},
       roles("fixed<6,2>", "fixed<6,2>", "fixed<14,6,RND,SAT>", "fixed<10,4,RND_CONV,SAT>")});
}

// A conv2d student: 'same' and strided convolutions, batch norm, leaky ReLU, max and global
// average pools.
Graph conv2d_student(std::mt19937_64& rng) {
  Layer bn =
      export_test::batch_norm("bn", {1.5f, 0.75f}, {0.25f, -0.125f}, {0.1f, -0.3f}, {0.8f, 1.7f});
  Layer lrelu = layer("lrelu", LayerKind::kLeakyRelu);
  lrelu.params.alpha = 0.1;
  return quantized_chain(
      "conv2d_student", {2, 5, 6},
      {conv("conv1", LayerKind::kConv2d, 2, {3, 3}, {1, 1}, Padding::kSame,
            random_weights(rng, 36, 0.9, 1.0 / 8, 35), random_weights(rng, 2, 0.5, 1.0 / 16, 0)),
       bn, lrelu, pool("max", LayerKind::kMaxPool2d, {2, 2}),
       conv("conv2", LayerKind::kConv2d, 2, {2, 2}, {1, 1}, Padding::kValid,
            random_weights(rng, 16, 0.9, 1.0 / 8, 20)),
       layer("relu", LayerKind::kRelu), layer("gap", LayerKind::kGlobalAvgPool),
       dense("out", 2, random_weights(rng, 4, 1.9, 1.0 / 16, 0), {0.5f, -0.25f})},
      "fixed<9,3,RND,SAT>",
      {roles("fixed<5,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<11,4,RND_CONV,SAT>",
             "fixed<9,4,RND,SAT>"),
       roles("fixed<8,2,RND_CONV>", "fixed<8,2>", nullptr, "fixed<9,4,RND,SAT>"),
       roles("fixed<6,0,RND>", nullptr, nullptr, "fixed<8,3,RND_ZERO,SAT>"),
       roles(nullptr, nullptr, nullptr, "fixed<8,3>"),
       roles("fixed<5,1,RND_CONV,SAT>", nullptr, "fixed<10,4,TRN,WRAP>", "fixed<8,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<7,3>"),
       roles(nullptr, nullptr, "ufixed<8,4,TRN,SAT>", "ufixed<8,3,RND_CONV,SAT>"),
       roles("fixed<6,2>", "fixed<6,2>", "fixed<14,6>", "fixed<10,4,RND_CONV,SAT>")});
}

// A model and its test inputs (drawn after the weights from the same generator).
struct CsimCase {
  Graph graph;
  std::vector<float> inputs;
  std::size_t events() const { return inputs.size() / shape_numel(graph.input_shape); }
};

CsimCase dense_case() {
  std::mt19937_64 rng(11);
  Graph g = dense_student(rng);
  return {std::move(g), random_inputs(rng, 300 * 12, -9.0, 9.0, 1.0 / 128)};
}

CsimCase conv1d_case() {
  std::mt19937_64 rng(12);
  Graph g = conv1d_student(rng);
  return {std::move(g), random_inputs(rng, 300 * 16, -2.5, 2.5, 1.0 / 32)};
}

CsimCase conv2d_case() {
  std::mt19937_64 rng(13);
  Graph g = conv2d_student(rng);
  return {std::move(g), random_inputs(rng, 200 * 60, -5.0, 5.0, 1.0 / 32)};
}

class HlsCsimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kHaveSystemC) GTEST_SKIP() << "SystemC not found (install libsystemc-dev)";
  }
};

TEST_F(HlsCsimTest, DenseStudentReproducesTheEngineBitForBit) {
  const CsimCase c = dense_case();
  const Graph& g = c.graph;
  const std::vector<float>& x = c.inputs;
  EXPECT_GT(outputs_changed_by_wide_types(g, x), 100u);
  HlsProjectOptions options;
  options.project = "dense_student";
  expect_pass(build_and_run(g, options, x, "csim_dense"), 300, 2);
}

TEST_F(HlsCsimTest, Conv1dStudentReproducesTheEngineBitForBit) {
  const CsimCase c = conv1d_case();
  const Graph& g = c.graph;
  const std::vector<float>& x = c.inputs;
  EXPECT_GT(outputs_changed_by_wide_types(g, x), 100u);
  HlsProjectOptions options;
  options.project = "conv1d_student";
  expect_pass(build_and_run(g, options, x, "csim_conv1d"), 300, 2);
}

TEST_F(HlsCsimTest, Conv2dStudentReproducesTheEngineBitForBit) {
  const CsimCase c = conv2d_case();
  const Graph& g = c.graph;
  const std::vector<float>& x = c.inputs;
  EXPECT_GT(outputs_changed_by_wide_types(g, x), 50u);
  HlsProjectOptions options;
  options.project = "conv2d_student";
  options.reuse_factor = 2;  // conv1 (18 x 2): valid; the rest resolve the same way
  const Csim csim = build_and_run(g, options, x, "csim_conv2d");
  expect_pass(csim, 200, 2, true);

  // The testbench notices a changed prediction: FAIL, exit status 1, the event named.
  expect_fail_on_changed_prediction(csim, "conv2d_student", 200, 2);
}

// A layer whose weights are all zero (no products, no weight array), a global max pool, and a
// model that ends in pass-through layers (the top copies the last values to its output).
TEST_F(HlsCsimTest, EdgeCasesCompileAndMatch) {
  Layer dropout = layer("drop", LayerKind::kDropout);
  dropout.params.rate = 0.5;
  const Graph g = quantized_chain(
      "edge", {2, 4},
      {layer("gmax", LayerKind::kGlobalMaxPool),
       dense("zero", 2, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, {0.75f, -0.5f, 0.25f}),
       layer("relu", LayerKind::kRelu), dropout, layer("flatten", LayerKind::kFlatten)},
      "fixed<8,3,RND,SAT>",
      {roles(nullptr, nullptr, nullptr, "fixed<8,3>"),
       roles("fixed<6,2>", "fixed<6,2>", "fixed<10,4>", "fixed<10,4>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       {},
       {}});
  std::mt19937_64 rng(14);
  const std::vector<float> x = random_inputs(rng, 20 * 8, -4.0, 4.0, 1.0 / 32);
  HlsProjectOptions options;
  options.project = "edge";
  expect_pass(build_and_run(g, options, x, "csim_edge"), 20, 3);
  options.io_type = "io_stream";
  options.project = "edge_stream";
  expect_pass(build_and_run(g, options, x, "csim_edge_stream"), 20, 3);
}

// A convolutional student on 9 x 16 hit images (the muon trigger's input shape): a 'same' 3 x 3
// convolution, a max pool that leaves the last row unused, a strided 'valid' 3 x 3
// convolution, batch norm, flatten and a dense head.
Graph conv_student(std::mt19937_64& rng) {
  Layer bn =
      export_test::batch_norm("bn", {1.25f, 0.5f, -0.75f, 1.0f}, {0.25f, -0.125f, 0.0f, 0.5f},
                              {0.1f, -0.3f, 0.2f, 0.0f}, {0.8f, 1.7f, 0.5f, 1.0f});
  return quantized_chain(
      "conv_student", {1, 9, 16},
      {conv("conv1", LayerKind::kConv2d, 1, {3, 3}, {1, 1}, Padding::kSame,
            random_weights(rng, 36, 0.9, 1.0 / 8, 30), random_weights(rng, 4, 0.5, 1.0 / 16, 0)),
       layer("relu1", LayerKind::kRelu), pool("pool", LayerKind::kMaxPool2d, {2, 2}),
       conv("conv2", LayerKind::kConv2d, 4, {3, 3}, {2, 2}, Padding::kValid,
            random_weights(rng, 144, 0.9, 1.0 / 8, 40), random_weights(rng, 4, 0.5, 1.0 / 16, 0)),
       bn, layer("relu2", LayerKind::kRelu), layer("flatten", LayerKind::kFlatten),
       dense("out", 12, random_weights(rng, 24, 1.9, 1.0 / 16, 20), {0.25f, -0.5f})},
      "fixed<8,3,RND_CONV,SAT>",
      {roles("fixed<5,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<11,4,RND_CONV,SAT>",
             "fixed<9,4,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<7,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<7,3>"),
       roles("fixed<5,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<11,4,TRN,WRAP>", "fixed<9,4,RND,SAT>"),
       roles("fixed<8,2,RND_CONV>", "fixed<8,2>", nullptr, "fixed<9,4,RND_ZERO,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,4,RND_CONV,SAT>"),
       {},
       roles("fixed<6,2>", "fixed<6,2>", "fixed<14,6,RND,SAT>", "fixed<10,4,RND_CONV,SAT>")});
}

// A model whose output has several positions: a 'same' 2 x 2 convolution (padding only after),
// a 2 x 1 convolution with strides 1 x 2, a 1 x 2 average pool that leaves the last column
// unused, a ReLU and a dropout at the end.
Graph tail_model(std::mt19937_64& rng) {
  Layer dropout = layer("drop", LayerKind::kDropout);
  dropout.params.rate = 0.5;
  return quantized_chain(
      "tail", {2, 4, 5},
      {conv("same", LayerKind::kConv2d, 2, {2, 2}, {1, 1}, Padding::kSame,
            random_weights(rng, 16, 0.9, 1.0 / 8, 25), random_weights(rng, 2, 0.5, 1.0 / 16, 0)),
       conv("conv", LayerKind::kConv2d, 2, {2, 1}, {1, 2}, Padding::kValid,
            random_weights(rng, 12, 0.9, 1.0 / 8, 25), random_weights(rng, 3, 0.5, 1.0 / 16, 0)),
       pool("avg", LayerKind::kAvgPool2d, {1, 2}), layer("relu", LayerKind::kRelu), dropout},
      "fixed<8,3,RND,SAT>",
      {roles("fixed<5,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<10,3,RND,SAT>", "fixed<8,3,RND,SAT>"),
       roles("fixed<5,1,RND_CONV,SAT>", "fixed<6,1>", "fixed<9,3,RND_ZERO,SAT>",
             "fixed<8,3,RND,SAT>"),
       roles(nullptr, nullptr, "fixed<9,3,TRN,SAT>", "fixed<7,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<6,2,RND_CONV,SAT>"),
       {}});
}

// io_stream: the same models through streams, line buffers and DATAFLOW processes, bit for bit
// (the narrow types matter on these vectors: checked above for the io_parallel cases).
TEST_F(HlsCsimTest, StreamedModelsReproduceTheEngineBitForBit) {
  const std::pair<std::string, CsimCase> cases[] = {
      {"dense", dense_case()}, {"conv1d", conv1d_case()}, {"conv2d", conv2d_case()}};
  for (const auto& [name, c] : cases) {
    HlsProjectOptions options;
    options.io_type = "io_stream";
    options.project = name + "_stream";
    options.reuse_factor = name == "conv2d" ? 2 : 1;  // as in the io_parallel cases
    expect_pass(build_and_run(c.graph, options, c.inputs, "csim_" + options.project), c.events(),
                2);
  }
}

// A convolutional student streamed at reuse factor 1 and at 3 and 4, and a model whose output
// is several stream elements.
TEST_F(HlsCsimTest, StreamedConvolutionalStudentReproducesTheEngineBitForBit) {
  HlsProjectOptions options;
  options.io_type = "io_stream";
  std::mt19937_64 rng(15);
  const Graph g = conv_student(rng);
  const std::vector<float> x = random_inputs(rng, 200 * 144, -3.0, 5.0, 1.0 / 16);
  EXPECT_GT(outputs_changed_by_wide_types(g, x), 50u);
  options.project = "student_stream";
  const Csim csim = build_and_run(g, options, x, "csim_student_stream");
  expect_pass(csim, 200, 2, true);
  // The streamed testbench notices a changed prediction too.
  expect_fail_on_changed_prediction(csim, "student_stream", 200, 2);

  options.project = "student_stream_rf";
  options.reuse_factor = 4;  // conv2 (36 inputs) and out (12); conv1 (9 inputs) at 3
  Graph g_rf = g;
  g_rf.layers[0].attrs["reuse_factor"] = std::int64_t{3};
  expect_pass(build_and_run(g_rf, options, x, "csim_student_stream_rf"), 200, 2);
  options.reuse_factor = 1;

  std::mt19937_64 tail_rng(16);
  const Graph tail = tail_model(tail_rng);
  const std::vector<float> tail_x = random_inputs(tail_rng, 100 * 40, -4.0, 4.0, 1.0 / 32);
  options.project = "tail_stream";
  expect_pass(build_and_run(tail, options, tail_x, "csim_tail_stream"), 100, 9);
}

}  // namespace
}  // namespace hlslim
