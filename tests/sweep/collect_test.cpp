// `hlslim collect` on a synthetic sweep directory: completed, failed, log-failed and missing
// points, the final model's figures, estimates and Pareto flags.
#include "hlslim/sweep/collect.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hlslim/results/results.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

json stage(const std::string& name, const std::string& type, const std::string& dir,
           const std::string& status, const std::string& error = "") {
  json j = {{"name", name},
            {"type", type},
            {"dir", dir},
            {"status", status},
            {"fingerprint", "fp-" + name}};
  if (!error.empty()) j["error"] = error;
  return j;
}

// A completed point: distill tests the student, export estimates it.
void completed_point(const fs::path& dir, double spread, double lut, double latency) {
  write(dir / "manifest.json", json{{"status", "completed"},
                                    {"stages",
                                     {stage("teacher", "train", "01-teacher", "completed"),
                                      stage("distill", "distill", "02-distill", "completed"),
                                      stage("export", "export", "03-export", "completed")}}}
                                   .dump());
  // What the stages report (results.json); their metrics.json are not read.
  const auto write_results = [&](const std::string& stage, const StageResults& results) {
    write(dir / stage / "results.json", results.to_json().dump());
  };
  write_results("01-teacher",
                {{{"teacher", ModelRole::kModel, false, {{"pt_spread", 0.01}}}}, {}, {}, {}, {}});
  write_results("02-distill", {{{"teacher", ModelRole::kTeacher, false, {{"pt_spread", 0.02}}},
                                {"student",
                                 ModelRole::kStudent,
                                 false,
                                 {{"pt_spread", spread},
                                  {"plateau_eff", 0.9},
                                  {"fake_rate", 0.1},
                                  {"eff_at_thr_15", 0.5}}}},
                               {},
                               {},
                               {},
                               {}});
  EstimateTotals totals;
  totals.model = "student";
  totals.lut = static_cast<std::int64_t>(lut);
  totals.ff = 10;
  totals.latency_ns = latency;
  totals.multiplies = 7;
  totals.bops = 99.5;
  write_results("03-export", {{}, {}, totals, {}, {}});
}

class Collect : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hlslim-collect-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    json points = json::array();
    for (int i = 0; i < 5; ++i) {
      points.push_back({{"index", i},
                        {"dir", "points/000" + std::to_string(i)},
                        {"values", {{"distill.prune.sparsity", std::to_string(i) + ".5"}}}});
    }
    write(dir_ / "plan.json", json{{"format", "hlslim-sweep-plan"},
                                   {"version", 1},
                                   {"name", "demo"},
                                   {"method", "grid"},
                                   {"keys", {"distill.prune.sparsity"}},
                                   {"shared", {{"dir", "shared"}, {"stages", {"teacher"}}}},
                                   {"points", points}}
                                  .dump());
    completed_point(dir_ / "points/0000", 0.30, 1000, 40);
    completed_point(dir_ / "points/0001", 0.20, 3000, 30);
    write(dir_ / "points/0002/manifest.json",
          json{{"status", "failed"},
               {"stages",
                {stage("teacher", "train", "01-teacher", "completed"),
                 stage("distill", "distill", "02-distill", "failed",
                       "the training loss became NaN at epoch 1, step 1")}}}
              .dump());
    // Point 3 never started; point 4's job died before its run directory had a manifest.
    write(dir_ / "logs/point-4.out", "[info] loading\n[error] run directory is not empty\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Collect, ReportsEveryPointWithItsStatusFiguresAndEstimates) {
  const SweepTable table = collect_sweep(dir_);
  ASSERT_EQ(table.rows.size(), 5u);
  EXPECT_EQ(table.physics, "pt_spread");
  EXPECT_EQ(table.rows[0].status, PointStatus::kCompleted);
  EXPECT_EQ(table.rows[0].model, "student");
  EXPECT_DOUBLE_EQ(table.rows[0].figures.at("pt_spread"),
                   0.30);  // the student's, not the teacher's
  EXPECT_DOUBLE_EQ(table.rows[1].estimates.at("latency_ns"), 30);
  EXPECT_EQ(table.rows[2].status, PointStatus::kFailed);
  EXPECT_EQ(table.rows[2].failed_stage, "distill");
  EXPECT_EQ(table.rows[2].error, "the training loss became NaN at epoch 1, step 1");
  EXPECT_EQ(table.rows[3].status, PointStatus::kMissing);
  EXPECT_EQ(table.rows[4].status, PointStatus::kFailed);
  EXPECT_EQ(table.rows[4].error, "[error] run directory is not empty");
  // Point 1 is better and faster; point 0 uses fewer LUTs.
  EXPECT_EQ(table.front_lut, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(table.front_latency, (std::vector<std::size_t>{1}));
}

TEST_F(Collect, WritesCsvJsonAndHtml) {
  write_sweep_reports(collect_sweep(dir_), dir_);
  std::ifstream csv(dir_ / "sweep.csv");
  std::string header, row0, row1, row2, row3, row4;
  std::getline(csv, header);
  std::getline(csv, row0);
  std::getline(csv, row1);
  std::getline(csv, row2);
  std::getline(csv, row3);
  std::getline(csv, row4);
  EXPECT_EQ(header,
            "index,status,distill.prune.sparsity,failed_stage,error,pt_spread,plateau_eff,"
            "fake_rate,eff_at_thr_15,lut,ff,dsp,bram_18k,latency_ns,multiplies,bops,pareto_lut,"
            "pareto_latency");
  EXPECT_EQ(row0, "0,completed,0.5,,,0.3,0.9,0.1,0.5,1000,10,0,0,40,7,99.5,1,0");
  EXPECT_EQ(row2,
            "2,failed,2.5,distill,\"the training loss became NaN at epoch 1, step 1\",,,,,,,,,,,,"
            "0,0");
  EXPECT_EQ(row3, "3,missing,3.5,,,,,,,,,,,,,,0,0");

  const json j = json::parse(std::ifstream(dir_ / "sweep.json"));
  EXPECT_EQ(j["points"][1]["values"]["distill.prune.sparsity"], 1.5);
  EXPECT_EQ(j["points"][1]["pareto"]["latency"], true);
  EXPECT_EQ(j["not_completed"], (json{2, 4}));
  EXPECT_EQ(j["missing"], (json{3}));

  std::stringstream html;
  html << std::ifstream(dir_ / "sweep.html").rdbuf();
  const std::string page = html.str();
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("point 2: <b>failed</b> in stage 'distill': the training loss"),
            std::string::npos);
  EXPECT_NE(page.find("point 3: <b>missing</b>"), std::string::npos);
  EXPECT_NE(page.find("pt_spread vs estimated LUTs"), std::string::npos);
  EXPECT_NE(page.find("pt_spread vs estimated latency [ns]"), std::string::npos);
  EXPECT_NE(page.find("<tr class=\"front\"><td>1</td>"), std::string::npos);
}

