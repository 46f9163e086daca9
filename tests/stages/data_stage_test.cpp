// The data and reference stages inside a pipeline: shapes flow to the models, datasets reload
// identically, user data is checked, and the classical reference reports the figures of merit.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "hlslim/data/npy.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/data/store_io.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class DataStageTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::temp_dir("data"); }
  fs::path config(const std::string& text) { return testing::write_text(dir_ / "p.yaml", text); }
  std::string config_errors(const fs::path& path) {
    try {
      PipelineConfig::load(path, {}, testing::test_registry());
    } catch (const ConfigError& e) {
      std::string text = e.what();
      for (std::size_t at; (at = text.find(dir_.string())) != std::string::npos;)
        text.replace(at, dir_.string().size(), "DIR");
      return text;
    }
    return "";
  }
  fs::path dir_;
};

constexpr const char* kModels = R"(output: out
threads: 2
models:
  net:
    layers:
      - {type: flatten}
      - {type: dense, units: 2}
)";

TEST_F(DataStageTest, SimulatedWindowsFeedTheModelsShapeAndReloadIdentically) {
  const auto path = config(std::string(kModels) + R"(stages:
  - {stage: data, events: 3000, noise_events: 300, window: 12}
  - {stage: reference}
  - {stage: build}
)");
  const auto result = run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  ASSERT_EQ(result.ran.size(), 3u);
  const fs::path out = dir_ / "out";
  const json metrics = json::parse(read_file(out / "01-data" / "metrics.json"));
  EXPECT_EQ(metrics["events"], 3300);
  // Half the noise-only events join training and validation (8:1), half measure the fake rate.
  EXPECT_EQ(metrics["train"], 2400 + 133);
  EXPECT_EQ(metrics["validation"], 300 + 17);
  EXPECT_EQ(metrics["noise_events_for_fake_rate"], 150);
  // 9 detector rows plus 2 position rows, 12 columns.
  EXPECT_EQ(metrics["input_shape"], json::parse("[1, 11, 12]"));

  const Dataset dataset = Dataset::load(out / "01-data");
  EXPECT_EQ(dataset.input_shape(), (Shape{1, 11, 12}));
  EXPECT_EQ(dataset.inputs.size(), 3300u);
  EXPECT_EQ(dataset.split.validation.size(), 317u);
  EXPECT_EQ(dataset.split.noise.size(), 150u);
  EXPECT_TRUE(dataset.simulated);
  EXPECT_EQ(dataset.task.targets, (std::vector<std::string>{"pt", "eta"}));

  // The model takes its input shape from the data: an 11 x 12 window, flattened.
  const std::string summary = read_file(out / "03-build" / "net_summary.txt");
  EXPECT_NE(summary.find("[132]"), std::string::npos) << summary;

  const json reference = json::parse(read_file(out / "02-reference" / "metrics.json"));
  for (const char* key :
       {"pt_mae", "pt_spread", "eta_mae", "turn_on", "plateau_eff", "eff_at_thr_15", "fake_rate"}) {
    EXPECT_TRUE(reference.contains(key)) << key;
  }
  EXPECT_GT(reference["plateau_eff"].get<double>(), 0.9);
  EXPECT_LT(reference["pt_spread"].get<double>(), 2.0);
  EXPECT_LT(reference["fake_rate"].get<double>(), 0.05);
}

TEST_F(DataStageTest, WindowWiderThanTheImageIsAConfigError) {
  const auto path = config(std::string(kModels) +
                           "stages:\n  - {stage: data, window: 400}\n  - {stage: build}\n");
  EXPECT_EQ(config_errors(path),
            "DIR/p.yaml:9:5: error: stage 'data': window 400 is wider than the images (384 "
            "columns)\n1 error found; nothing was run.\n");
}

