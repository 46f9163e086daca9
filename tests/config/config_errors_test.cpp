// Every configuration mistake is reported with its position, all at once, with exit code 2.
#include <gtest/gtest.h>

#include <fstream>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/util/errors.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

using testing::temp_dir;
using testing::test_registry;
using testing::write_text;

// Loads a config written to `name` and returns the diagnostics text ("" when it is valid).
std::string errors_of(const std::string& yaml, const std::vector<std::string>& overrides = {},
                      const std::string& name = "c.yaml") {
  const auto path = write_text(temp_dir("cfg") / name, yaml);
  try {
    PipelineConfig::load(path, overrides, test_registry());
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_code(), kExitConfig);
    std::string text = e.what();
    // Make the message independent of the temp directory.
    for (std::size_t at; (at = text.find(path.string())) != std::string::npos;)
      text.replace(at, path.string().size(), name);
    return text;
  }
  return "";
}

constexpr const char* kModel = R"(models:
  tiny:
    input: [1, 9, 16]
    layers:
      - {type: conv2d, filters: 2, kernel: 3}
      - {type: relu}
      - {type: flatten}
      - {type: dense, units: 2}
)";

TEST(ConfigErrors, ValidConfigHasNoErrors) {
  EXPECT_EQ(errors_of(std::string(kModel) + "stages:\n  - stage: build\n"), "");
}

TEST(ConfigErrors, PlantedMistakesAreAllReportedWithPositions) {
  const std::string yaml = std::string(kModel) +
                           "seed: -1\n"   // line 9: out of range
                           "threds: 2\n"  // line 10: unknown key
                           "stages:\n"
                           "  - stage: build\n"
                           "    models: 3\n"     // line 13: wrong type
                           "  - stage: recrd\n"  // line 14: unknown stage
                           "  - stage: record\n"
                           "    value: [1]\n";  // line 16: wrong type
  EXPECT_EQ(errors_of(yaml, {"record.valu=3"}),
            "--set record.valu=3: error: unknown key 'valu' in stage 'record' (did you mean "
            "'value'?)\n"
            "c.yaml:9:7: error: value -1 of 'seed' is out of range (>= 0)\n"
            "c.yaml:10:1: error: unknown key 'threds' (did you mean 'threads'?)\n"
            "c.yaml:13:13: error: 'models' in stage 'build' must be a list of strings, got '3'\n"
            "c.yaml:14:12: error: unknown stage 'recrd' (did you mean 'record'?); available "
            "stages: data, reference, build, train, prune, quantize, distill, export, record, "
            "interrupt, fail, needs_model\n"
            "c.yaml:16:12: error: 'value' in stage 'record' must be a string, got a list\n"
            "6 errors found; nothing was run.\n");
}

TEST(ConfigErrors, SetPathThatDoesNotExist) {
  const std::string yaml = std::string(kModel) + "stages:\n  - stage: build\n";
  EXPECT_EQ(errors_of(yaml, {"bild.models=[tiny]"}),
            "--set bild.models=[tiny]: error: path 'bild.models' does not exist: no setting or "
            "stage named 'bild' (did you mean 'build'?)\n"
            "1 error found; nothing was run.\n");
  EXPECT_EQ(errors_of(yaml, {"models.tiny.layers.7.units=3"}),
            "--set models.tiny.layers.7.units=3: error: path 'models.tiny.layers.7.units' does "
            "not exist: '7' is not an index of a list of 4 elements\n"
            "1 error found; nothing was run.\n");
  EXPECT_EQ(errors_of(yaml, {"seed"}),
            "--set seed: error: expected --set key.path=value\n"
            "1 error found; nothing was run.\n");
}

TEST(ConfigErrors, SetOverridesApplyAndAreChecked) {
  const std::string yaml = std::string(kModel) + "stages:\n  - stage: build\n";
  EXPECT_EQ(errors_of(yaml, {"seed=7", "models.tiny.layers.3.units=4"}), "");
  EXPECT_EQ(errors_of(yaml, {"seed=abc"}),
            "--set seed=abc: error: 'seed' must be an integer, got 'abc'\n"
            "1 error found; nothing was run.\n");
}

