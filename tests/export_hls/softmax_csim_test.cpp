// A classifier that ends in a softmax: hlslim's HLS project ends at the logits (the firmware drops
// the softmax), its C simulation reproduces the engine bit for bit on the exported test vectors,
// and the project and estimates are those of the model without the softmax.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "export_test_support.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using export_test::dense;
using export_test::layer;
using export_test::quantized_chain;
using export_test::random_inputs;
using export_test::random_weights;
using export_test::roles;

// A three-class tagger: dense 12 -> 8, relu, dense 3 with narrow rounding and saturating
// types; `softmax` appends a softmax layer.
Graph tagger(bool softmax) {
  std::mt19937_64 rng(21);
  std::vector<Layer> layers = {
      layer("flatten", LayerKind::kFlatten),
      dense("fc1", 12, random_weights(rng, 96, 1.9, 1.0 / 8, 30),
            random_weights(rng, 8, 0.9, 1.0 / 32, 0)),
      layer("relu1", LayerKind::kRelu),
      dense("out", 8, random_weights(rng, 24, 0.9, 1.0 / 16, 20), {0.25f, -0.5f, 0.125f})};
  std::vector<LayerPrecision> types = {
      {},
      roles("fixed<6,2,RND_CONV,SAT>", "fixed<6,1>", "fixed<12,4,RND_ZERO,SAT>",
            "fixed<9,4,RND,SAT>"),
      roles(nullptr, nullptr, nullptr, "ufixed<7,3,RND_CONV,SAT>"),
      roles("fixed<6,1>", "fixed<6,2>", "fixed<14,6>", "fixed<10,5,RND_CONV,SAT>")};
  if (softmax) {
    layers.push_back(layer("prob", LayerKind::kSoftmax));
    types.emplace_back();
  }
  return quantized_chain("tagger", {3, 4}, std::move(layers), "fixed<10,3,RND,SAT>",
                         std::move(types));
}

std::vector<float> inputs() {
  std::mt19937_64 rng(22);
  return random_inputs(rng, 300 * 12, -9.0, 9.0, 1.0 / 128);
}

std::string file_text(const std::filesystem::path& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

TEST(SoftmaxFirmware, TheProjectIsThatOfTheModelWithoutTheSoftmax) {
  HlsProjectOptions options;
  options.project = "tagger";
  const auto with_dir = export_test::fresh_dir("softmax_with");
  const auto without_dir = export_test::fresh_dir("softmax_without");
  const auto with = write_hls_project(tagger(true), options, inputs(), with_dir);
  const auto without = write_hls_project(tagger(false), options, inputs(), without_dir);
  ASSERT_EQ(with.size(), without.size());
  for (std::size_t i = 0; i < with.size(); ++i) {
    const auto relative = with[i].lexically_relative(with_dir);
    EXPECT_EQ(relative, without[i].lexically_relative(without_dir));
    EXPECT_EQ(file_text(with[i]), file_text(without_dir / relative)) << relative;
  }
  // The test vectors hold the logits, three per event.
  std::istringstream first_line(file_text(with_dir / "tb_data/tb_output_predictions.dat"));
  std::string line;
  std::getline(first_line, line);
  std::istringstream values(line);
  std::size_t count = 0;
  for (double v; values >> v;) ++count;
  EXPECT_EQ(count, 3u);

  const ModelEstimate a = estimate_resources(tagger(true), options);
  const ModelEstimate b = estimate_resources(tagger(false), options);
  EXPECT_EQ(a.to_json(), b.to_json());
  Hls4mlEstimateOptions io;
  EXPECT_EQ(estimate_hls4ml(tagger(true), options, io).to_json(),
            estimate_hls4ml(tagger(false), options, io).to_json());
  std::filesystem::remove_all(with_dir);
  std::filesystem::remove_all(without_dir);
}

#if defined(HLSLIM_SYSTEMC_INCLUDE) && defined(HLSLIM_SYSTEMC_LIB)
TEST(SoftmaxFirmware, CSimulationReproducesTheEngineLogitsBitForBit) {
  const Graph g = tagger(true);
  const std::vector<float> x = inputs();
  // The narrow types matter on these vectors: exact ones give other logits.
  const FixedEngine engine(g);
  ModelPrecision wide = read_precision(g);
  for (LayerPrecision& lp : wide.layers) {
    if (lp.accum) lp.accum = export_test::fx("fixed<40,16>");
    if (lp.result) lp.result = export_test::fx("fixed<40,16>");
  }
  const FixedEngine exact(g, wide);
  std::vector<float> narrow_out(300 * 3), exact_out(300 * 3);
  engine.run(x.data(), 300, narrow_out.data());
  exact.run(x.data(), 300, exact_out.data());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < narrow_out.size(); ++i) changed += narrow_out[i] != exact_out[i];
  EXPECT_GT(changed, 100u);

  HlsProjectOptions options;
  options.project = "tagger";
  const auto dir = export_test::fresh_dir("softmax_csim");
  write_hls_project(g, options, x, dir);
  std::string output;
  const int status = export_test::run_command(
      "cd '" + dir.string() + "' && CXX='" + HLSLIM_TEST_CXX + "' CXXFLAGS=-O0 SYSTEMC_INCLUDE='" +
          HLSLIM_SYSTEMC_INCLUDE + "' SYSTEMC_LIB='" + HLSLIM_SYSTEMC_LIB +
          "' sh csim/build_csim.sh",
      output);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("300 events, 900 outputs compared, 0 mismatches"), std::string::npos)
      << output;
  EXPECT_NE(output.find("PASS"), std::string::npos) << output;
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}
#endif

TEST(SoftmaxFirmware, ASoftmaxInTheMiddleIsStillRefused) {
  Graph g = tagger(false);
  g.layers.insert(g.layers.begin() + 2, layer("sm", LayerKind::kSoftmax));
  HlsProjectOptions options;
  options.project = "middle";
  const auto dir = export_test::fresh_dir("softmax_middle");
  EXPECT_THROW(write_hls_project(g, options, {}, dir), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hlslim
