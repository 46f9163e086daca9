// Pareto fronts over seeds: the fronts of the seed groups' means (a dominated group, ties, a
// group without a completed point), the plots with error bars in sweep.html, the flags in
// sweep.json and the table of every group, on a synthetic sweep directory whose expectations
// are worked out by hand below.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../../src/sweep/sweep_detail.hpp"
#include "hlslim/report/svg.hpp"
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

json stage(const std::string& name, const std::string& type, const std::string& dir,
           const std::string& status) {
  return {{"name", name}, {"type", type}, {"dir", dir}, {"status", status}, {"fingerprint", "fp"}};
}

// A completed point: distill tests the student and its baseline, export estimates the student.
void completed_point(const fs::path& dir, double student, double baseline, double lut,
                     double latency) {
  write(dir / "manifest.json", json{{"status", "completed"},
                                    {"stages",
                                     {stage("distill", "distill", "01-distill", "completed"),
                                      stage("export", "export", "02-export", "completed")}}}
                                   .dump());
  StageResults distill{{{"student", ModelRole::kStudent, false, {{"pt_spread", student}}},
                        {"baseline", ModelRole::kBaseline, false, {{"pt_spread", baseline}}}},
                       {},
                       {},
                       {},
                       {}};
  write(dir / "01-distill" / "results.json", distill.to_json().dump());
  EstimateTotals totals;
  totals.model = "student";
  totals.lut = static_cast<std::int64_t>(lut);
  totals.latency_ns = latency;
  write(dir / "02-export" / "results.json", StageResults{{}, {}, totals, {}, {}}.to_json().dump());
}

std::string layers(int units) {
  return "[{type: dense, units: " + std::to_string(units) +
         ", activation: relu}, {type: dense, units: 1}]";
}

