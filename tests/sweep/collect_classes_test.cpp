// `hlslim collect` on a sweep of classifiers over several classes (loss 'ce'): the top-1
// accuracy is the headline figure, with its Pareto fronts against LUTs and latency.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hlslim/results/results.hpp"
#include "hlslim/sweep/collect.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A completed point: train tests the tagger (with a confusion matrix when `multiclass`),
// export estimates it.
void tagger_point(const fs::path& dir, double accuracy, double auc, double lut, double latency,
                  bool multiclass) {
  const auto stage = [](const std::string& name, const std::string& dir) {
    return json{{"name", name},
                {"type", name},
                {"dir", dir},
                {"status", "completed"},
                {"fingerprint", "fp-" + name}};
  };
  write(dir / "manifest.json",
        json{{"status", "completed"},
             {"stages", {stage("train", "01-train"), stage("export", "02-export")}}}
            .dump());
  Evaluation e{"tagger", ModelRole::kModel, false, {{"accuracy", accuracy}, {"roc_auc", auc}}};
  if (multiclass) e.distributions["confusion"] = {{3, 1}, {0, 4}};
  StageResults train;
  train.evaluations.push_back(e);
  write(dir / "01-train" / "results.json", train.to_json().dump());
  EstimateTotals totals;
  totals.model = "tagger";
  totals.lut = static_cast<std::int64_t>(lut);
  totals.latency_ns = latency;
  StageResults exported;
  exported.estimates = totals;
  write(dir / "02-export" / "results.json", exported.to_json().dump());
}

fs::path sweep(const std::string& name, bool multiclass) {
  const fs::path dir = fs::temp_directory_path() / ("hlslim-collect-classes-" + name);
  fs::remove_all(dir);
  json points = json::array();
  for (int i = 0; i < 3; ++i) {
    points.push_back({{"index", i},
                      {"dir", "points/000" + std::to_string(i)},
                      {"values", {{"seed", std::to_string(i)}}}});
  }
  write(dir / "plan.json", json{{"format", "hlslim-sweep-plan"},
                                {"version", 1},
                                {"name", name},
                                {"method", "grid"},
                                {"keys", {"seed"}},
                                {"points", points}}
                               .dump());
  // Point 1 has the best AUC but not the best accuracy at its cost.
  tagger_point(dir / "points/0000", 0.70, 0.90, 1000, 40, multiclass);
  tagger_point(dir / "points/0001", 0.65, 0.95, 2000, 30, multiclass);
  tagger_point(dir / "points/0002", 0.75, 0.85, 3000, 50, multiclass);
  return dir;
}

TEST(CollectClasses, TheAccuracyOfSeveralClassesHasTheParetoFronts) {
  const SweepTable table = collect_sweep(sweep("multi", true));
  EXPECT_EQ(table.physics, "accuracy");
  EXPECT_FALSE(table.physics_lower_better);
  EXPECT_TRUE(table.rows[0].multiclass);
  // LUTs: 1000 (0.70) and 3000 (0.75) are on the front; 2000 (0.65) is dominated by 1000.
  EXPECT_EQ(table.front_lut, (std::vector<std::size_t>{0, 2}));
  // Latency: 30 (0.65), 40 (0.70), 50 (0.75) all trade off.
  EXPECT_EQ(table.front_latency, (std::vector<std::size_t>{1, 0, 2}));
  EXPECT_NE(sweep_html(table).find("accuracy"), std::string::npos);
}

TEST(CollectClasses, ABinaryClassifierKeepsItsRocAuc) {
  const SweepTable table = collect_sweep(sweep("binary", false));
  EXPECT_EQ(table.physics, "roc_auc");
  EXPECT_FALSE(table.rows[0].multiclass);
}

TEST(CollectClasses, TheHeadsOfSeveralBceOutputsAreColumns) {
  const fs::path dir = sweep("heads", false);
  StageResults train;
  train.evaluations.push_back(
      {"tagger", ModelRole::kModel, false, {{"b/roc_auc", 0.9}, {"c/roc_auc", 0.8}}});
  write(dir / "points/0000/01-train/results.json", train.to_json().dump());
  const SweepTable table = collect_sweep(dir);
  EXPECT_DOUBLE_EQ(table.rows[0].figures.at("b/roc_auc"), 0.9);
  EXPECT_NE(std::find(table.figure_columns.begin(), table.figure_columns.end(), "c/roc_auc"),
            table.figure_columns.end());
}

}  // namespace
}  // namespace hlslim
