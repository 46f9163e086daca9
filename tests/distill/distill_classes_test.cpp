// Distillation of a five-class tagger (loss 'ce'): the student learns from the truth and from
// the teacher's softmax at a temperature over the classes (docs/distillation.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "hlslim/data/npy.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Five Gaussian blobs over 16 features, one column of class indices; returns the directory.
fs::path write_dataset(const std::string& name, std::size_t events) {
  const fs::path dir = testing::temp_dir(name);
  constexpr std::size_t kFeatures = 16, kClasses = 5;
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> means(kClasses * kFeatures);
  for (float& m : means) m = 1.2f * normal(rng);
  std::vector<float> features, labels;
  for (std::size_t i = 0; i < events; ++i) {
    for (std::size_t f = 0; f < kFeatures; ++f)
      features.push_back(means[(i % kClasses) * kFeatures + f] + normal(rng));
    labels.push_back(static_cast<float>(i % kClasses));
  }
  data::write_npy((dir / "features.npy").string(), {events, kFeatures}, features.data());
  data::write_npy((dir / "labels.npy").string(), {events, 1}, labels.data());
  return dir;
}

TEST(DistillClasses, AStudentLearnsFiveClassesFromATeachersSoftmax) {
  const fs::path dir = write_dataset("distill_classes", 2000);
  const auto path = testing::write_text(dir / "d.yaml", R"(output: out
seed: 2
threads: 2
models:
  teacher:
    layers:
      - {type: flatten}
      - {type: dense, units: 32}
      - {type: relu}
      - {type: dense, units: 5}
      - {type: softmax}
  student:
    layers:
      - {type: flatten}
      - {type: dense, units: 6}
      - {type: relu}
      - {type: dense, units: 5}
      - {type: softmax}
stages:
  - stage: data
    source: npy
    npy: {images: features.npy, labels: labels.npy, columns: [class]}
    input: full
    targets: [class]
  - {stage: train, model: teacher, loss: ce, monitor: accuracy, epochs: 5, batch_size: 64,
     learning_rate: 0.003}
  - {stage: distill, teacher: teacher, student: student, loss: ce, monitor: accuracy,
     alpha: 0.3, temperature: 3, epochs: 5, batch_size: 64, learning_rate: 0.003}
)");
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  const json m = json::parse(read_file(dir / "out" / "03-distill" / "metrics.json"));
  EXPECT_GT(m["teacher"]["test"]["accuracy"].get<double>(), 0.8);
  EXPECT_GT(m["student"]["test"]["accuracy"].get<double>(), 0.7);
  EXPECT_GT(m["baseline"]["test"]["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(m["student"]["test"]["classes"],
            json({"class_0", "class_1", "class_2", "class_3", "class_4"}));
  const auto results = StageResults::load(dir / "out" / "03-distill", "03-distill");
  ASSERT_TRUE(results.has_value());
  ASSERT_EQ(results->evaluations.size(), 3u);  // teacher, student, baseline
  for (const Evaluation& e : results->evaluations) {
    EXPECT_TRUE(e.figures.count("accuracy")) << e.model;
    EXPECT_TRUE(e.distributions.contains("confusion")) << e.model;
  }
}

TEST(DistillClasses, AHintOnATrailingSoftmaxIsAConfigError) {
  const fs::path dir = write_dataset("distill_softmax_hint", 100);
  const auto yaml = [](const std::string& hints) {
    return R"(output: out
models:
  teacher:
    layers:
      - {type: flatten}
      - {type: dense, name: t1, units: 8}
      - {type: dense, name: tout, units: 5}
      - {type: softmax, name: tsm}
  student:
    layers:
      - {type: flatten}
      - {type: dense, name: sout, units: 5}
      - {type: softmax, name: ssm}
stages:
  - stage: data
    source: npy
    npy: {images: features.npy, labels: labels.npy, columns: [class]}
    input: full
    targets: [class]
  - {stage: train, model: teacher, loss: ce, epochs: 1}
  - stage: distill
    teacher: teacher
    student: student
    loss: ce
    hints: )" +
           hints + "\n";
  };
  const auto errors = [&](const std::string& hints) -> std::string {
    const auto path = testing::write_text(dir / "d.yaml", yaml(hints));
    try {
      PipelineConfig::load(path, {}, testing::test_registry());
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string p = (dir / "d.yaml").string();
  // Training, every evaluation and the firmware stop at the logits: nothing fills such a hint.
  EXPECT_EQ(errors("[{teacher: tsm, student: ssm}]"),
            p +
                ":25:12: error: stage 'distill': hint on softmax layer 'tsm' of teacher "
                "'teacher', which training and the firmware leave out; hint the layer before it "
                "('tout')\n" +
                p +
                ":25:12: error: stage 'distill': hint on softmax layer 'ssm' of student "
                "'student', which training and the firmware leave out; hint the layer before it "
                "('sout')\n"
                "2 errors found; nothing was run.\n");
  EXPECT_EQ(errors("[{teacher: tout, student: ssm}]"),
            p + ":25:12: error: stage 'distill': hint on softmax layer 'ssm' of student "
                "'student', which training and the firmware leave out; hint the layer before it "
                "('sout')\n"
                "1 error found; nothing was run.\n");
  EXPECT_EQ(errors("[{teacher: tout, student: sout}]"), "");
}

}  // namespace
}  // namespace hlslim