// The svg element whose aria-label is `title`.
std::string svg_named(const std::string& html, const std::string& title) {
  const auto at = html.find("aria-label=\"" + title + "\"");
  if (at == std::string::npos) return "";
  const auto begin = html.rfind("<svg", at);
  const auto end = html.find("</svg>", at);
  return html.substr(begin, end + 6 - begin);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class SeedPareto : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("hlslim-seed-pareto-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Points (units, seed) in order; plan.json with keys models.student.layers and seed.
  void plan(const std::vector<std::pair<int, int>>& points) {
    json list = json::array();
    for (std::size_t i = 0; i < points.size(); ++i) {
      list.push_back({{"index", i},
                      {"dir", "points/000" + std::to_string(i)},
                      {"values",
                       {{"models.student.layers", layers(points[i].first)},
                        {"seed", std::to_string(points[i].second)}}}});
    }
    write(dir_ / "plan.json", json{{"format", "hlslim-sweep-plan"},
                                   {"version", 1},
                                   {"name", "students"},
                                   {"method", "grid"},
                                   {"keys", {"models.student.layers", "seed"}},
                                   {"points", list}}
                                  .dump());
  }

  // Five groups of two seeds:
  //   A (8 units):   pt_spread 1.0, 1.2 -> 1.1 +- 0.1414;  LUT 1000, 1200 -> 1100 +- 141.4;
  //                  latency 40, 40;  baseline 1.3, 1.5 -> 1.4 +- 0.1414
  //   B (16 units):  pt_spread 0.9, 0.9;  LUT 2000, 2000;  latency 45, 55 -> 50 +- 7.071;
  //                  baseline 1.0, 1.2 -> 1.1 +- 0.1414
  //   C (32 units):  pt_spread 1.0;  LUT 3000;  latency 30;  baseline 1.1
  //   D (64 units):  the same means as B (a tie): pt_spread 0.9, LUT 2000, latency 50;
  //                  baseline 0.95
  //   E (128 units): both points failed: no means.
  // Against LUTs: C (3000, 1.0) is dominated by B (2000, 0.9); A has the fewest LUTs; B and D
  // tie, neither better in either mean, so both are on the front: A, B, D.
  // Against latency: C (30, 1.0) dominates A (40, 1.1); B and D have the best pt_spread at 50:
  // C, B, D.
  void five_groups() {
    plan(
        {{8, 1}, {8, 2}, {16, 1}, {16, 2}, {32, 1}, {32, 2}, {64, 1}, {64, 2}, {128, 1}, {128, 2}});
    completed_point(dir_ / "points/0000", 1.0, 1.3, 1000, 40);
    completed_point(dir_ / "points/0001", 1.2, 1.5, 1200, 40);
    completed_point(dir_ / "points/0002", 0.9, 1.0, 2000, 45);
    completed_point(dir_ / "points/0003", 0.9, 1.2, 2000, 55);
    completed_point(dir_ / "points/0004", 1.0, 1.1, 3000, 30);
    completed_point(dir_ / "points/0005", 1.0, 1.1, 3000, 30);
    completed_point(dir_ / "points/0006", 0.9, 0.95, 2000, 50);
    completed_point(dir_ / "points/0007", 0.9, 0.95, 2000, 50);
    for (const char* failed : {"points/0008", "points/0009"}) {
      write(dir_ / failed / "manifest.json",
            json{{"status", "failed"},
                 {"stages", {stage("distill", "distill", "01-distill", "failed")}}}
                .dump());
    }
  }

  fs::path dir_;
};

TEST_F(SeedPareto, FrontsOfTheGroupMeans) {
  five_groups();
  const SweepTable table = collect_sweep(dir_);
  ASSERT_EQ(table.groups.size(), 5u);
  EXPECT_EQ(table.model_label, "distill.student");
  EXPECT_EQ(table.baseline_label, "distill.baseline");
  EXPECT_EQ(table.group_front_lut, (std::vector<std::size_t>{0, 1, 3}));
  EXPECT_EQ(table.group_front_latency, (std::vector<std::size_t>{2, 1, 3}));
  const SweepGroup& a = table.groups[0];
  EXPECT_EQ(a.physics.n, 2u);
  EXPECT_NEAR(a.physics.mean, 1.1, 1e-12);
  EXPECT_NEAR(a.physics.std, std::sqrt(0.02), 1e-12);
  EXPECT_NEAR(a.lut.std, std::sqrt(20000.0), 1e-9);
  EXPECT_NEAR(a.baseline.mean, 1.4, 1e-12);
  EXPECT_NEAR(table.groups[1].latency.std, std::sqrt(50.0), 1e-12);
  EXPECT_EQ(table.groups[4].physics.n, 0u);
  EXPECT_FALSE(table.groups[4].front_lut);
  EXPECT_FALSE(table.groups[4].front_latency);

  const json j = sweep_json(table);
  const std::vector<std::pair<bool, bool>> flags = {
      {true, false}, {true, true}, {false, true}, {true, true}, {false, false}};
  ASSERT_EQ(j["seed_groups"].size(), 5u);
  for (std::size_t g = 0; g < flags.size(); ++g) {
    EXPECT_EQ(j["seed_groups"][g]["pareto_lut"], flags[g].first) << "group " << g;
    EXPECT_EQ(j["seed_groups"][g]["pareto_latency"], flags[g].second) << "group " << g;
  }
}

// The front is of the means: a figure where higher is better (roc_auc) turns the order round.
TEST_F(SeedPareto, HigherIsBetterFigure) {
  plan({{8, 1}, {8, 2}, {16, 1}, {16, 2}});
  const auto point = [&](const char* dir, double auc, double lut) {
    write(dir_ / dir / "manifest.json",
          json{{"status", "completed"},
               {"stages",
                {stage("train", "train", "01-train", "completed"),
                 stage("export", "export", "02-export", "completed")}}}
              .dump());
    StageResults train{{{"model", ModelRole::kModel, false, {{"roc_auc", auc}}}}, {}, {}, {}, {}};
    write(dir_ / dir / "01-train" / "results.json", train.to_json().dump());
    EstimateTotals totals;
    totals.model = "model";
    totals.lut = static_cast<std::int64_t>(lut);
    totals.latency_ns = 10;
    write(dir_ / dir / "02-export" / "results.json",
          StageResults{{}, {}, totals, {}, {}}.to_json().dump());
  };
  // 8 units: auc 0.90 at 100 LUTs; 16 units: auc 0.80 at 200 LUTs, dominated. Same latency:
  // only the better auc is on the latency front.
  point("points/0000", 0.89, 100);
  point("points/0001", 0.91, 100);
  point("points/0002", 0.79, 200);
  point("points/0003", 0.81, 200);
  const SweepTable table = collect_sweep(dir_);
  EXPECT_EQ(table.physics, "roc_auc");
  EXPECT_EQ(table.model_label, "train");
  EXPECT_EQ(table.baseline_label, "");
  EXPECT_EQ(table.group_front_lut, (std::vector<std::size_t>{0}));
  EXPECT_EQ(table.group_front_latency, (std::vector<std::size_t>{0}));
  EXPECT_EQ(seed_fronts_markdown(table),
            "Seed groups by mean estimated LUTs (mean ± std over seeds; Pareto: on the front of "
            "the group means of roc_auc against LUTs, latency)\n\n"
            "| models.student.layers | seeds | roc_auc (train) | LUT | latency [ns] | Pareto "
            "(means) |\n"
            "|---|---|---|---|---|---|\n"
            "| #1 | 2 | 0.9000 ± 0.0141 | 100.0 ± 0.0 | 10.0 ± 0.0 | LUT, latency |\n"
            "| #2 | 2 | 0.8000 ± 0.0141 | 200.0 ± 0.0 | 10.0 ± 0.0 |  |\n\n"
            "- models.student.layers #1: " +
                layers(8) + "\n- models.student.layers #2: " + layers(16) + "\n\n");
}

TEST_F(SeedPareto, HtmlPlotsTheMeansWithErrorBars) {
  five_groups();
  const std::string html = sweep_html(collect_sweep(dir_));
  EXPECT_NE(html.find("<h2>Pareto fronts over seeds</h2>"), std::string::npos);
  EXPECT_NE(html.find("It is a front of means"), std::string::npos);
  const std::string lut = svg_named(html, "pt_spread vs estimated LUTs, means over seeds");
  ASSERT_FALSE(lut.empty()) << html;
  // Four groups with means, each a student and a baseline marker with a tooltip (E has none).
  EXPECT_EQ(count(lut, "<title>"), 8u);
  // Markers and the legend's two samples.
  EXPECT_EQ(count(lut, "<circle"), 10u);
  // Vertical error bars where the spread over seeds is not zero: A's student, A's and B's
  // baselines.
  EXPECT_EQ(count(lut, "<path "), 3u);
  // A horizontal error bar (A's LUTs) and the front A-B-D.
  EXPECT_EQ(count(lut, "<polyline"), 2u);
  // The front's groups are outlined.
  EXPECT_EQ(count(lut, "stroke=\"#000000\""), 3u);
  EXPECT_NE(lut.find(">distill.student</text>"), std::string::npos);
  EXPECT_NE(lut.find(">distill.baseline (at the student&#39;s resources)</text>"),
            std::string::npos);
  EXPECT_NE(lut.find("<title>models.student.layers = " + layers(8) +
                     "\npt_spread (distill.student): 1.1 ± 0.1414 over 2 seeds\nLUT: 1100 ± "
                     "141.4 over 2 seeds\nlatency [ns]: 40 ± 0 over 2 seeds\non the front of the "
                     "means</title>"),
            std::string::npos)
      << lut;
  EXPECT_NE(lut.find(">#1</text>"), std::string::npos);
  // The table's legend gives the full values.
  EXPECT_NE(html.find("<li>models.student.layers #4: " + report::xml_escape(layers(64)) + "</li>"),
            std::string::npos);

  const std::string latency =
      svg_named(html, "pt_spread vs estimated latency [ns], means over seeds");
  ASSERT_FALSE(latency.empty());
  EXPECT_EQ(count(latency, "<title>"), 8u);
  EXPECT_EQ(count(latency, "<path "), 3u);
  // B's latency spread and the front C-B-D.
  EXPECT_EQ(count(latency, "<polyline"), 2u);
  EXPECT_EQ(count(latency, "stroke=\"#000000\""), 3u);
}

TEST_F(SeedPareto, MarkdownTableByMeanLuts) {
  five_groups();
  const SweepTable table = collect_sweep(dir_);
  const std::string expected =
      "Seed groups by mean estimated LUTs (mean ± std over seeds; Pareto: on the front of the "
      "group means of pt_spread against LUTs, latency)\n\n"
      "| models.student.layers | seeds | pt_spread (distill.student) | pt_spread "
      "(distill.baseline) | LUT | latency [ns] | Pareto (means) |\n"
      "|---|---|---|---|---|---|---|\n"
      "| #1 | 2 | 1.100 ± 0.141 | 1.400 ± 0.141 | 1100 ± 141 | 40.0 ± 0.0 | LUT |\n"
      "| #2 | 2 | 0.9000 ± 0.0000 | 1.100 ± 0.141 | 2000 ± 0 | 50.0 ± 7.1 | LUT, "
      "latency |\n"
      "| #4 | 2 | 0.9000 ± 0.0000 | 0.9500 ± 0.0000 | 2000 ± 0 | 50.0 ± 0.0 | LUT, "
      "latency |\n"
      "| #3 | 2 | 1.000 ± 0.000 | 1.100 ± 0.000 | 3000 ± 0 | 30.0 ± 0.0 | latency |\n"
      "| #5 | 0 |  |  |  |  |  |\n\n"
      // Positions in the plan's order (8, 16, 32, 64, 128 units), not the table's.
      "- models.student.layers #1: [{type: dense, units: 8, activation: relu}, {type: dense, "
      "units: 1}]\n"
      "- models.student.layers #2: [{type: dense, units: 16, activation: relu}, {type: dense, "
      "units: 1}]\n"
      "- models.student.layers #3: [{type: dense, units: 32, activation: relu}, {type: dense, "
      "units: 1}]\n"
      "- models.student.layers #4: [{type: dense, units: 64, activation: relu}, {type: dense, "
      "units: 1}]\n"
      "- models.student.layers #5: [{type: dense, units: 128, activation: relu}, {type: dense, "
      "units: 1}]\n\n";
  EXPECT_EQ(seed_fronts_markdown(table), expected);
  // The console's seed tables end with it.
  const std::string all = seed_groups_markdown(table);
  ASSERT_GE(all.size(), expected.size());
  EXPECT_EQ(all.substr(all.size() - expected.size()), expected);
}

// One group (a sweep of seed alone): nothing to compare, no plot and no table.
TEST_F(SeedPareto, NothingForOneGroup) {
  plan({{8, 1}, {8, 2}});
  completed_point(dir_ / "points/0000", 1.0, 1.3, 1000, 40);
  completed_point(dir_ / "points/0001", 1.2, 1.5, 1200, 40);
  const SweepTable table = collect_sweep(dir_);
  EXPECT_EQ(seed_fronts_markdown(table), "");
  EXPECT_EQ(sweep_html(table).find("Pareto fronts over seeds"), std::string::npos);
  EXPECT_EQ(sweep_json(table)["seed_groups"][0]["pareto_lut"], true);
}

SweepGroup group_of(std::vector<std::string> values) {
  SweepGroup g;
  g.values = std::move(values);
  return g;
}

TEST(ShortGroupValues, ShortValuesAreTheirOwnLabels) {
  SweepTable table;
  table.group_keys = {"a", "b"};
  table.groups = {group_of({"[4, 2]", "0.5"}), group_of({"{a: 1}", "0.7"}),
                  group_of({"[4, 2]", "0.5"})};
  EXPECT_EQ(short_group_values(table, 0), (std::vector<std::string>{"[4, 2]", "{a: 1}", "[4, 2]"}));
  EXPECT_EQ(short_group_values(table, 1), (std::vector<std::string>{"0.5", "0.7", "0.5"}));
  EXPECT_TRUE(sweep_detail::group_value_legend(table).empty());
  // 24 bytes is still short; 25 is not, and every value of that key becomes a position.
  table.groups = {group_of({"[100000, 200000, 300000]", "1"}),
                  group_of({"[100000, 200000, 3000000]", "2"})};
  EXPECT_EQ(short_group_values(table, 0), (std::vector<std::string>{"#1", "#2"}));
  EXPECT_EQ(short_group_values(table, 1), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(sweep_detail::group_value_legend(table),
            (std::vector<std::string>{"a #1: [100000, 200000, 300000]",
                                      "a #2: [100000, 200000, 3000000]"}));
}

// Values that differ only deep inside (two quantize settings with the same weight type that
// differ in a later key, two layer lists that differ in one width): a cut of their beginnings
// or of common parts would label both alike; positions tell them apart, in the plan's order.
TEST(ShortGroupValues, ValuesThatDifferDeepInsideGetPositions) {
  const std::string q8 =
      "{enabled: true, float_epochs: 12, precision: {input: \"ufixed<1,1,RND_CONV,SAT>\", "
      "weight: \"fixed<8,auto,RND_CONV,SAT>\", bias: \"fixed<8,auto,RND_CONV,SAT>\"}}";
  const std::string q8_learned =
      "{enabled: true, float_epochs: 12, precision: {input: \"ufixed<1,1,RND_CONV,SAT>\", "
      "weight: \"fixed<8,auto,RND_CONV,SAT>\", bias: \"fixed<8,auto,RND_CONV,SAT>\"}, "
      "learn_widths: {enabled: true, budget: 4}}";
  const std::string conv8 =
      "[{type: flatten}, {type: dense, name: fc1, units: 8}, {type: relu}, {type: dense, name: "
      "out, units: 2}]";
  const std::string conv16 =
      "[{type: flatten}, {type: dense, name: fc1, units: 16}, {type: relu}, {type: dense, name: "
      "out, units: 2}]";
  SweepTable table;
  table.keys = {"distill.quantize", "seed", "models.student.layers"};
  table.group_keys = {"distill.quantize", "models.student.layers"};
  // The plan lists q8_learned and conv16 first; the groups come in another order.
  for (const auto& values : std::vector<std::vector<std::string>>{
           {q8_learned, "1", conv16}, {q8_learned, "2", conv8}, {q8, "1", conv16}}) {
    SweepRow row;
    row.values = values;
    table.rows.push_back(row);
  }
  table.groups = {group_of({q8, conv8}), group_of({q8_learned, conv8}), group_of({q8, conv16}),
                  group_of({q8_learned, conv16})};
  EXPECT_EQ(short_group_values(table, 0), (std::vector<std::string>{"#2", "#1", "#2", "#1"}));
  EXPECT_EQ(short_group_values(table, 1), (std::vector<std::string>{"#2", "#2", "#1", "#1"}));
  EXPECT_EQ(sweep_detail::group_value_legend(table),
            (std::vector<std::string>{
                "distill.quantize #1: " + q8_learned, "distill.quantize #2: " + q8,
                "models.student.layers #1: " + conv16, "models.student.layers #2: " + conv8}));
}

}  // namespace
}  // namespace hlslim