TEST_F(Collect, NoSeedGroupsWithoutASweptSeed) {
  const SweepTable table = collect_sweep(dir_);
  EXPECT_TRUE(table.groups.empty());
  // Every model's figures are kept per point, in stage order.
  ASSERT_EQ(table.rows[0].stages.size(), 3u);
  EXPECT_EQ(table.rows[0].stages[0].label, "teacher");
  EXPECT_EQ(table.rows[0].stages[1].label, "distill.student");
  EXPECT_EQ(table.rows[0].stages[2].label, "export");
  EXPECT_DOUBLE_EQ(table.rows[0].stages[2].values.at("lut"), 1000);
  write_sweep_reports(table, dir_);
  EXPECT_FALSE(fs::exists(dir_ / "seeds.csv"));
}

// A scan of two student widths at three seeds each; two points of the wider student did not
// complete and are left out of its group's figures.
TEST_F(Collect, GroupsPointsThatDifferOnlyInSeedWithMeanAndSpread) {
  fs::remove_all(dir_);
  json points = json::array();
  int index = 0;
  for (const char* width : {"8", "16"}) {
    for (const char* seed : {"1", "2", "3"}) {
      char dir[32];
      std::snprintf(dir, sizeof(dir), "points/%04d", index);
      points.push_back({{"index", index++},
                        {"dir", dir},
                        {"values", {{"models.student.layers.1.units", width}, {"seed", seed}}}});
    }
  }
  write(dir_ / "plan.json", json{{"format", "hlslim-sweep-plan"},
                                 {"name", "seeds"},
                                 {"method", "grid"},
                                 {"keys", {"models.student.layers.1.units", "seed"}},
                                 {"points", points}}
                                .dump());
  completed_point(dir_ / "points/0000", 1.0, 1000, 40);
  completed_point(dir_ / "points/0001", 1.2, 1100, 40);
  completed_point(dir_ / "points/0002", 1.4, 1200, 40);
  completed_point(dir_ / "points/0003", 0.9, 2000, 45);
  write(dir_ / "points/0004/manifest.json",
        json{{"status", "failed"},
             {"stages", {stage("teacher", "train", "01-teacher", "failed", "disk full")}}}
            .dump());
  write(dir_ / "points/0005/manifest.json",
        json{{"status", "interrupted"}, {"stages", json::array()}}.dump());

  const SweepTable table = collect_sweep(dir_);
  EXPECT_EQ(table.group_keys, (std::vector<std::string>{"models.student.layers.1.units"}));
  ASSERT_EQ(table.groups.size(), 2u);
  const SweepGroup& narrow = table.groups[0];
  EXPECT_EQ(narrow.values, (std::vector<std::string>{"8"}));
  EXPECT_EQ(narrow.points, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(narrow.seeds, (std::vector<std::string>{"1", "2", "3"}));
  ASSERT_EQ(narrow.figures.size(), 3u);
  EXPECT_EQ(narrow.figures[0].first, "teacher");
  EXPECT_EQ(narrow.figures[1].first, "distill.student");
  EXPECT_EQ(narrow.figures[2].first, "export");
  const Spread& spread = narrow.figures[1].second.at("pt_spread");
  EXPECT_EQ(spread.n, 3u);
  EXPECT_NEAR(spread.mean, 1.2, 1e-12);
  EXPECT_NEAR(spread.std, 0.2, 1e-12);  // sample standard deviation
  EXPECT_NEAR(narrow.figures[2].second.at("lut").mean, 1100, 1e-9);
  EXPECT_NEAR(narrow.figures[2].second.at("lut").std, 100, 1e-9);
  EXPECT_EQ(narrow.figures[0].second.at("pt_spread").std, 0.0);  // the same teacher figure

  const SweepGroup& wide = table.groups[1];
  EXPECT_EQ(wide.seeds, (std::vector<std::string>{"1"}));
  const Spread& single = wide.figures[1].second.at("pt_spread");
  EXPECT_EQ(single.n, 1u);
  EXPECT_DOUBLE_EQ(single.mean, 0.9);
  EXPECT_TRUE(std::isnan(single.std));  // one seed has no spread, not a spread of zero

  write_sweep_reports(table, dir_);
  std::ifstream csv(dir_ / "seeds.csv");
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header, "models.student.layers.1.units,stage,figure,n,mean,std");
  bool found = false;
  bool single_found = false;
  while (std::getline(csv, line)) {
    found = found || line == "8,export,lut,3,1100,100";
    single_found = single_found || line == "16,distill.student,pt_spread,1,0.9,";
  }
  EXPECT_TRUE(found) << "no row of the narrow student's LUTs";
  EXPECT_TRUE(single_found) << "no row of the wide student's single pt_spread";
  const json j = json::parse(std::ifstream(dir_ / "sweep.json"));
  ASSERT_EQ(j["seed_groups"].size(), 2u);
  EXPECT_EQ(j["seed_groups"][1]["values"]["models.student.layers.1.units"], 16);
  EXPECT_EQ(j["seed_groups"][1]["seeds"], (json{"1"}));
  EXPECT_EQ(j["seed_groups"][1]["stages"][1]["stage"], "distill.student");
  EXPECT_EQ(j["seed_groups"][1]["stages"][1]["figures"]["pt_spread"]["n"], 1);
  EXPECT_TRUE(j["seed_groups"][1]["stages"][1]["figures"]["pt_spread"]["std"].is_null());

  const std::string markdown = seed_groups_markdown(table);
  EXPECT_NE(markdown.find("models.student.layers.1.units = 8: mean ± std over 3 seed(s) (1, 2, "
                          "3)"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| distill.student | 1.200 ± 0.200 | 0.9000 ± 0.0000 |"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| distill.student | 0.9 (1 seed) |"), std::string::npos) << markdown;
  std::stringstream html;
  html << std::ifstream(dir_ / "sweep.html").rdbuf();
  EXPECT_NE(html.str().find("<h2>Mean and spread over seeds</h2>"), std::string::npos);
}

