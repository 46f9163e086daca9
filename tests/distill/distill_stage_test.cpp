// The distill stage in a pipeline: truth-only distillation is plain training bit for bit, the
// teacher runs once per sample and is never updated, compression and the baseline are reported.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

using json = nlohmann::json;

constexpr const char* kModels = R"(output: out
threads: 2
models:
  teacher:
    layers:
      - {type: reshape, shape: [11, 16]}
      - {type: conv1d, name: conv, filters: 4, kernel: 3, padding: same}
      - {type: relu}
      - {type: flatten}
      - {type: dense, name: fc, units: 16}
      - {type: relu}
      - {type: dense, name: out, units: 2}
  student:
    layers:
      - {type: flatten}
      - {type: dense, name: hidden, units: 6}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 3000, noise_events: 300}
  - {stage: train, model: teacher, epochs: 2}
)";

std::filesystem::path run(const std::string& name, const std::string& stages) {
  const auto dir = testing::temp_dir(name);
  const auto path = testing::write_text(dir / "d.yaml", std::string(kModels) + stages);
  run_pipeline(PipelineConfig::load(path, {}, testing::test_registry()), {});
  return dir / "out";
}

void expect_same_tensors(const Graph& a, const Graph& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    for (const auto& [name, tensor] : a.layers[i].tensors) {
      EXPECT_EQ(tensor, b.layers[i].tensors.at(name)) << a.layers[i].name << "." << name;
    }
  }
}

TEST(DistillStage, TruthOnlyDistillationIsPlainTrainingBitForBit) {
  const auto plain = run("plain", "  - {stage: train, name: student, model: student, epochs: 2}\n");
  const auto distilled = run("alpha1",
                             "  - {stage: distill, teacher: teacher, student: student, "
                             "alpha: 1, baseline: false, epochs: 2}\n");
  const Graph a = load_model(plain / "03-student" / "state" / "student.hlsm");
  const Graph b = load_model(distilled / "03-distill" / "state" / "student.hlsm");
  expect_same_tensors(a, b);
  const json m = json::parse(read_file(distilled / "03-distill" / "metrics.json"));
  EXPECT_EQ(m["teacher_samples"], 0) << "no teacher is needed for alpha 1";
}

TEST(DistillStage, TeacherRunsOncePerSampleAndIsNeverUpdated) {
  const auto out = run("cache",
                       "  - {stage: distill, teacher: teacher, student: student, alpha: "
                       "0.3, epochs: 3, hints: [{teacher: fc, student: hidden, weight: "
                       "0.1}]}\n");
  const json m = json::parse(read_file(out / "03-distill" / "metrics.json"));
  const json data = json::parse(read_file(out / "01-data" / "metrics.json"));
  // Three epochs over the training samples, one teacher pass: forwards = training samples.
  EXPECT_EQ(m["teacher_samples"].get<std::int64_t>(), data["train"].get<std::int64_t>());
  const Graph before = load_model(out / "02-train" / "state" / "teacher.hlsm");
  const Graph after = load_model(out / "03-distill" / "state" / "teacher.hlsm");
  expect_same_tensors(before, after);
  // Windows of 11 x 16: the teacher's conv 4 x 11 x 3 + 4, fc 64 x 16 + 16, out 16 x 2 + 2;
  // the student's (and the baseline's) hidden 176 x 6 + 6, out 6 x 2 + 2.
  const std::map<std::string, std::int64_t> parameters{
      {"teacher", 136 + 1040 + 34}, {"student", 1062 + 14}, {"baseline", 1062 + 14}};
  for (const auto& [who, count] : parameters) {
    EXPECT_TRUE(m[who]["test"].contains("pt_spread")) << who;
    EXPECT_EQ(m[who]["parameters"].get<std::int64_t>(), count) << who;
  }
  EXPECT_TRUE(std::filesystem::exists(out / "03-distill" / "history-distilled.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(out / "03-distill" / "history-baseline.jsonl"));
}

TEST(DistillStage, QuantizesTheStudentWhileItTrains) {
  const auto out = run("qat", R"(  - stage: distill
    teacher: teacher
    student: student
    epochs: 3
    baseline: false
    quantize:
      enabled: true
      float_epochs: 1
      precision: {weight: 'fixed<6,auto,RND_CONV,SAT>'}
)");
  const Graph student = load_model(out / "03-distill" / "state" / "student.hlsm");
  ASSERT_TRUE(has_precision(student));
  const ModelPrecision p = read_precision(student);
  EXPECT_EQ(p.layers[1].weight->width, 6);
  const json m = json::parse(read_file(out / "03-distill" / "metrics.json"));
  EXPECT_EQ(m["student"]["weight_bits"], 6);
  // Epoch 1 was float: it cannot be the result.
  EXPECT_GE(m["student"]["best_epoch"].get<int>(), 2);
}

TEST(DistillStage, QuantizationThatWouldNeverStartIsAConfigError) {
  const auto path = testing::write_text(testing::temp_dir("never") / "d.yaml",
                                        std::string(kModels) + R"(  - stage: distill
    teacher: teacher
    student: student
    epochs: 2
    quantize: {enabled: true, float_epochs: 2}
)");
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
    FAIL() << "expected a config error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() +
                  ":26:45: error: stage 'distill': quantize.float_epochs (2) must be below "
                  "epochs (2), or quantization never starts\n"
                  "1 error found; nothing was run.\n");
  }
}

}  // namespace
}  // namespace hlslim
