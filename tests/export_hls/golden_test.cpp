// Golden files: the generated HLS project of a tiny model with hand-set weights, compared byte
// for byte with tests/export_hls/golden/. After an intended change of the generated code,
// regenerate them with HLSLIM_UPDATE_GOLDEN=1 and review the difference.

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "export_test_support.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

using export_test::conv;
using export_test::dense;
using export_test::layer;
using export_test::pool;
using export_test::roles;

// conv1d (2 filters, kernel 3, 'same', three zero weights) -> relu -> max pool -> flatten ->
// dense (one zero weight) -> output [2].
Graph tiny_model() {
  return export_test::quantized_chain(
      "tiny", {2, 4},
      {conv("conv", LayerKind::kConv1d, 2, {3}, {1}, Padding::kSame,
            {0.5f, -0.25f, 0.0f, 0.75f, 0.0f, -1.0f,  //
             -0.5f, 0.0f, 0.25f, 1.25f, 0.5f, -0.75f},
            {0.125f, -0.25f}),
       layer("relu", LayerKind::kRelu), export_test::pool("pool", LayerKind::kMaxPool1d, {2}),
       layer("flatten", LayerKind::kFlatten),
       dense("fc", 4, {0.5f, -0.75f, 0.0f, 1.0f, -0.25f, 0.375f, 0.625f, -1.5f}, {0.25f, -0.5f})},
      "fixed<8,3,RND,SAT>",
      {roles("fixed<6,2,RND_CONV,SAT>", "fixed<6,2>", "fixed<12,5>", "fixed<10,4,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3,RND,SAT>"),
       roles(nullptr, nullptr, nullptr, "ufixed<8,3>"),
       {},
       roles("fixed<6,2>", "fixed<6,2>", "fixed<14,6>", "fixed<10,5,RND_CONV,SAT>")});
}

// The same model with exact (wrapping) accumulators, for the adder graphs.
Graph tiny_exact_model() {
  Graph g = tiny_model();
  g.name = "tiny_exact";
  ModelPrecision p = read_precision(g);
  p.layers[0].accum = export_test::fx("fixed<16,6>");
  p.layers[4].accum = export_test::fx("fixed<16,6>");
  store_precision(g, p);
  return g;
}

const std::vector<float> kInputs = {0.5f,  -1.25f, 2.0f, 0.125f, -0.5f, 1.5f, 3.75f,  -2.0f,
                                    -3.0f, 0.25f,  1.0f, -1.0f,  2.5f,  0.0f, -0.75f, 1.125f};

void expect_golden(const Graph& graph, const HlsProjectOptions& options, const std::string& name) {
  const std::filesystem::path dir = export_test::fresh_dir("golden_" + name);
  const std::vector<std::filesystem::path> files = write_hls_project(graph, options, kInputs, dir);
  const std::filesystem::path golden = std::filesystem::path(HLSLIM_EXPORT_HLS_GOLDEN_DIR) / name;
  const char* update = std::getenv("HLSLIM_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::remove_all(golden);
    for (const auto& file : files)
      write_file_atomic(golden / std::filesystem::relative(file, dir), read_file(file));
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "golden files rewritten in " << golden;
  }
  std::set<std::string> expected;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(golden)) {
    if (entry.is_regular_file())
      expected.insert(std::filesystem::relative(entry.path(), golden).generic_string());
  }
  std::set<std::string> generated;
  for (const auto& file : files) {
    const std::string relative = std::filesystem::relative(file, dir).generic_string();
    generated.insert(relative);
    if (expected.count(relative) == 0) {
      ADD_FAILURE() << relative << " is generated but has no golden file";
      continue;
    }
    EXPECT_EQ(read_file(file), read_file(golden / relative))
        << relative << " differs from its golden file (HLSLIM_UPDATE_GOLDEN=1 rewrites them)";
  }
  EXPECT_EQ(generated, expected);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

TEST(HlsGolden, TinyModelFullyUnrolled) {
  HlsProjectOptions options;
  options.project = "tiny";
  expect_golden(tiny_model(), options, "tiny");
}

TEST(HlsGolden, TinyModelWithReuseFactor2) {
  HlsProjectOptions options;
  options.project = "tiny_rf2";
  options.reuse_factor = 2;
  options.clock_period_ns = 4.0;
  options.part = "xcku115-flvb2104-2-e";
  expect_golden(tiny_model(), options, "tiny_rf2");
}

TEST(HlsGolden, TinyModelAdderGraph) {
  HlsProjectOptions options;
  options.project = "tiny_ag";
  options.multiplication = "adder_graph";
  expect_golden(tiny_exact_model(), options, "tiny_ag");
}

TEST(HlsGolden, TinyModelStreamed) {
  HlsProjectOptions options;
  options.project = "tiny_stream";
  options.io_type = "io_stream";
  expect_golden(tiny_model(), options, "tiny_stream");
}

}  // namespace
}  // namespace hlslim
