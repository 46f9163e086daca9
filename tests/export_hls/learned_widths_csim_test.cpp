// A model trained with learned per-channel bit widths (tests/data/learned_widths/student.yaml):
// the generated HLS project's C simulation reproduces the fixed-point engine exactly on the
// exported test vectors, with the weights of each output channel on their own grid inside one
// type per layer. Skipped without SystemC.

#include <gtest/gtest.h>

#include "export_test_support.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/graph/model_file.hpp"

namespace hlslim {
namespace {

#if defined(HLSLIM_SYSTEMC_INCLUDE) && defined(HLSLIM_SYSTEMC_LIB)
constexpr bool kHaveSystemC = true;
const char* const kSystemCInclude = HLSLIM_SYSTEMC_INCLUDE;
const char* const kSystemCLib = HLSLIM_SYSTEMC_LIB;
#else
constexpr bool kHaveSystemC = false;
const char* const kSystemCInclude = "";
const char* const kSystemCLib = "";
#endif

const std::filesystem::path kModel = std::filesystem::path(__FILE__).parent_path().parent_path() /
                                     "data" / "learned_widths" / "student.hlsm";

TEST(LearnedWidthsCsim, PerChannelGridsMatchTheEngineBitForBit) {
  if (!kHaveSystemC) GTEST_SKIP() << "SystemC not found (libsystemc-dev)";
  const Graph graph = load_model(kModel);
  const FixedEngine engine(graph);
  // Hit patterns (0/1) and values between, some beyond the input type's range.
  std::mt19937_64 rng(9);
  const std::size_t events = 100;
  std::vector<float> x =
      export_test::random_inputs(rng, events * engine.input_size(), -0.2, 2.5, 1.0 / 64);
  for (std::size_t k = 0; k < x.size(); k += 2) x[k] = x[k] > 2.0f ? 1.0f : 0.0f;
  HlsProjectOptions options;
  options.project = "learned_widths";
  const auto dir = export_test::fresh_dir("learned_widths_csim");
  write_hls_project(graph, options, x, dir);
  std::string output;
  const int status = export_test::run_command(
      "cd '" + dir.string() + "' && CXX='" + HLSLIM_TEST_CXX + "' CXXFLAGS=-O0 SYSTEMC_INCLUDE='" +
          kSystemCInclude + "' SYSTEMC_LIB='" + kSystemCLib + "' sh csim/build_csim.sh",
      output);
  EXPECT_EQ(status, 0) << output;
  const std::string summary = std::to_string(events) + " events, " +
                              std::to_string(events * engine.output_size()) +
                              " outputs compared, 0 mismatches";
  EXPECT_NE(output.find(summary), std::string::npos) << output;
  EXPECT_NE(output.find("PASS"), std::string::npos) << output;
  // The test vectors are the engine's: not all outputs the same.
  std::vector<float> y(events * engine.output_size());
  engine.run(x.data(), events, y.data());
  std::size_t distinct = 0;
  for (std::size_t k = 1; k < y.size(); ++k) distinct += y[k] != y[0] ? 1 : 0;
  EXPECT_GT(distinct, events);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hlslim