TEST_F(DataStageTest, UserNpyDataIsCheckedBeforeAndWhileLoading) {
  // Images N x 4 x 8 and labels N x 2 written with the NumPy writer.
  const std::size_t n = 50;
  std::vector<float> images(n * 4 * 8, 0.0f);
  std::vector<float> labels(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    images[i * 32 + i % 32] = 1.0f;
    labels[i * 2] = static_cast<float>(i % 7);
    labels[i * 2 + 1] = 0.5f;
  }
  data::write_npy((dir_ / "images.npy").string(), {n, 4, 8}, images.data());
  data::write_npy((dir_ / "labels.npy").string(), {n, 2}, labels.data());
  const std::string stages = R"(stages:
  - stage: data
    source: npy
    input: full
    npy: {images: images.npy, labels: LABELS, columns: [pt, eta]}
  - {stage: build}
)";
  auto with_labels = [&](const std::string& file) {
    std::string text = std::string(kModels) + stages;
    text.replace(text.find("LABELS"), 6, file);
    return config(text);
  };
  EXPECT_EQ(config_errors(with_labels("missing.npy")),
            "DIR/p.yaml:9:5: error: stage 'data': input file 'DIR/missing.npy' does not exist\n"
            "1 error found; nothing was run.\n");

  const auto good = with_labels("labels.npy");
  ASSERT_EQ(config_errors(good), "");
  run_pipeline(PipelineConfig::load(good, {}, testing::test_registry()), {});
  const Dataset dataset = Dataset::load(dir_ / "out" / "01-data");
  EXPECT_EQ(dataset.input_shape(), (Shape{1, 4, 8}));
  EXPECT_FALSE(dataset.simulated);
  EXPECT_EQ(
      dataset.split.train.size() + dataset.split.validation.size() + dataset.split.test.size(), n);

  // What the headers tell is checked before anything runs: another number of events, another
  // number of columns than the names given, no events at all.
  std::vector<float> short_labels(3 * 10, 1.0f);
  data::write_npy((dir_ / "short.npy").string(), {10, 3}, short_labels.data());
  EXPECT_EQ(config_errors(with_labels("short.npy")),
            "DIR/p.yaml:9:5: error: stage 'data': DIR/short.npy: 10 rows but DIR/images.npy has "
            "50 events\n1 error found; nothing was run.\n");
  data::write_npy((dir_ / "wide.npy").string(), {n, 3}, std::vector<float>(n * 3).data());
  EXPECT_EQ(config_errors(with_labels("wide.npy")),
            "DIR/p.yaml:9:5: error: stage 'data': DIR/wide.npy: has 3 columns but 2 label names "
            "were given\n1 error found; nothing was run.\n");
  data::write_npy((dir_ / "images.npy").string(), {0, 4, 8}, images.data());
  data::write_npy((dir_ / "none.npy").string(), {0, 2}, labels.data());
  EXPECT_EQ(config_errors(with_labels("none.npy")),
            "DIR/p.yaml:9:5: error: stage 'data': 'DIR/images.npy' holds no events\n1 error "
            "found; nothing was run.\n");

  // The classical reference needs the simulation's geometry, which files do not give.
  EXPECT_EQ(config_errors(config(std::string(kModels) +
                                 "stages:\n  - {stage: data, source: npy, input: full, npy: "
                                 "{images: images.npy, labels: none.npy, columns: [pt, eta]}}\n"
                                 "  - {stage: reference}\n")),
            "DIR/p.yaml:9:5: error: stage 'data': 'DIR/images.npy' holds no events\n"
            "DIR/p.yaml:10:5: error: stage 'reference': the classical reference needs the "
            "simulation's detector geometry, but the data stage reads its events from files; "
            "remove this stage or simulate the events\n2 errors found; nothing was run.\n");
}

