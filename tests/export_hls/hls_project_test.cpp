// The HLS project writer: the files it writes, what they hold (zero weights left out, test
// vectors from the engine, identifiers), and the exact texts of its errors.

#include "hlslim/export/hls_project.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "export_test_support.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

using export_test::dense;
using export_test::layer;
using export_test::roles;

Graph small_dense(std::vector<float> w1 = {0.5f, 0.0f, -0.25f, 0.0f, 0.0f, 1.0f, 0.75f, 0.0f}) {
  return export_test::quantized_chain(
      "small", {4},
      {dense("fc1", 4, std::move(w1), {0.125f, -0.5f}), layer("relu", LayerKind::kRelu),
       dense("fc2", 2, {1.0f, -0.5f})},
      "fixed<8,3,RND,SAT>",
      {roles("fixed<6,2>", "fixed<6,2>", "fixed<16,6>", "fixed<10,4>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<12,5>")});
}

std::string expect_error(const Graph& g, const HlsProjectOptions& options,
                         const std::vector<float>& x, int exit_code) {
  const std::filesystem::path dir = export_test::fresh_dir("errors");
  try {
    write_hls_project(g, options, x, dir);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), exit_code) << e.what();
    std::filesystem::remove_all(dir);
    return e.what();
  }
  std::filesystem::remove_all(dir);
  ADD_FAILURE() << "expected an error";
  return "";
}