TEST(ConfigErrors, WhatYamlAllowsButAConfigMustNotHold) {
  // A key given twice: yaml-cpp would silently keep the first.
  EXPECT_EQ(errors_of(std::string(kModel) + "  tiny:\n    layers: [{type: dense, units: 3}]\n"
                                            "stages:\n  - {stage: build, models: [tiny]}\n"),
            "c.yaml:9:3: error: duplicate key 'tiny' in 'models' (first at c.yaml:2:3); YAML "
            "would keep only the first\n1 error found; nothing was run.\n");
  // Text that is not UTF-8 would break every JSON file the run writes.
  EXPECT_EQ(errors_of("name: \"caf\xe9\"\nstages:\n  - stage: build\n"),
            "c.yaml:1:7: error: 'name' is not valid UTF-8 (byte 4 of its text)\n1 error found; "
            "nothing was run.\n");
  // Nesting a parser would follow until the stack ends.
  const std::string deep = errors_of("x: " + std::string(100, '[') + std::string(100, ']') + "\n");
  std::string path = "x";
  for (int level = 0; level < 64; ++level) path += ".0";
  EXPECT_NE(deep.find("c.yaml:1:68: error: '" + path + "' is nested deeper than 64 levels\n"),
            std::string::npos)
      << deep;
}

TEST(ConfigErrors, NumbersBeyondFloat32AreRefused) {
  EXPECT_EQ(
      errors_of(std::string(kModel) + "stages:\n  - {stage: data, events: 100}\n"
                                      "  - {stage: train, model: tiny, learning_rate: 1e300}\n"),
      "c.yaml:11:48: error: value 1e+300 of 'learning_rate' in stage 'train' is beyond the "
      "range of float32 (3.4e38), which every number hlslim computes with must fit in\n"
      "1 error found; nothing was run.\n");
}

TEST(ConfigErrors, SetRefusesToChangeABlockSharedThroughAnAlias) {
  const std::string yaml =
      "models:\n"
      "  net: {layers: [{type: flatten}, {type: dense, units: 2}]}\n"
      "stages:\n"
      "  - {stage: data, events: 100}\n"
      "  - {stage: train, name: a, model: net, epochs: 1}\n"
      "  - {stage: prune, model: net, fine_tune: &ft {epochs: 1}}\n"
      "  - {stage: quantize, model: net, method: qat, fine_tune: *ft}\n";
  EXPECT_EQ(errors_of(yaml), "");  // sharing a block is fine while nothing changes it
  EXPECT_EQ(errors_of(yaml, {"prune.fine_tune.epochs=3"}),
            "--set prune.fine_tune.epochs=3: error: path 'prune.fine_tune.epochs' lies in "
            "'prune.fine_tune', which the config uses at more than one place through a YAML "
            "alias (anchored at c.yaml:6:43); setting it would change every use, so write the "
            "block out where it differs\n1 error found; nothing was run.\n");
  EXPECT_EQ(errors_of(yaml, {"a.epochs=3"}), "");
  // Replacing the whole shared block, or a scalar shared through an alias, would change every
  // use just the same.
  EXPECT_EQ(errors_of(yaml, {"prune.fine_tune={epochs: 3}"}),
            "--set prune.fine_tune={epochs: 3}: error: path 'prune.fine_tune' is a value, which "
            "the config uses at more than one place through a YAML alias (anchored at "
            "c.yaml:6:43); setting it would change every use, so write the block out where it "
            "differs\n1 error found; nothing was run.\n");
  const std::string scalar =
      "models:\n"
      "  net: {layers: [{type: flatten}, {type: dense, units: 2}]}\n"
      "stages:\n"
      "  - {stage: data, events: 100}\n"
      "  - {stage: train, name: a, model: net, epochs: &n 2}\n"
      "  - {stage: train, name: b, model: net, epochs: *n}\n";
  EXPECT_EQ(errors_of(scalar), "");
  EXPECT_NE(errors_of(scalar, {"a.epochs=5"})
                .find("path 'a.epochs' is a value, which the config "
                      "uses at more than one place"),
            std::string::npos);
}

TEST(ConfigErrors, AFileThatNeverEndsIsCutAtTheLimit) {
  const auto path = temp_dir("cfg") / "huge.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    const std::string line = "# " + std::string(1021, 'x') + "\n";
    for (std::size_t written = 0; written <= ConfigSource::kMaxConfigBytes; written += line.size())
      out << line;
  }
  try {
    PipelineConfig::load(path, {}, test_registry());
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() +
                                         ": error: configuration file is larger than 16 MiB; is "
                                         "it the right file?\n1 error found; nothing was run.\n");
  }
}

