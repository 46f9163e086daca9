// The report and console summary of a classifier over several classes (loss 'ce'): the
// figures, the confusion matrix and the per-class ROC curves of the results.json it reads.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "hlslim/report/report.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/util/files.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace hlslim::report {
namespace {

fs::path fresh_dir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const fs::path dir = fs::path(tmp ? tmp : "/tmp") /
                       ("hlslim_classes_report_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Figures as MulticlassMetrics::to_json() writes them, for three classes.
json class_figures() {
  return {{"accuracy", 0.6875},
          {"roc_auc", 0.8125},
          {"classes", {"g", "q", "w"}},
          {"class_roc_auc", {{"g", 0.75}, {"q", 0.875}, {"w", 0.8125}}},
          {"confusion", {{5, 1, 0}, {2, 4, 0}, {1, 1, 2}}},
          {"roc_curves",
           {{"g", {{"fpr", {0, 0.2, 1}}, {"tpr", {0, 0.7, 1}}}},
            {"q", {{"fpr", {0, 0.1, 1}}, {"tpr", {0, 0.8, 1}}}},
            {"w", {{"fpr", {0, 0.5, 1}}, {"tpr", {0, 0.9, 1}}}}}},
          {"counts", {{"events", 16}, {"classes", {{"g", 6}, {"q", 6}, {"w", 4}}}}}};
}

fs::path class_run(const std::string& name) {
  const fs::path dir = fresh_dir(name);
  json manifest = {{"status", "completed"}};
  manifest["stages"] = {{{"name", "train"},
                         {"type", "train"},
                         {"dir", "01-train"},
                         {"status", "completed"},
                         {"fingerprint", std::string(64, 'a')}}};
  write(dir / "manifest.json", manifest.dump());
  write(dir / "config.yaml", "name: tagger\n");
  write(dir / "01-train/metrics.json",
        json({{"model", "tagger"}, {"test", class_figures()}}).dump());
  hlslim::Evaluation e;
  e.model = "tagger";
  const json figures = class_figures();
  for (const auto& [key, value] : figures.items()) {
    if (value.is_number()) {
      e.figures[key] = value.get<double>();
    } else {
      e.distributions[key] = value;
    }
  }
  StageResults results;
  results.evaluations.push_back(e);
  write(dir / "01-train/results.json", results.to_json().dump(2));
  return dir;
}

TEST(ClassesReport, ShowsTheConfusionMatrixAndTheRocCurvesOfEachClass) {
  const fs::path dir = class_run("classes");
  const ReportResult result = write_report(dir);
  const std::string html = read_file(result.path);
  EXPECT_TRUE(contains(html, "<a href=\"#classes\">Classes</a>"));
  EXPECT_TRUE(contains(html, "<section id=\"classes\"><h2>Classes</h2>"));
  EXPECT_TRUE(contains(html, "top-1 accuracy <b>0.6875</b> &middot; macro ROC AUC <b>0.8125</b>"));
  // Row q: 2 of 6 predicted g (33.3 %), 4 on the diagonal (66.7 %).
  EXPECT_TRUE(contains(html,
                       "<tr><th>q</th><td class=\"num\" style=\"background: rgba(213, 94, "
                       "0, 0.283)\">2<br><small>33.3 %</small></td><td class=\"num\" "
                       "style=\"background: rgba(0, 114, 178, 0.567)\">4<br><small>66.7 "
                       "%</small></td>"));
  EXPECT_TRUE(contains(html, "ROC curves, one class against the rest: tagger"));
  EXPECT_TRUE(contains(html, "q (AUC 0.875)"));
  // The console summary lists the classifier with its headline figures.
  EXPECT_TRUE(contains(result.markdown, "| model | roc_auc | accuracy |"));
  EXPECT_TRUE(contains(result.markdown, "| tagger | 0.8125 | 0.6875 |"));
}

TEST(ClassesReport, RunsWithoutClassesHaveNoSuchSection) {
  const fs::path dir = class_run("no_classes");
  // A binary classifier: figures, no confusion matrix.
  hlslim::Evaluation e;
  e.model = "net";
  e.figures = {{"roc_auc", 0.5}, {"accuracy", 0.5}};
  StageResults results;
  results.evaluations.push_back(e);
  write(dir / "01-train/results.json", results.to_json().dump(2));
  const std::string html = read_file(write_report(dir).path);
  EXPECT_FALSE(contains(html, "id=\"classes\""));
  EXPECT_FALSE(contains(html, "#classes"));
}

TEST(ClassesReport, TheHeadsOfSeveralBceOutputsAppearInTheSummary) {
  const fs::path dir = class_run("heads");
  hlslim::Evaluation e;
  e.model = "net";
  e.figures = {
      {"b/roc_auc", 0.9375}, {"b/accuracy", 0.875}, {"c/roc_auc", 0.75}, {"c/accuracy", 0.625}};
  e.distributions = {{"b", {{"roc_auc", 0.9375}, {"accuracy", 0.875}}},
                     {"c", {{"roc_auc", 0.75}, {"accuracy", 0.625}}}};
  StageResults results;
  results.evaluations.push_back(e);
  write(dir / "01-train/results.json", results.to_json().dump(2));
  const ReportResult result = write_report(dir);
  EXPECT_TRUE(
      contains(result.markdown, "| model | b/accuracy | b/roc_auc | c/accuracy | c/roc_auc |"))
      << result.markdown;
  EXPECT_TRUE(contains(result.markdown, "| net | 0.875 | 0.9375 | 0.625 | 0.75 |"))
      << result.markdown;
}

}  // namespace
}  // namespace hlslim::report
