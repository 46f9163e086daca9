#include <gtest/gtest.h>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/registry.hpp"
#include "hlslim/util/errors.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using testing::temp_dir;
using testing::write_text;

TEST(DumpConfig, FillsDefaultsAndRoundTrips) {
  const auto dir = temp_dir("dump");
  const auto path = write_text(dir / "p.yaml", R"(seed: 5
models:
  m:
    input: [4]
    layers:
      - {type: dense, units: 3}
      - {type: leaky_relu}
      - {type: dense, units: 1, name: out}
stages:
  - stage: record
    name: first
    value: "0.1"
  - stage: build
)");
  const auto config = PipelineConfig::load(path, {"first.value=hello"}, testing::test_registry());
  const std::string dumped = config.dump();
  EXPECT_EQ(dumped, R"(name: p
output: ""
seed: 5
threads: 0
device: cpu
evaluation:
  thresholds: [10.0]
  turn_on_bin_width: 1.0
  resolution_bin_width: 1.0
  eta_bin_width: 0.075
  plateau_offset: 5.0
  crossing_rate_mhz: 40.0
  muons_per_crossing: 0.01
  spectrum_index: 4.0
models:
  m:
    input: [4]
    layers:
      - {type: dense, name: dense_1, units: 3, bias: true}
      - {type: leaky_relu, name: leaky_relu_1, alpha: 0.01}
      - {type: dense, name: out, units: 1, bias: true}
stages:
  - stage: record
    name: first
    value: hello
    input: ""
  - stage: build
    name: build
    models: []
)");
  // The dump is itself a valid config that dumps to the identical text.
  const auto again = write_text(dir / "again.yaml", dumped);
  EXPECT_EQ(PipelineConfig::load(again, {}, testing::test_registry()).dump(), dumped);
}

TEST(DumpConfig, AbsolutePathsForTheRunDirectoryCopy) {
  const auto dir = temp_dir("abs");
  const auto path = write_text(
      dir / "sub" / "p.yaml", "output: ../runs/x\nstages:\n  - stage: record\n    input: in.txt\n");
  write_text(dir / "sub" / "in.txt", "data");
  const auto config = PipelineConfig::load(path, {}, testing::test_registry());
  const std::string text = config.dump(true);
  EXPECT_NE(text.find("output: " + (dir / "runs" / "x").string()), std::string::npos) << text;
  EXPECT_NE(text.find("input: " + (dir / "sub" / "in.txt").string()), std::string::npos) << text;
  EXPECT_EQ(config.settings.output_dir(config.source.base_dir()), dir / "runs" / "x");
}

// Every shipped config and example validates and round-trips through dump-config.
TEST(DumpConfig, EveryShippedConfigValidatesAndRoundTrips) {
  std::vector<fs::path> files;
  for (const char* sub : {"configs", "examples"}) {
    const fs::path root = fs::path(HLSLIM_SOURCE_DIR) / sub;
    if (!fs::exists(root)) continue;
    for (const auto& item : fs::recursive_directory_iterator(root)) {
      if (item.path().extension() == ".yaml") files.push_back(item.path());
    }
  }
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    std::string dumped;
    try {
      dumped = PipelineConfig::load(file, {}, builtin_stages()).dump();
    } catch (const ConfigError& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    const auto copy =
        write_text(file.parent_path() / (".roundtrip_" + file.filename().string()), dumped);
    std::string again;
    try {
      again = PipelineConfig::load(copy, {}, builtin_stages()).dump();
    } catch (const ConfigError& e) {
      ADD_FAILURE() << e.what();
    }
    fs::remove(copy);
    EXPECT_EQ(again, dumped);
  }
}

}  // namespace
}  // namespace hlslim
