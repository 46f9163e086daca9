// The hlslim executable as users and scripts see it: output and exit codes.
#include "hlslim/cli/cli.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <regex>

#include "hlslim/pipeline/registry.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"
#include "hlslim/version.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

struct Output {
  int code;
  std::string text;  // stdout and stderr together
};

Output hlslim(const std::string& args) {
  const std::string command = std::string(HLSLIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    text.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// Console log lines without their clock: "E 08:33:45 text" -> "E text".
std::string without_clock(const std::string& text) {
  static const std::regex clock("(^|\n)([EWID]) [0-9]{2}:[0-9]{2}:[0-9]{2} ");
  return std::regex_replace(text, clock, "$1$2 ");
}

TEST(Cli, VersionNamesTheCommit) {
  const auto out = hlslim("--version");
  EXPECT_EQ(out.code, 0);
  EXPECT_EQ(out.text, std::string("hlslim ") + version() + " (commit " + git_commit() + ")\n");
}

TEST(Cli, ValidateReportsEveryErrorWithExitCode2) {
  const auto path = testing::write_text(testing::temp_dir("cli") / "bad.yaml",
                                        "seed: x\nstages:\n  - stage: buld\n");
  const auto out = hlslim("validate " + path.string());
  EXPECT_EQ(out.code, 2);
  EXPECT_EQ(out.text,
            path.string() + ":1:7: error: 'seed' must be an integer, got 'x'\n" + path.string() +
                ":3:12: error: unknown stage 'buld' (did you mean 'build'?); available "
                "stages: " +
                join(builtin_stages().types(), ", ") + "\n2 errors found; nothing was run.\n");
}

TEST(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(hlslim("").code, 2);
  EXPECT_EQ(hlslim("frobnicate").code, 2);
  EXPECT_EQ(hlslim("run").code, 2);
  EXPECT_EQ(hlslim("validate /nonexistent/x.yaml").text,
            "/nonexistent/x.yaml: error: cannot read configuration file\n"
            "1 error found; nothing was run.\n");
}

TEST(Cli, RunTwiceRefusesWithExitCode3ThenResumes) {
  const auto dir = testing::temp_dir("cli_run");
  const auto path = testing::write_text(dir / "p.yaml",
                                        "output: out\nmodels:\n  m:\n    input: [3]\n"
                                        "    layers: [{type: dense, units: 1}]\n"
                                        "stages:\n  - stage: build\n");
  EXPECT_EQ(hlslim("run -q " + path.string()).code, 0);
  const auto again = hlslim("run -q " + path.string());
  EXPECT_EQ(again.code, 3);
  EXPECT_NE(again.text.find("is not empty; use --resume"), std::string::npos) << again.text;
  const auto resumed = hlslim("run " + path.string() + " --resume --threads 1");
  EXPECT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_NE(resumed.text.find("reusing it"), std::string::npos) << resumed.text;
  EXPECT_EQ(hlslim("run " + path.string() + " --resume --force").code, 2);
}

TEST(Cli, InterruptedRunExitsWith128PlusSignal) {
  const auto dir = testing::temp_dir("cli_interrupt");
  const auto path = testing::write_text(dir / "p.yaml",
                                        "output: out\nstages:\n"
                                        "  - {stage: interrupt, signal: 15}\n");
  const std::string config = path.string();
  const char* argv[] = {"hlslim", "run", "-q", config.c_str()};
  EXPECT_EQ(cli_main(4, argv, testing::test_registry()), 143);
}

TEST(Cli, StagesMarkdownIsTheCommittedReference) {
  const auto out = hlslim("stages --markdown");
  EXPECT_EQ(out.code, 0);
  EXPECT_EQ(out.text, read_file(std::filesystem::path(HLSLIM_SOURCE_DIR) / "docs" / "stages.md"))
      << "regenerate with `hlslim stages --markdown > docs/stages.md`";
  const auto list = hlslim("stages");
  EXPECT_EQ(list.code, 0);
  for (const auto& type : builtin_stages().types()) {
    EXPECT_NE(list.text.find(type), std::string::npos) << type;
  }
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

// The smallest complete pipeline runs end to end through the real executable.
TEST(Cli, SmokePipelineRunsEndToEnd) {
  const auto out_dir = testing::temp_dir("smoke") / "run";
  const auto out = hlslim("run " + std::string(HLSLIM_SOURCE_DIR) +
                          "/configs/smoke.yaml --output " + out_dir.string());
  ASSERT_EQ(out.code, 0) << out.text;
  const std::string manifest = read_file(out_dir / "manifest.json");
  EXPECT_NE(manifest.find("\"status\": \"completed\""), std::string::npos) << manifest;
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

TEST(Cli, SimulateWritesADatasetNumPyReads) {
  const auto dir = testing::temp_dir("simulate");
  const auto out = hlslim("simulate -q --events 300 --noise-events 20 --seed 4 --output " +
                          dir.string() + " --set noise_probability=0.002");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_TRUE(std::filesystem::exists(dir / "events.hlsd"));
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  }
  const std::string check =
      "/usr/bin/python3 -c \"import numpy as np, json, sys; d=sys.argv[1]; "
      "i=np.load(d+'/images.npy'); l=np.load(d+'/labels.npy'); "
      "c=json.load(open(d+'/labels.json'))['columns']; "
      "assert i.shape==(320,9,384) and i.dtype==np.uint8, i.shape; "
      "assert l.shape==(320,len(c)) and l.dtype==np.float32; "
      "assert {'pt','eta','phi','charge','n_hits','is_noise'} <= set(c); "
      "assert l[:300, c.index('is_noise')].sum()==0 and l[300:, c.index('is_noise')].sum()==20\" " +
      dir.string();
  EXPECT_EQ(std::system(check.c_str()), 0);

  const auto bad =
      hlslim("simulate --events 10 --output " + dir.string() + " --set layer_efficiency=2");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.text,
            "--set layer_efficiency=2: error: value 2 of 'layer_efficiency' is out of "
            "range (0 <= value <= 1)\n1 error found; nothing was run.\n");
}

TEST(Cli, SimulateNeverMixesTwoDatasetsInOneDirectory) {
  namespace fs = std::filesystem;
  const auto dir = testing::temp_dir("simulate-again");
  ASSERT_EQ(hlslim("simulate -q --events 50 --seed 1 --output " + dir.string()).code, 0);
  const std::string first = read_file(dir / "events.hlsd");
  testing::write_text(dir / "README.txt", "my notes");

  const auto refused = hlslim("simulate -q --events 20 --format hlsd --output " + dir.string());
  EXPECT_EQ(refused.code, 3);
  EXPECT_EQ(without_clock(refused.text),
            "E simulate: the output directory '" + dir.string() +
                "' is not empty; give a new directory, or --force to replace its "
                "dataset\n");
  EXPECT_EQ(read_file(dir / "events.hlsd"), first);

  // --force replaces the dataset as a whole: no NumPy file of the 50 events is left beside the
  // 20-event store; files that are not part of a dataset stay.
  const auto forced =
      hlslim("simulate -q --events 20 --format hlsd --force --output " + dir.string());
  ASSERT_EQ(forced.code, 0) << forced.text;
  EXPECT_NE(read_file(dir / "events.hlsd"), first);
  EXPECT_FALSE(fs::exists(dir / "images.npy"));
  EXPECT_FALSE(fs::exists(dir / "labels.npy"));
  EXPECT_FALSE(fs::exists(dir / "labels.json"));
  EXPECT_EQ(read_file(dir / "README.txt"), "my notes");
}

TEST(Cli, SimulateRejectsBadCountsAndUnusableOutputsPlainly) {
  const auto dir = testing::temp_dir("simulate-bad");
  const auto negative = hlslim("simulate --events -1 --output " + (dir / "a").string());
  EXPECT_EQ(negative.code, 2);
  EXPECT_NE(negative.text.find("--events"), std::string::npos) << negative.text;
  const auto nothing =
      hlslim("simulate --events 0 --noise-events 0 --output " + (dir / "b").string());
  EXPECT_EQ(nothing.code, 2);
  EXPECT_EQ(without_clock(nothing.text),
            "E simulate: --events and --noise-events are both 0; nothing to simulate\n");

  const auto file = testing::write_text(dir / "file", "x");
  const auto under_file = hlslim("simulate -q --events 5 --output " + (file / "x").string());
  EXPECT_EQ(under_file.code, 3);
  EXPECT_EQ(without_clock(under_file.text), "E cannot create the dataset directory '" +
                                                (file / "x").string() + "': Not a directory\n");
}

}  // namespace
}  // namespace hlslim