// A figure that could not be computed (NaN, null in the file) is left out, not a column of NaN;
// a completed stage without results.json (an older hlslim ran it) is named in the point's error.
TEST_F(Collect, LeavesOutFiguresThatCouldNotBeComputedAndNamesMissingResults) {
  for (const char* point : {"points/0000", "points/0001"}) {
    StageResults results{
        {{"student", ModelRole::kStudent, false, {{"pt_spread", 0.25}, {"eta_mae", std::nan("")}}}},
        {},
        {},
        {},
        {}};
    write(dir_ / point / "02-distill" / "results.json", results.to_json().dump());
  }
  SweepTable table = collect_sweep(dir_);
  EXPECT_EQ(table.rows[0].figures.count("eta_mae"), 0u);
  EXPECT_EQ(std::count(table.figure_columns.begin(), table.figure_columns.end(), "eta_mae"), 0);
  EXPECT_EQ(table.rows[0].error, "");

  fs::remove(dir_ / "points/0001/01-teacher/results.json");
  table = collect_sweep(dir_);
  EXPECT_EQ(table.rows[1].error,
            "stage 'teacher' has no results.json (an older hlslim ran it): run the point again");
  EXPECT_DOUBLE_EQ(table.rows[1].figures.at("pt_spread"), 0.25);  // the other stages count
}

