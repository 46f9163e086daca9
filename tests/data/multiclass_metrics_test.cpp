// Multi-class figures (softmax, top-1 accuracy, per-class and macro ROC AUC, confusion matrix,
// ROC curves) against hand-computed cases and an independent Python computation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "hlslim/data/metrics.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

TEST(MulticlassMetrics, HandComputedThreeClasses) {
  // Rows: probabilities of classes a, b, c. True classes 0, 0, 1, 1, 2, 2.
  const std::vector<double> p = {0.7, 0.2,  0.1,    // 0 -> 0
                                 0.3, 0.6,  0.1,    // 0 -> 1
                                 0.1, 0.8,  0.1,    // 1 -> 1
                                 0.2, 0.5,  0.3,    // 1 -> 1
                                 0.1, 0.1,  0.8,    // 2 -> 2
                                 0.4, 0.35, 0.25};  // 2 -> 0
  const MulticlassMetrics m = compute_multiclass_metrics(p, {0, 0, 1, 1, 2, 2}, {"a", "b", "c"});
  EXPECT_DOUBLE_EQ(m.accuracy, 4.0 / 6);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<std::size_t>>{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}));
  EXPECT_EQ(m.class_counts, (std::vector<std::size_t>{2, 2, 2}));
  // Class a: positives 0.7, 0.3; negatives 0.1, 0.2, 0.1, 0.4. Pairs won: 0.7 beats 4, 0.3
  // beats 3 -> 7 of 8.
  EXPECT_DOUBLE_EQ(m.class_roc_auc[0], 7.0 / 8);
  // Class b: positives 0.8, 0.5; negatives 0.2, 0.6, 0.1, 0.35: 0.8 beats 4, 0.5 beats 3.
  EXPECT_DOUBLE_EQ(m.class_roc_auc[1], 7.0 / 8);
  // Class c: positives 0.8, 0.25; negatives 0.1, 0.1, 0.1, 0.3: 0.8 beats 4, 0.25 beats 3.
  EXPECT_DOUBLE_EQ(m.class_roc_auc[2], 7.0 / 8);
  EXPECT_DOUBLE_EQ(m.macro_roc_auc, 7.0 / 8);
  // Class a's curve: thresholds 0.7, 0.4, 0.3, 0.2, 0.1 (tied twice).
  EXPECT_EQ(m.roc_curves[0].fpr, (std::vector<double>{0, 0, 0.25, 0.25, 0.5, 1}));
  EXPECT_EQ(m.roc_curves[0].tpr, (std::vector<double>{0, 0.5, 0.5, 1, 1, 1}));

  const nlohmann::json j = m.to_json();
  EXPECT_EQ(j["classes"], nlohmann::json({"a", "b", "c"}));
  EXPECT_DOUBLE_EQ(j["roc_auc"].get<double>(), 7.0 / 8);
  EXPECT_EQ(j["confusion"][2], nlohmann::json({1, 0, 1}));
  EXPECT_EQ(j["counts"]["events"], 6);
  EXPECT_EQ(j["roc_curves"]["a"]["tpr"].size(), 6u);
}

TEST(MulticlassMetrics, TiesAndMissingClasses) {
  // A tie on the top probability picks the lower class; a class without events has no AUC and
  // the macro AUC averages the others.
  const std::vector<double> p = {0.5, 0.5, 0.0, 0.2, 0.3, 0.5};
  const MulticlassMetrics m = compute_multiclass_metrics(p, {0, 1}, {"a", "b", "c"});
  EXPECT_EQ(m.confusion[0][0], 1u);
  EXPECT_EQ(m.confusion[1][2], 1u);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
  EXPECT_TRUE(std::isnan(m.class_roc_auc[2]));
  EXPECT_TRUE(m.roc_curves[2].fpr.empty());
  // Class a: 0.5 (positive) above 0.2; class b: 0.3 (positive) below 0.5.
  EXPECT_DOUBLE_EQ(m.class_roc_auc[0], 1.0);
  EXPECT_DOUBLE_EQ(m.class_roc_auc[1], 0.0);
  EXPECT_DOUBLE_EQ(m.macro_roc_auc, 0.5);
  EXPECT_TRUE(m.to_json()["class_roc_auc"]["c"].is_null());
}

TEST(MulticlassMetrics, RejectsBadInput) {
  EXPECT_EQ(error_of([] {
              compute_multiclass_metrics({0.5, 0.5}, {2}, {"a", "b"});
            }),
            "multi-class metrics: event 0 has class 2, expected 0..1");
  EXPECT_EQ(error_of([] {
              compute_multiclass_metrics({0.5, 0.5, 1}, {0}, {"a", "b"});
            }),
            "multi-class metrics: 3 probabilities for 1 events of 2 classes");
  EXPECT_EQ(error_of([] {
              compute_multiclass_metrics({NAN, 0.5}, {0}, {"a", "b"});
            }),
            "multi-class metrics: probability 0 of event 0 is NaN");
  EXPECT_EQ(error_of([] { softmax_rows({1, 2, 3}, 2); }), "softmax: 3 values are not rows of 2");
}