TEST_F(DataStageTest, EverySetOfTheSplitMustHoldEvents) {
  EXPECT_EQ(config_errors(config(std::string(kModels) +
                                 "stages:\n  - {stage: data, events: 100, split: {train: 0, "
                                 "validation: 0.5, test: 0.5}}\n")),
            "DIR/p.yaml:9:39: error: 'split.train' is 0: the train set would be empty; give "
            "every set a share of the events\n1 error found; nothing was run.\n");
  EXPECT_EQ(config_errors(config(std::string(kModels) +
                                 "stages:\n  - {stage: data, events: 100, split: {train: 0.5, "
                                 "validation: 0.5, test: 0}}\n")),
            "DIR/p.yaml:9:39: error: 'split.test' is 0: the test set would be empty; give "
            "every set a share of the events\n1 error found; nothing was run.\n");
  EXPECT_EQ(config_errors(config(std::string(kModels) + "stages:\n  - {stage: data, events: 5}\n")),
            "DIR/p.yaml:9:5: error: 'split.validation' of 0.1 leaves the validation set empty "
            "with 5 events\nDIR/p.yaml:9:5: error: 'split.test' of 0.1 leaves the test set "
            "empty with 5 events\n2 errors found; nothing was run.\n");
}

TEST_F(DataStageTest, ADatasetFileIsCheckedAgainstTheStageBeforeAnythingRuns) {
  // A dataset simulated with another number of columns than this stage's geometry.
  data::SimulationParams narrow;
  narrow.columns = 100;
  data::write_store(data::simulate(narrow, 40, 0, 1, 1), (dir_ / "narrow").string());
  EXPECT_EQ(config_errors(config(std::string(kModels) +
                                 "stages:\n  - {stage: data, source: file, file: narrow}\n")),
            "DIR/p.yaml:9:5: error: stage 'data': 'DIR/narrow' holds images of 9 x 100 but this "
            "stage's geometry is 9 x 384; give the dataset's 'simulation' parameters or use "
            "input: full\n1 error found; nothing was run.\n");
  EXPECT_EQ(config_errors(config(std::string(kModels) +
                                 "stages:\n  - {stage: data, source: file, file: narrow, "
                                 "input: full, targets: [pt, charg]}\n")),
            "DIR/p.yaml:9:5: error: stage 'data': target 'charg' is not a label column of "
            "'DIR/narrow' (did you mean 'charge'?); its columns: pt, eta, phi, charge, n_hits, "
            "is_noise\n1 error found; nothing was run.\n");
}

TEST_F(DataStageTest, NonFiniteLabelsAndLabelsThatBceCannotLearnStopTheRun) {
  data::SimulationParams geometry;
  data::EventStore store = data::simulate(geometry, 200, 20, 1, 1);
  data::write_store(store, (dir_ / "good").string());
  std::vector<float> labels = store.labels();
  labels[3 * store.label_count() + store.label_index("eta")] = std::nanf("");
  const auto with_labels = [&](const std::vector<float>& values) {
    std::vector<std::uint64_t> offsets(store.size() + 1);
    for (std::size_t i = 0; i <= store.size(); ++i) offsets[i] = store.offsets()[i];
    return data::EventStore::from_arrays(
        "x", store.layers(), store.columns(), store.label_names(), "{}", std::move(offsets),
        std::vector<std::uint32_t>(store.pixels()), std::vector<float>(values), {});
  };
  data::write_store(with_labels(labels), (dir_ / "nan").string());
  const auto run_error = [&](const std::string& stages) {
    try {
      RunOptions force;
      force.force = true;
      run_pipeline(
          PipelineConfig::load(config(std::string(kModels) + stages), {}, testing::test_registry()),
          force);
    } catch (const Error& e) {
      std::string text = e.what();
      for (std::size_t at; (at = text.find(dir_.string())) != std::string::npos;)
        text.replace(at, dir_.string().size(), "DIR");
      return text;
    }
    return std::string("no error");
  };
  EXPECT_EQ(run_error("stages:\n  - {stage: data, source: file, file: nan}\n"),
            "stage 'data' failed: DIR/nan: event 3, target 'eta' is NaN; every target must be a "
            "finite number");
  // pt is no 0/1 label.
  const std::string not_binary = run_error(
      "stages:\n  - {stage: data, source: file, file: good, targets: [pt, is_noise]}\n"
      "  - {stage: train, model: net, loss: bce, epochs: 1}\n");
  EXPECT_EQ(not_binary.rfind("stage 'train' failed: loss 'bce' needs labels 0 or 1, but target "
                             "'pt' is ",
                             0),
            0u)
      << not_binary;
  EXPECT_NE(not_binary.find("; use a regression loss (mse, mae, huber) or 0/1 labels"),
            std::string::npos);
  // Without noise-only events, is_noise is 0 everywhere: one class, nothing to separate.
  data::write_store(data::simulate(geometry, 200, 0, 1, 1), (dir_ / "muons").string());
  EXPECT_EQ(run_error("stages:\n  - {stage: data, source: file, file: muons, targets: "
                      "[is_noise, pt]}\n  - {stage: train, model: net, loss: bce, epochs: 1}\n"),
            "stage 'train' failed: loss 'bce': every one of the 160 training events has target "
            "'is_noise' = 0, so there is nothing to learn; the data need events of both classes");
}