// A point's evaluation.json (its figures at the current evaluation settings) takes the place of
// what the stages computed, adds the trigger figures at every threshold, and gives the fronts of
// the pT resolution against LUTs.
TEST_F(Collect, TakesEachPointsFiguresFromItsEvaluation) {
  const auto evaluate = [&](const char* point, double rate, double resolution) {
    RunEvaluation evaluation;
    evaluation.settings = {{"thresholds", {12, 15}}};
    Evaluation student{"student",
                       ModelRole::kStudent,
                       false,
                       {{"pt_spread", 0.5},
                        {"plateau_eff", 0.8},
                        {"threshold_gev", 12},
                        {"rate_khz", rate},
                        {"pt_resolution", resolution},
                        {"rate_khz_thr12", rate},
                        {"rate_khz_thr15", rate / 2}}};
    evaluation.stages["02-distill"] = {"fp-distill", {student}};
    write(dir_ / point / "evaluation.json", evaluation.to_json().dump());
  };
  evaluate("points/0000", 20, 0.10);  // 1000 LUT: on the resolution front
  evaluate("points/0001", 10, 0.20);  // 3000 LUT and a worse resolution
  const SweepTable table = collect_sweep(dir_);
  EXPECT_DOUBLE_EQ(table.rows[0].figures.at("plateau_eff"), 0.8);
  EXPECT_DOUBLE_EQ(table.rows[1].figures.at("rate_khz_thr15"), 5);
  const auto& columns = table.figure_columns;
  EXPECT_EQ(std::vector<std::string>(columns.end() - 2, columns.end()),
            (std::vector<std::string>{"rate_khz_thr12", "rate_khz_thr15"}));
  ASSERT_EQ(table.trigger_fronts.size(), 1u);
  EXPECT_EQ(table.trigger_fronts[0].figure, "pt_resolution");
  EXPECT_EQ(table.trigger_fronts[0].rows, (std::vector<std::size_t>{0}));
  const std::string csv = sweep_csv(table);
  EXPECT_NE(csv.find(",pareto_lut,pareto_latency,pareto_pt_resolution_lut\n"), std::string::npos);
  EXPECT_NE(sweep_html(table).find("pt_resolution vs estimated LUTs"), std::string::npos);
  EXPECT_EQ(sweep_json(table)["points"][1]["pareto"]["pt_resolution_lut"], false);

  // An evaluation made for another run of the stage is not applied.
  RunEvaluation stale;
  stale.stages["02-distill"] = {"not this run", {{"student", ModelRole::kStudent, false, {}}}};
  write(dir_ / "points/0000/evaluation.json", stale.to_json().dump());
  EXPECT_DOUBLE_EQ(collect_sweep(dir_).rows[0].figures.at("plateau_eff"), 0.9);
}

TEST_F(Collect, ADamagedPointIsReportedAndTheOthersCollected) {
  write(dir_ / "points/0001/manifest.json", "{\"stages\": [{\"name\": \"tea");
  const SweepTable table = collect_sweep(dir_);
  ASSERT_EQ(table.rows.size(), 5u);
  EXPECT_EQ(table.rows[1].status, PointStatus::kFailed);
  EXPECT_EQ(table.rows[1].error,
            "its manifest.json is damaged (not an hlslim manifest); run the point again");
  EXPECT_EQ(table.rows[0].status, PointStatus::kCompleted);
  EXPECT_DOUBLE_EQ(table.rows[0].figures.at("pt_spread"), 0.30);
  EXPECT_EQ(table.front_lut, (std::vector<std::size_t>{0}));

  // Valid JSON of the wrong shape is damaged just the same.
  write(dir_ / "points/0001/manifest.json", R"({"status": "completed", "stages": [1, "x"]})");
  const SweepTable again = collect_sweep(dir_);
  EXPECT_EQ(again.rows[1].status, PointStatus::kFailed);
  EXPECT_EQ(again.rows[1].error,
            "its manifest.json is damaged (not an hlslim manifest); run the point again");
  EXPECT_EQ(again.rows[0].status, PointStatus::kCompleted);
}

TEST_F(Collect, RefusesADirectoryWithoutPlan) {
  fs::remove(dir_ / "plan.json");
  try {
    collect_sweep(dir_);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRunDir);
    EXPECT_EQ(std::string(e.what()),
              "'" + dir_.string() +
                  "' is not a sweep directory: it holds no valid plan.json (written by hlslim "
                  "sweep CONFIG --plan, --submit or --point)");
  }
}

}  // namespace
}  // namespace hlslim