TEST(HlsProject, WritesEveryFileInOrder) {
  const std::filesystem::path dir = export_test::fresh_dir("files");
  HlsProjectOptions options;
  options.project = "trigger";
  const auto files = write_hls_project(small_dense(), options, {0.5f, 1, 2, 3}, dir / "out");
  std::vector<std::string> names;
  for (const auto& f : files) {
    names.push_back(std::filesystem::relative(f, dir / "out").generic_string());
    EXPECT_TRUE(std::filesystem::is_regular_file(f)) << f;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "firmware/trigger.cpp", "firmware/trigger.h", "firmware/defines.h",
                "firmware/parameters.h", "firmware/weights/fc1_w.h", "firmware/weights/fc1_b.h",
                "firmware/weights/fc2_w.h", "trigger_test.cpp", "tb_data/tb_input_features.dat",
                "tb_data/tb_output_predictions.dat", "build_prj.tcl", "csim/hlslim_ap_systemc.h",
                "csim/hlslim_sc_main.cpp", "csim/build_csim.sh", "csim/Makefile"}));
  const std::string tcl = read_file(dir / "out/build_prj.tcl");
  EXPECT_NE(tcl.find("set_top trigger\n"), std::string::npos);
  EXPECT_NE(tcl.find("set_part {xcvu13p-flga2577-2-e}\n"), std::string::npos);
  EXPECT_NE(tcl.find("create_clock -period 2.5 -name default\n"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(HlsProject, ZeroWeightsHaveNoProductsWhenFullyUnrolled) {
  const std::filesystem::path dir = export_test::fresh_dir("zeros");
  write_hls_project(small_dense(), HlsProjectOptions{}, {}, dir);
  const std::string weights = read_file(dir / "firmware/weights/fc1_w.h");
  EXPECT_NE(
      weights.find("// shape [2, 4], ap_fixed<6,2>\n// min -0.25, max 1, zeros 4 of 8 (50.0 %)"),
      std::string::npos)
      << weights;
  EXPECT_NE(weights.find("static const fc1_weight_t fc1_w[4] = { 0.5, -0.25, 1, 0.75 };"),
            std::string::npos)
      << weights;
  EXPECT_NE(weights.find("static const int fc1_w_index[4] = { 0, 2, 5, 6 };"), std::string::npos);
  const std::string parameters = read_file(dir / "firmware/parameters.h");
  EXPECT_NE(parameters.find("static const int fc1_prod_out[4] = { 0, 0, 1, 1 };"),
            std::string::npos)
      << parameters;
  EXPECT_NE(parameters.find("static const int fc1_prod_in[4] = { 0, 2, 1, 2 };"),
            std::string::npos);
  const std::string source = read_file(dir / "firmware/hlslim_model.cpp");
  EXPECT_NE(source.find("fully unrolled: 4 products of 4 nonzero weights (4 zero weights left "
                        "out)"),
            std::string::npos)
      << source;
  EXPECT_NE(source.find("#pragma HLS PIPELINE II=1\n"), std::string::npos);
  // With a reuse factor every weight is stored and the layer is pipelined at that interval.
  HlsProjectOptions rf2;
  rf2.reuse_factor = 2;
  write_hls_project(small_dense(), rf2, {}, dir);
  EXPECT_NE(read_file(dir / "firmware/weights/fc1_w.h")
                .find("static const fc1_weight_t fc1_w[8] = { 0.5, 0, -0.25, 0, 0, 1, 0.75, 0 };"),
            std::string::npos);
  const std::string shared = read_file(dir / "firmware/hlslim_model.cpp");
  EXPECT_NE(shared.find("#pragma HLS PIPELINE II=2\n#pragma HLS ARRAY_RESHAPE variable=w cyclic "
                        "factor=4\n#pragma HLS BIND_STORAGE variable=w type=rom_np impl=lutram\n"
                        "#pragma HLS ALLOCATION operation instances=mul limit=4\n"),
            std::string::npos)
      << shared;
  std::filesystem::remove_all(dir);
}

TEST(HlsProject, TestVectorsAreTheInputsAndTheEnginesOutputs) {
  const std::filesystem::path dir = export_test::fresh_dir("vectors");
  const Graph g = small_dense();
  const std::vector<float> x = {0.1f, -2.0f, 3.3f, 1e-3f, 7.9f, 0.0f, -15.5f, 2.25f};
  write_hls_project(g, HlsProjectOptions{}, x, dir);
  EXPECT_EQ(read_file(dir / "tb_data/tb_input_features.dat"),
            "0.1 -2 3.3 0.001\n7.9 0 -15.5 2.25\n");
  std::vector<float> y(4);
  FixedEngine(g).run(x.data(), 2, y.data());
  std::istringstream predictions(read_file(dir / "tb_data/tb_output_predictions.dat"));
  for (float expected : y) {
    double value = 0;
    predictions >> value;
    EXPECT_EQ(value, static_cast<double>(expected));
  }
  std::filesystem::remove_all(dir);
}

TEST(HlsProject, LayerNamesBecomeUniqueCIdentifiers) {
  Graph g = export_test::quantized_chain(
      "names", {4},
      {dense("block.fc-1", 4, std::vector<float>(8, 0.5f)), layer("int", LayerKind::kRelu),
       dense("Block_fc_1", 2, std::vector<float>(4, 0.25f)),
       layer("block_fc_1_out", LayerKind::kRelu)},
      "fixed<8,3>",
      {roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<10,4>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<10,4>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>")});
  const std::filesystem::path dir = export_test::fresh_dir("names");
  write_hls_project(g, HlsProjectOptions{}, {}, dir);
  const std::string source = read_file(dir / "firmware/hlslim_model.cpp");
  EXPECT_NE(source.find("static void block_fc_1("), std::string::npos) << source;
  EXPECT_NE(source.find("static void int_2("), std::string::npos);
  EXPECT_NE(source.find("static void Block_fc_1_2("), std::string::npos);
  // "block_fc_1_out" would be the first layer's output array: it gets another name.
  EXPECT_NE(source.find("static void block_fc_1_out_2("), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "firmware/weights/Block_fc_1_2_w.h"));
  std::filesystem::remove_all(dir);
}

TEST(HlsProject, OptionProblems) {
  HlsProjectOptions bad;
  bad.project = "2fast";
  bad.part = "";
  bad.clock_period_ns = 0;
  bad.reuse_factor = 0;
  bad.io_type = "io_serial";
  EXPECT_EQ(hls_project_option_problems(bad),
            (std::vector<std::string>{
                "project '2fast' must be a C identifier (letters, digits and '_', not starting "
                "with a digit): it names the top function and the files",
                "part must name an FPGA part", "clock period must be positive, got 0 ns",
                "reuse factor must be at least 1, got 0",
                "io_type 'io_serial' is not supported by the HLS writer: use io_parallel or "
                "io_stream"}));
  EXPECT_TRUE(hls_project_option_problems(HlsProjectOptions{}).empty());
  HlsProjectOptions reserved;
  reserved.project = "main";
  EXPECT_EQ(hls_project_option_problems(reserved),
            (std::vector<std::string>{"project 'main' is reserved in the generated C++"}));
  HlsProjectOptions stream;
  stream.io_type = "io_stream";
  EXPECT_TRUE(hls_project_option_problems(stream).empty());
  HlsProjectOptions serial;
  serial.io_type = "io_serial";
  EXPECT_EQ(expect_error(small_dense(), serial, {}, kExitConfig),
            "io_type 'io_serial' is not supported by the HLS writer: use io_parallel or io_stream");
}

// io_stream: the streams, their depths, the line buffer, DATAFLOW, and product tables per window.
TEST(HlsProject, StreamProjectFilesAndPragmas) {
  const Graph g = export_test::quantized_chain(
      "small_conv", {1, 3, 5},
      {export_test::conv("conv", LayerKind::kConv2d, 1, {2, 2}, {1, 1}, Padding::kValid,
                         {0.5f, 0.0f, -0.25f, 1.0f, 0.0f, 0.0f, 0.75f, 0.0f}, {0.125f, -0.5f}),
       layer("relu", LayerKind::kRelu), export_test::pool("pool", LayerKind::kMaxPool2d, {1, 3}),
       layer("flatten", LayerKind::kFlatten), dense("fc", 4, {1.0f, -0.5f, 0.25f, 0.0f})},
      "fixed<8,3,RND,SAT>",
      {roles("fixed<6,2>", "fixed<6,2>", "fixed<16,6>", "fixed<10,4>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       {},
       roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<12,5>")});
  const std::filesystem::path dir = export_test::fresh_dir("stream");
  HlsProjectOptions options;
  options.project = "trigger";
  options.io_type = "io_stream";
  const auto files = write_hls_project(g, options, std::vector<float>(15, 0.5f), dir);
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(std::filesystem::relative(f, dir).generic_string());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "firmware/trigger.cpp", "firmware/trigger.h", "firmware/defines.h",
                       "firmware/parameters.h", "firmware/weights/conv_w.h",
                       "firmware/weights/conv_b.h", "firmware/weights/fc_w.h", "trigger_test.cpp",
                       "tb_data/tb_input_features.dat", "tb_data/tb_output_predictions.dat",
                       "build_prj.tcl", "csim/hlslim_ap_systemc.h", "csim/hls_stream.h",
                       "csim/hlslim_sc_main.cpp", "csim/build_csim.sh", "csim/Makefile"}));
  const std::string top = read_file(dir / "firmware/trigger.cpp");
  for (const char* expected :
       {"void trigger(hls::stream<input_stream_t>& input, hls::stream<output_stream_t>& output) "
        "{\n#pragma HLS INTERFACE axis port=input,output\n#pragma HLS DATAFLOW\n",
        "  hls::stream<conv_stream_t> conv_out(\"conv_out\");\n"
        "#pragma HLS STREAM variable=conv_out depth=8\n"
        "  conv_stream(input, conv_out, conv_w, conv_b);\n",
        "#pragma HLS STREAM variable=relu_out depth=8\n",
        "#pragma HLS STREAM variable=pool_out depth=2\n",
        "#pragma HLS STREAM variable=flatten_out depth=1\n",
        "  flatten_stream(pool_out, flatten_out);\n  fc_stream(flatten_out, output, fc_w);\n}\n",
        // flatten gathers the event in channels-first order
        "      values[c * 2 + p] = in.data[c];\n",
        // the conv's line buffer (one row of 5 positions, 1 channel) and 2 x 2 window
        "  input_t lines[1][5][1];\n", "  input_t window[4];\n",
        "      if (py >= 1 && px >= 1) {\n", "        ::conv(window, out.data, w, b);\n",
        // the pool's window of 1 x 3 positions; the last column is not used
        "      if (px == 2) {\n"}) {
    EXPECT_NE(top.find(expected), std::string::npos) << expected << "\n" << top;
  }
  const std::string defines = read_file(dir / "firmware/defines.h");
  for (const char* expected :
       {"#include \"hls_stream.h\"\n",
        "#define N_INPUT_ELEMENTS 15\n#define INPUT_ELEMENT_SIZE 1\n",
        "#define N_OUTPUT_ELEMENTS 1\n#define OUTPUT_ELEMENT_SIZE 1\n",
        "typedef hlslim_array<conv_result_t, 2> conv_stream_t;  // 8 per event\n",
        "typedef hlslim_array<pool_result_t, 4> flatten_stream_t;  // 1 per event\n",
        "typedef fc_stream_t output_stream_t;\n"}) {
    EXPECT_NE(defines.find(expected), std::string::npos) << expected << "\n" << defines;
  }
  // The window's products: filter 0 reads taps 0, 2, 3; filter 1 reads tap 2.
  const std::string parameters = read_file(dir / "firmware/parameters.h");
  EXPECT_NE(parameters.find("static const int conv_prod_out[4] = { 0, 0, 0, 1 };\n"
                            "static const int conv_prod_in[4] = { 0, 2, 3, 2 };\n"),
            std::string::npos)
      << parameters;
  EXPECT_NE(read_file(dir / "csim/Makefile").find("hlslim_ap_systemc.h hls_stream.h\n"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(HlsProject, ErrorTexts) {
  Graph g = small_dense();
  g.layers[0].attrs["reuse_factor"] = std::int64_t{3};
  EXPECT_EQ(expect_error(g, HlsProjectOptions{}, {}, kExitConfig),
            "model 'small': layer 'fc1': reuse factor 3 is not valid for 4 inputs x 2 outputs "
            "(nearest valid: 2, 4)");

  EXPECT_EQ(expect_error(small_dense(), HlsProjectOptions{}, {1, 2, 3}, kExitRuntime),
            "model 'small': 3 test input values are not a multiple of the input size 4");

  Graph wide = small_dense();
  wide.layers[0].attrs["precision.weight"] = std::string("fixed<54,2>");
  EXPECT_EQ(expect_error(wide, HlsProjectOptions{}, {}, kExitRuntime),
            "model 'small', layer 'fc1': the weight type fixed<54,2> is wider than 53 bits; the "
            "HLS export writes these values as exact decimal doubles");

  // Only a trailing softmax is dropped (the firmware outputs the logits); one before another
  // layer is refused.
  Graph softmax = small_dense();
  softmax.layers.insert(softmax.layers.begin(), layer("sm", LayerKind::kSoftmax));
  EXPECT_EQ(expect_error(softmax, HlsProjectOptions{}, {}, kExitRuntime),
            "model 'small', layer 'sm': softmax is not supported by the fixed-point engine: "
            "hls4ml computes it with lookup tables that the engine does not model");

  Graph unquantized = small_dense();
  unquantized.default_attrs.erase("precision.input");
  EXPECT_EQ(expect_error(unquantized, HlsProjectOptions{}, {}, kExitRuntime),
            "model 'small': precision.input missing");
}

}  // namespace
}  // namespace hlslim