TEST_F(DataStageTest, ResumeDoesNotSimulateAgain) {
  const auto path = config(std::string(kModels) + R"(stages:
  - {stage: data, events: 1000, noise_events: 100}
  - {stage: build}
)");
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  RunOptions resume;
  resume.resume = true;
  auto result = run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), resume);
  EXPECT_TRUE(result.ran.empty());
  // Another simulation parameter makes everything run again.
  result = run_pipeline(PipelineConfig::load(path, {"data.simulation.layer_efficiency=0.9"},
                                             testing::test_registry()),
                        resume);
  EXPECT_EQ(result.ran, (std::vector<std::string>{"data", "build"}));
}

TEST_F(DataStageTest, SimulationParameterMistakesArePositioned) {
  const auto path = config(std::string(kModels) + R"(stages:
  - stage: data
    simulation:
      layer_efficiency: 1.5
)");
  EXPECT_EQ(config_errors(path),
            "DIR/p.yaml:11:25: error: value 1.5 of 'layer_efficiency' in 'data.simulation' in "
            "stage 'data' is out of range (0 <= value <= 1)\n"
            "1 error found; nothing was run.\n");
  const auto layers = config(std::string(kModels) + R"(stages:
  - stage: data
    simulation:
      cluster_size_probabilities: [0.5, 0.2]
      layer_stations: [BI, BI]
)");
  EXPECT_EQ(config_errors(layers),
            "DIR/p.yaml:11:7: error: in 'simulation': layer_radii_m has 9 entries but "
            "layer_stations has 2\n"
            "1 error found; nothing was run.\n");
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

// The position rows code the window's start column: thermometer codes, coarse then fine.
TEST(PositionRows, CodeTheWindowStartColumn) {
  const auto dir = testing::temp_dir("position");
  const auto path = testing::write_text(dir / "p.yaml", R"(output: out
stages:
  - {stage: data, events: 500, noise_events: 0}
)");
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const Dataset dataset = Dataset::load(dir / "out" / "01-data");
  const auto& windows = dataset.inputs;
  ASSERT_EQ(windows.layers(), 11u);
  const std::size_t start = windows.label_index("window_start");
  for (std::size_t e = 0; e < windows.size(); ++e) {
    std::size_t coarse = 0;
    std::size_t fine = 0;
    for (std::uint32_t pixel : windows.hits(e)) {
      if (pixel / 16 == 9) ++coarse;
      if (pixel / 16 == 10) ++fine;
    }
    // 369 possible starts (384 - 16 + 1) mapped onto 16 x 16 levels.
    const std::size_t level = static_cast<std::size_t>(windows.label(e, start)) * 256 / 369;
    EXPECT_EQ(coarse, level / 16 + 1) << e;
    EXPECT_EQ(fine, level % 16 + 1) << e;
  }
}

}  // namespace
}  // namespace hlslim