TEST(MulticlassMetrics, SoftmaxIsStableAndNormalised) {
  const auto p = softmax_rows({1000, 1001, 0, 0, std::log(3.0f), 0}, 3);
  EXPECT_NEAR(p[0], 1 / (1 + std::exp(1.0)), 1e-12);
  EXPECT_NEAR(p[1], std::exp(1.0) / (1 + std::exp(1.0)), 1e-12);
  EXPECT_EQ(p[2], 0.0);
  EXPECT_NEAR(p[3] + p[4] + p[5], 1.0, 1e-15);
  EXPECT_NEAR(p[4], 3.0 / 5, 1e-7);
}

TEST(MulticlassMetrics, CurvesAreThinnedKeepingTheirEnds) {
  std::vector<double> p;
  std::vector<std::size_t> labels;
  for (int i = 0; i < 1000; ++i) {
    const double s = (i * 7919 % 1000) / 1000.0;
    p.insert(p.end(), {s, 1 - s});
    labels.push_back(i % 3 == 0 ? 0 : 1);
  }
  const MulticlassMetrics m = compute_multiclass_metrics(p, labels, {"a", "b"}, 11);
  ASSERT_EQ(m.roc_curves[0].fpr.size(), 11u);
  EXPECT_EQ(m.roc_curves[0].fpr.front(), 0.0);
  EXPECT_EQ(m.roc_curves[0].tpr.back(), 1.0);
  EXPECT_EQ(m.roc_curves[0].fpr.back(), 1.0);
}

// The figures of random logits against a direct Python computation: softmax with math.exp,
// the argmax, and each AUC as the fraction of (positive, negative) pairs ordered correctly
// (ties one half), no ranks involved.
TEST(MulticlassMetrics, AgreesWithAnIndependentPythonComputation) {
  if (std::system((std::string(HLSLIM_DATA_PYTHON) + " -c 'pass' > /dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << HLSLIM_DATA_PYTHON << " is not available";
  }
  testing::TempDir dir;
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  constexpr std::size_t kClasses = 5;
  constexpr std::size_t kEvents = 400;
  std::vector<float> logits;
  std::vector<std::size_t> labels;
  for (std::size_t i = 0; i < kEvents; ++i) {
    const std::size_t label = rng() % kClasses;
    labels.push_back(label);
    for (std::size_t j = 0; j < kClasses; ++j) {
      // Rounded so that ties occur.
      logits.push_back(std::round(4 * (noise(rng) + (j == label ? 1.0f : 0.0f))) / 4);
    }
  }
  const auto probabilities = softmax_rows(logits, kClasses);
  const MulticlassMetrics m =
      compute_multiclass_metrics(probabilities, labels, {"c0", "c1", "c2", "c3", "c4"});
  {
    std::ofstream out(dir.file("in.json"));
    out << nlohmann::json{{"logits", logits}, {"labels", labels}, {"k", kClasses}}.dump();
  }
  const std::string script = R"(import json, math, sys
d = json.load(open(sys.argv[1]))
k = d["k"]; labels = d["labels"]; lg = d["logits"]
rows = [lg[i * k:(i + 1) * k] for i in range(len(labels))]
probs = []
for r in rows:
    m = max(r); e = [math.exp(v - m) for v in r]; s = sum(e); probs.append([v / s for v in e])
pred = [max(range(k), key=lambda j: (p[j], -j)) for p in probs]
acc = sum(1 for a, b in zip(pred, labels) if a == b) / len(labels)
conf = [[0] * k for _ in range(k)]
for t, p in zip(labels, pred): conf[t][p] += 1
aucs = []
for c in range(k):
    pos = [p[c] for p, t in zip(probs, labels) if t == c]
    neg = [p[c] for p, t in zip(probs, labels) if t != c]
    won = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    aucs.append(won / (len(pos) * len(neg)))
print(json.dumps({"accuracy": acc, "confusion": conf, "aucs": aucs, "macro": sum(aucs) / k}))
)";
  {
    std::ofstream out(dir.file("ref.py"));
    out << script;
  }
  const std::string command =
      std::string(HLSLIM_DATA_PYTHON) + " " + dir.file("ref.py") + " " + dir.file("in.json");
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  ASSERT_EQ(pclose(pipe), 0) << text;
  const nlohmann::json reference = nlohmann::json::parse(text);
  EXPECT_DOUBLE_EQ(m.accuracy, reference["accuracy"].get<double>());
  EXPECT_EQ(nlohmann::json(m.confusion), reference["confusion"]);
  for (std::size_t c = 0; c < kClasses; ++c) {
    EXPECT_NEAR(m.class_roc_auc[c], reference["aucs"][c].get<double>(), 1e-12) << "class " << c;
  }
  EXPECT_NEAR(m.macro_roc_auc, reference["macro"].get<double>(), 1e-12);
  // Better than chance, as the logits favour the true class.
  EXPECT_GT(m.accuracy, 0.4);
}

}  // namespace
}  // namespace hlslim::data