TEST(ConfigErrors, MalformedYaml) {
  EXPECT_EQ(errors_of("stages:\n  - stage: build\n    models: [a, b\n"),
            "c.yaml:4:1: error: malformed YAML: end of sequence flow not found\n"
            "1 error found; nothing was run.\n");
}

TEST(ConfigErrors, MissingRequiredKeyAndDuplicates) {
  EXPECT_EQ(errors_of(std::string(kModel) + "stages:\n  - stage: build\n  - stage: needs_model\n"
                                            "  - stage: build\n    seed: 1\n    seed: 2\n"),
            "c.yaml:11:5: error: missing required key 'model' in stage 'needs_model'\n"
            "c.yaml:12:5: error: duplicate stage name 'build' (first at c.yaml:10:5); give each "
            "a distinct 'name'\n"
            "c.yaml:13:5: error: unknown key 'seed' in stage 'build'\n"
            "c.yaml:14:5: error: duplicate key 'seed' in 'stages.2' (first at c.yaml:13:5); YAML "
            "would keep only the first\n"
            "4 errors found; nothing was run.\n");
}

TEST(ConfigErrors, ModelArchitectureMistakes) {
  const std::string yaml = R"(models:
  tiny:
    input: [1, 9, 16]
    layers:
      - {type: conv2d, filters: 0, kernel: [3, 3, 3]}
      - {type: dense, units: 4, name: 9bad}
      - {type: flaten}
  flat:
    input: [8, 4]
    layers:
      - {type: dense, units: 4}
stages:
  - stage: build
)";
  EXPECT_EQ(errors_of(yaml),
            "c.yaml:5:33: error: value 0 of 'filters' in layer 'conv2d_1' (conv2d) is out of "
            "range (>= 1)\n"
            "c.yaml:5:44: error: 'kernel' in layer 'conv2d_1' (conv2d) must have 2 elements, "
            "got 3\n"
            "c.yaml:6:39: error: layer name '9bad' in model 'tiny' must be a C identifier "
            "(letters, digits, '_'; not starting with a digit)\n"
            "c.yaml:7:16: error: unknown layer type 'flaten' in model 'tiny' (did you mean "
            "'flatten'?); available: dense, conv1d, conv2d, max_pool1d, max_pool2d, avg_pool1d, "
            "avg_pool2d, global_max_pool, global_avg_pool, flatten, reshape, batch_norm, "
            "dropout, relu, leaky_relu, tanh, sigmoid, softmax\n"
            "c.yaml:11:9: error: layer 'dense_1' in model 'flat' needs a flat input, got [8, 4]: "
            "add a flatten layer\n"
            "5 errors found; nothing was run.\n");
}

TEST(ConfigErrors, StagePreconditionsAreCheckedBeforeAnythingRuns) {
  EXPECT_EQ(errors_of(std::string(kModel) +
                      "stages:\n  - stage: needs_model\n    model: tiny\n  - stage: build\n"),
            "c.yaml:10:5: error: stage needs model 'tiny', which no earlier stage builds\n"
            "1 error found; nothing was run.\n");
  EXPECT_EQ(errors_of(std::string(kModel) +
                      "stages:\n  - stage: build\n  - stage: needs_model\n    model: tiny\n"),
            "");
}

TEST(ConfigErrors, WrongDocumentShapes) {
  EXPECT_EQ(errors_of("- a\n- b\n"),
            "c.yaml:1:1: error: a pipeline config must be a mapping with 'stages', got a list\n"
            "1 error found; nothing was run.\n");
  EXPECT_EQ(errors_of("seed: 1\n"),
            "c.yaml:1:1: error: the config needs a non-empty list 'stages'; available stages: "
            "data, reference, build, train, prune, quantize, distill, export, record, interrupt, "
            "fail, needs_model\n"
            "1 error found; nothing was run.\n");
}

TEST(ConfigErrors, CudaWhereThereIsNone) {
  const std::string text = errors_of("device: cuda\nstages:\n  - stage: record\n");
  if (text.empty()) GTEST_SKIP() << "a CUDA device is available here";
  EXPECT_EQ(text,
            "c.yaml:1:9: error: device 'cuda' was requested, but no CUDA device is available to "
            "this hlslim (its LibTorch is CPU-only or no GPU is visible); use 'cpu' or 'auto'\n"
            "1 error found; nothing was run.\n");
}

}  // namespace
}  // namespace hlslim
