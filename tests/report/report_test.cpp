// Reports of synthetic run directories written by the tests: every section shows the numbers
// of the files it reads, partial and damaged runs still give a report, and what cannot be a
// run directory fails with a message naming the file.

#include "hlslim/report/report.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>

#include "hlslim/engine/precision.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/report/svg.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/fixed_graphs.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace hlslim::report {
namespace {

using testing::fixed::dense;
using testing::fixed::layer;
using testing::fixed::roles;

fs::path fresh_dir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const fs::path dir =
      fs::path(tmp ? tmp : "/tmp") / ("hlslim_report_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

json stage_record(const std::string& name, const std::string& type, const std::string& dir,
                  const std::string& status = "completed") {
  return {{"name", name},
          {"type", type},
          {"dir", dir},
          {"status", status},
          {"fingerprint", std::string(64, 'a')},
          {"seconds", 1.5},
          {"started", "2026-01-01T00:00:00Z"},
          {"ended", "2026-01-01T00:00:01Z"}};
}

json trigger_figures(double pt_spread, double plateau, double fake) {
  json turn_on = json::array();
  for (int i = 0; i < 4; ++i) {
    turn_on.push_back({{"lo", 5.0 * i},
                       {"hi", 5.0 * i + 5},
                       {"n", 10},
                       {"n_fired", 3 * i},
                       {"efficiency", 0.3 * i},
                       {"error", 0.05}});
  }
  return {{"pt_mae", 2.0 * pt_spread},
          {"pt_spread", pt_spread},
          {"eta_mae", 0.02},
          {"plateau_eff", plateau},
          {"eff_at_thr_15", 0.5},
          {"fake_rate", fake},
          {"threshold_gev", 10.0},
          {"turn_on", turn_on},
          {"counts", {{"muon", 40}, {"noise", 10}}},
          {"residuals",
           {{"pt", {{"edges", {-1, 0, 1}}, {"counts", {7, 9}}, {"underflow", 1}, {"overflow", 2}}},
            {"eta",
             {{"edges", {-0.1, 0, 0.1}}, {"counts", {5, 6}}, {"underflow", 0}, {"overflow", 0}}}}}};
}

Graph quantized(const std::string& name, float w) {
  Graph g = testing::fixed::chain(
      {4},
      {dense("fc1", 4, {w, 0.0f, -0.25f, 0.75f, 0.0f, 1.0f, 0.375f, 0.0f}, {0.125f, -0.5f}),
       layer("relu", LayerKind::kRelu), dense("out", 2, {0.3125f, -1.5f})},
      name);
  store_precision(
      g, testing::fixed::model_precision(
             "fixed<8,3>", {roles("fixed<6,2>", "fixed<6,2>", "fixed<16,6>", "fixed<10,4>"),
                            roles(nullptr, nullptr, nullptr, "ufixed<10,3>"),
                            roles("fixed<12,4>", nullptr, "fixed<24,8>", "fixed<16,6>")}));
  return g;
}

// An evaluation as a stage reports it: the numbers of `figures` as figures, the rest as their
// distributions.
hlslim::Evaluation evaluation(const std::string& model, ModelRole role, const json& figures) {
  hlslim::Evaluation e;
  e.model = model;
  e.role = role;
  for (const auto& [name, value] : figures.items()) {
    if (value.is_number()) {
      e.figures[name] = value.get<double>();
    } else {
      e.distributions[name] = value;
    }
  }
  return e;
}

void write_results(const fs::path& stage_dir, const StageResults& results) {
  write(stage_dir / "results.json", results.to_json().dump(2));
}

// A complete run: data, reference, train, quantize, distill, export.
fs::path complete_run(const std::string& name) {
  const fs::path dir = fresh_dir(name);
  json manifest = {{"hlslim_version", "9.8.7"},
                   {"git_commit", "abc123def"},
                   {"config", "config.yaml"},
                   {"created", "2026-01-01T00:00:00Z"},
                   {"status", "completed"}};
  manifest["stages"] = {stage_record("data", "data", "01-data"),
                        stage_record("reference", "reference", "02-reference"),
                        stage_record("teacher", "train", "03-teacher"),
                        stage_record("quantize", "quantize", "04-quantize"),
                        stage_record("distill", "distill", "05-distill"),
                        stage_record("export", "export", "06-export")};
  write(dir / "manifest.json", manifest.dump(2));
  write(dir / "config.yaml", "name: synthetic\nnote: \"<b>not bold</b> & more\"\n");
  write(dir / "01-data/metrics.json", json({{"events", 100}}).dump());
  write_results(dir / "01-data", {});  // every stage writes one, empty or not
  write(dir / "02-reference/metrics.json", trigger_figures(1.25, 0.9, 0.001).dump());
  write_results(
      dir / "02-reference",
      {{evaluation("classical", ModelRole::kReference, trigger_figures(1.25, 0.9, 0.001))},
       {},
       {},
       {},
       {}});
  json teacher = {
      {"model", "teacher"}, {"best_epoch", 2}, {"test", trigger_figures(0.875, 0.95, 0.002)}};
  write(dir / "03-teacher/metrics.json", teacher.dump());
  write_results(dir / "03-teacher",
                {{evaluation("teacher", ModelRole::kModel, teacher["test"])}, {}, {}, {}, {}});
  write(dir / "03-teacher/history.jsonl",
        "{\"epoch\":1,\"loss\":0.9,\"val_loss\":0.95,\"learning_rate\":0.001,\"pt_spread\":1.5}\n"
        "{\"epoch\":2,\"loss\":0.7,\"val_loss\":0.8,\"learning_rate\":0.0005,\"pt_spread\":1.2}\n");
  json quantize = {{"model", "teacher"},
                   {"test", trigger_figures(0.8875, 0.94, 0.002)},
                   {"input", {{"precision", "ufixed<16,1>"}, {"values", 1000}, {"overflows", 3}}},
                   {"layers",
                    {{{"name", "fc1"},
                      {"type", "dense"},
                      {"values", 500},
                      {"result", "fixed<16,2>"},
                      {"result_overflows", 17},
                      {"accum", "fixed<28,4>"},
                      {"accum_overflows", 0}}}}};
  write(dir / "04-quantize/metrics.json", quantize.dump());
  write_results(dir / "04-quantize",
                {{evaluation("teacher", ModelRole::kModel, quantize["test"])}, {}, {}, {}, {}});
  json distill = {{"teacher_model", "teacher"},
                  {"student_model", "student"},
                  {"teacher", {{"test", trigger_figures(0.8875, 0.94, 0.002)}}},
                  {"student", {{"test", trigger_figures(0.9375, 0.93, 0.003)}}},
                  {"baseline", {{"test", trigger_figures(1.0625, 0.91, 0.004)}}}};
  write(dir / "05-distill/metrics.json", distill.dump());
  write_results(dir / "05-distill",
                {{evaluation("teacher", ModelRole::kTeacher, distill["teacher"]["test"]),
                  evaluation("student", ModelRole::kStudent, distill["student"]["test"]),
                  evaluation("student", ModelRole::kBaseline, distill["baseline"]["test"])},
                 {},
                 {},
                 {},
                 {}});
  write(dir / "05-distill/history-distilled.jsonl",
        "{\"epoch\":1,\"loss\":0.5,\"val_loss\":0.6}\n");
  write(dir / "05-distill/history-baseline.jsonl",
        "{\"epoch\":1,\"loss\":0.55,\"val_loss\":0.65}\n");
  json exported = {{"model", "student"},
                   {"estimates",
                    {{"lut", 12345},
                     {"ff", 678},
                     {"dsp", 0},
                     {"bram_18k", 0},
                     {"multiplies", 77},
                     {"bops", 4321.5},
                     {"latency_cycles", 9},
                     {"latency_ns", 42.5}}}};
  write(dir / "06-export/metrics.json", exported.dump());
  EstimateTotals totals;
  totals.model = "student";
  totals.part = HlsProjectOptions{}.part;
  totals.clock_period_ns = HlsProjectOptions{}.clock_period_ns;
  totals.lut = 12345;
  totals.ff = 678;
  totals.multiplies = 77;
  totals.bops = 4321.5;
  totals.latency_cycles = 9;
  totals.latency_ns = 42.5;
  write_results(dir / "06-export", {{}, {}, totals, {}, {}});
  write(
      dir / "06-export/estimates.json",
      json{{"design", "hlslim io_parallel"},
           {"hls4ml",
            {{"design", "hls4ml io_parallel"}, {"total", {{"lut", 13002}, {"latency_ns", 47.5}}}}}}
          .dump());
  save_model(quantized("teacher", 0.5f), dir / "06-export/state/teacher.hlsm");
  save_model(quantized("student", 0.0f), dir / "06-export/state/student.hlsm");
  return dir;
}

std::string value_attr(const std::string& model, const std::string& key, double value) {
  return "data-model=\"" + model + "\" data-key=\"" + key + "\" data-value=\"" +
         json(value).dump() + "\"";
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Report, KeyFiguresAppearWithTheValuesOfTheJsonFiles) {
  const fs::path dir = complete_run("complete");
  const ReportResult result = write_report(dir);
  EXPECT_EQ(result.path, dir / "report" / "index.html");
  EXPECT_EQ(result.notes, 0u);
  const std::string html = read_file(result.path);
  for (const char* id : {"summary", "training", "turn-on", "residuals", "figures", "models",
                         "compression", "overflows", "provenance", "config"}) {
    EXPECT_TRUE(contains(html, "<section id=\"" + std::string(id) + "\">")) << id;
  }
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "http://www.w3.org/1999/xhtml\" src"));
  EXPECT_TRUE(contains(html, value_attr("student", "pt_spread", 0.9375)));
  EXPECT_TRUE(contains(html, value_attr("teacher", "plateau_eff", 0.94)));  // the last stage's
  EXPECT_TRUE(contains(html, value_attr("student baseline", "fake_rate", 0.004)));
  EXPECT_TRUE(contains(html, value_attr("classical reference", "pt_spread", 1.25)));
  // Compression: the student's estimates as the export stage wrote them; the teacher's computed.
  EXPECT_TRUE(contains(html, ">12345<"));
  EXPECT_TRUE(contains(html, ">42.5<"));
  const ModelEstimate teacher = estimate_resources(quantized("teacher", 0.5f), HlsProjectOptions{});
  EXPECT_TRUE(contains(html, ">" + format_number(static_cast<double>(teacher.lut)) + "<"));
  // Per-layer weights and precisions, overflows, provenance, escaped config.
  EXPECT_TRUE(contains(html, "id=\"weights-student-fc1\""));
  EXPECT_TRUE(contains(html, "fixed&lt;6,2&gt;") || contains(html, "fixed&lt;6,2,"));
  EXPECT_TRUE(contains(html, "<td class=\"num\">17</td>"));
  EXPECT_TRUE(contains(html, "9.8.7"));
  EXPECT_TRUE(contains(html, "abc123def"));
  EXPECT_TRUE(contains(html, "&lt;b&gt;not bold&lt;/b&gt; &amp; more"));
  // Charts: training curves of both distill histories, turn-on with the threshold, residuals.
  EXPECT_TRUE(contains(html, "id=\"loss-teacher\""));
  EXPECT_TRUE(contains(html, "id=\"loss-distill\""));
  EXPECT_TRUE(contains(html, "id=\"turn-on-chart\""));
  EXPECT_TRUE(contains(html, "threshold 10 GeV"));
  EXPECT_TRUE(contains(html, "id=\"residual-pt\""));
  EXPECT_TRUE(contains(html, "underflow 1, overflow 2"));

  EXPECT_TRUE(contains(result.markdown, "| model | pt_spread | plateau_eff | fake_rate | params |"))
      << result.markdown;
  EXPECT_TRUE(
      contains(result.markdown, "| student | 0.9375 | 0.93 | 0.003 | 12 | 77 | 12345 | 42.5 |"))
      << result.markdown;
  EXPECT_TRUE(contains(result.markdown, "Report: " + result.path.string()));
  // Which design the LUT and latency columns describe, with hls4ml's beside it.
  const std::string designs =
      "LUT and latency: the estimate of hlslim's own HLS project (hlslim io_parallel). hls4ml's "
      "design of 'student' (hls4ml io_parallel): 13002 LUT, 47.5 ns (06-export/estimates.json).";
  EXPECT_TRUE(contains(result.markdown, "\n" + designs + "\n")) << result.markdown;
  EXPECT_TRUE(contains(html, xml_escape(designs)));
}

TEST(Report, OutputPathCanBeChosen) {
  const fs::path dir = complete_run("output");
  const fs::path out = dir / "elsewhere" / "r.html";
  EXPECT_EQ(write_report(dir, out).path, out);
  EXPECT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir / "report"));
}

TEST(Report, PartialRunShowsWhatExists) {
  const fs::path dir = fresh_dir("partial");
  json manifest = {{"hlslim_version", "1"}, {"git_commit", "x"}, {"status", "failed"}};
  json failed = stage_record("teacher", "train", "02-teacher", "failed");
  failed["error"] = "stage 'teacher' failed: out of <memory>";
  manifest["stages"] = {stage_record("data", "data", "01-data"), failed};
  write(dir / "manifest.json", manifest.dump());
  write(dir / "01-data/metrics.json", "{}");
  const ReportResult result = write_report(dir);
  const std::string html = read_file(result.path);
  EXPECT_TRUE(contains(html, "status-failed"));
  EXPECT_TRUE(contains(html, "out of &lt;memory&gt;"));
  EXPECT_TRUE(contains(html, "No stage of this run has test figures or models yet."));
  EXPECT_TRUE(contains(html, "No turn-on curves"));
  EXPECT_TRUE(contains(html, "config.yaml: missing"));
  EXPECT_TRUE(contains(result.markdown, "Report: "));
}

TEST(Report, DamagedStageFilesBecomeVisibleNotes) {
  const fs::path dir = complete_run("damaged");
  write(dir / "03-teacher/metrics.json", "{\"model\": ");
  write(dir / "03-teacher/history.jsonl", "{\"epoch\":1,\"loss\":0.9}\nnot json\n");
  write(dir / "06-export/state/student.hlsm", "garbage");
  fs::remove(dir / "04-quantize/results.json");
  const ReportResult result = write_report(dir);
  EXPECT_EQ(result.notes, 4u);
  const std::string html = read_file(result.path);
  EXPECT_TRUE(contains(html, "<section id=\"notes\">"));
  EXPECT_TRUE(contains(html, "03-teacher/metrics.json: not valid JSON"));
  EXPECT_TRUE(contains(html, "03-teacher/history.jsonl: line 2 is not a JSON object"));
  EXPECT_TRUE(contains(html, "06-export/state/student.hlsm"));
  EXPECT_TRUE(contains(html,
                       "04-quantize/results.json: missing although the stage completed (an "
                       "older hlslim ran it): its figures are left out; run the stage "
                       "again"));
  EXPECT_TRUE(contains(html, value_attr("student", "pt_spread", 0.9375)));  // the rest is there
}

TEST(Report, TheEstimatesLineNamesTheDesignOfEachModel) {
  // An io_stream export: the exported student's figures are of the streaming project, the
  // teacher's (estimated by the report) of the io_parallel one.
  const fs::path dir = complete_run("designs");
  write(dir / "06-export/estimates.json",
        json{{"design", "hlslim io_stream"},
             {"hls4ml",
              {{"design", "hls4ml io_stream"}, {"total", {{"lut", 9000}, {"latency_ns", 60}}}}}}
            .dump());
  const RunSummary summary = summarize(load_run(dir));
  EXPECT_TRUE(contains(markdown_summary(summary, dir / "report/index.html"),
                       "\nLUT and latency: the estimate of hlslim's own HLS project (hlslim "
                       "io_parallel for 'teacher'; hlslim io_stream for 'student'). hls4ml's "
                       "design of 'student' (hls4ml io_stream): 9000 LUT, 60 ns "
                       "(06-export/estimates.json).\n"))
      << markdown_summary(summary, dir / "report/index.html");
  // An unreadable estimates.json leaves the design to the default and hls4ml's unknown.
  write(dir / "06-export/estimates.json", "{not json");
  const std::string md = markdown_summary(summarize(load_run(dir)), dir / "report/index.html");
  EXPECT_TRUE(contains(md,
                       "\nLUT and latency: the estimate of hlslim's own HLS project (hlslim "
                       "io_parallel).\n"))
      << md;
}

TEST(Report, EachExportedModelKeepsTheEstimatesOfItsOwnExport) {
  // A second export stage exports the teacher as io_stream after the student's export: each
  // model's figures come from its own export, none is re-estimated as io_parallel.
  const fs::path dir = complete_run("two_exports");
  json manifest = json::parse(read_file(dir / "manifest.json"));
  manifest["stages"].push_back(stage_record("export_teacher", "export", "07-export_teacher"));
  write(dir / "manifest.json", manifest.dump(2));
  EstimateTotals totals;
  totals.model = "teacher";
  totals.part = HlsProjectOptions{}.part;
  totals.clock_period_ns = HlsProjectOptions{}.clock_period_ns;
  totals.lut = 555;
  totals.multiplies = 3;
  totals.latency_cycles = 30;
  totals.latency_ns = 75;
  write_results(dir / "07-export_teacher", {{}, {}, totals, {}, {}});
  write(dir / "07-export_teacher/estimates.json",
        json{{"design", "hlslim io_stream"},
             {"hls4ml",
              {{"design", "hls4ml io_stream"}, {"total", {{"lut", 600}, {"latency_ns", 80}}}}}}
            .dump());
  const RunSummary summary = summarize(load_run(dir));
  std::map<std::string, const Compression*> by_model;
  for (const Compression& c : summary.compression) by_model[c.model] = &c;
  ASSERT_EQ(by_model.count("teacher"), 1u);
  ASSERT_EQ(by_model.count("student"), 1u);
  EXPECT_EQ(by_model["teacher"]->lut, 555);
  EXPECT_EQ(by_model["teacher"]->latency_ns, 75);
  EXPECT_EQ(by_model["teacher"]->source, "07-export_teacher/results.json: estimates");
  EXPECT_EQ(by_model["teacher"]->design, "hlslim io_stream");
  EXPECT_EQ(by_model["student"]->lut, 12345);
  EXPECT_EQ(by_model["student"]->source, "06-export/results.json: estimates");
  EXPECT_EQ(by_model["student"]->design, "hlslim io_parallel");
}

TEST(Report, CompressionPastItsWarningOpensTheReportAndTheSummary) {
  const fs::path dir = complete_run("degraded");
  json quantize = json::parse(read_file(dir / "04-quantize/metrics.json"));
  StageResults results{
      {evaluation("teacher", ModelRole::kModel, quantize["test"])}, {}, {}, {}, {}};
  results.degradation =
      DegradationResult{"teacher", "pt_spread", 0.875, 1.125, 0.25 / 0.875, 0.1, true};
  write_results(dir / "04-quantize", results);
  const std::string expected =
      "stage &#39;quantize&#39; made &#39;teacher&#39; worse: validation pt_spread 0.875 -&gt; "
      "1.125 (+28.6 %, "
      "warning above 10 %)";
  const std::string html = read_file(write_report(dir).path);
  EXPECT_TRUE(contains(html,
                       "<section id=\"degraded\"><h2>Compression made a model worse</h2>"
                       "<p class=\"alarm\" data-stage=\"quantize\">" +
                           expected + "</p>"))
      << html.substr(0, 4000);
  EXPECT_LT(html.find("id=\"degraded\""), html.find("id=\"summary\""));
  const RunSummary summary = summarize(load_run(dir));
  EXPECT_TRUE(contains(markdown_summary(summary, dir / "report/index.html"),
                       "\nWARNING: stage 'quantize' made 'teacher' worse: validation pt_spread "
                       "0.875 -> 1.125 (+28.6 %, warning above 10 %)\n"));

  // Within its limit, or without a guard at all, there is no such section.
  results.degradation->exceeded = false;
  write_results(dir / "04-quantize", results);
  EXPECT_FALSE(contains(read_file(write_report(dir).path), "id=\"degraded\""));
}

// A manifest is data, not a list of files to show: whatever it names outside the run
// directory (an absolute path, "..") is neither read nor embedded.
TEST(Report, ReadsNothingOutsideTheRunDirectory) {
  const fs::path dir = complete_run("outside");
  const fs::path secret = dir.parent_path() / "secret.txt";
  write(secret, "TOP-SECRET-TEXT");
  write(dir.parent_path() / "elsewhere" / "metrics.json",
        json{{"model", "teacher"}, {"test", trigger_figures(0.123, 0.5, 0.5)}}.dump());
  write_results(dir.parent_path() / "elsewhere",
                {{evaluation("teacher", ModelRole::kModel, trigger_figures(0.123, 0.5, 0.5))},
                 {},
                 {},
                 {},
                 {}});
  for (const std::string& config : {secret.string(), std::string("../secret.txt")}) {
    json manifest = json::parse(read_file(dir / "manifest.json"));
    manifest["config"] = config;
    manifest["stages"][2]["dir"] = "../elsewhere";
    write(dir / "manifest.json", manifest.dump(2));
    const ReportResult result = write_report(dir);
    const std::string html = read_file(result.path);
    EXPECT_FALSE(contains(html, "TOP-SECRET-TEXT")) << config;
    EXPECT_FALSE(contains(html, value_attr("teacher", "pt_spread", 0.123))) << config;
    EXPECT_TRUE(contains(html, "manifest.json: its config &#39;" + config +
                                   "&#39; is outside the run directory; not read"))
        << config;
    EXPECT_TRUE(contains(html,
                         "manifest.json: stage &#39;teacher&#39; has its directory "
                         "&#39;../elsewhere&#39; outside the run directory; not read"));
  }
}

TEST(Report, ClassificationRunShowsItsFigures) {
  const fs::path dir = fresh_dir("classification");
  json manifest = {{"status", "completed"}};
  manifest["stages"] = {stage_record("train", "train", "01-train")};
  write(dir / "manifest.json", manifest.dump());
  write(dir / "config.yaml", "name: cls\n");
  write(dir / "01-train/metrics.json",
        json({{"model", "net"}, {"test", {{"roc_auc", 0.8125}, {"accuracy", 0.75}}}}).dump());
  write_results(dir / "01-train",
                {{evaluation("net", ModelRole::kModel, {{"roc_auc", 0.8125}, {"accuracy", 0.75}})},
                 {},
                 {},
                 {},
                 {}});
  const ReportResult result = write_report(dir);
  const std::string html = read_file(result.path);
  EXPECT_TRUE(contains(html, value_attr("net", "roc_auc", 0.8125)));
  EXPECT_TRUE(contains(html, "No turn-on curves"));
  EXPECT_TRUE(contains(html, "No residual histograms"));
  EXPECT_TRUE(contains(result.markdown, "| model | roc_auc | accuracy |"));
  EXPECT_TRUE(contains(result.markdown, "| net | 0.8125 | 0.75 |"));
}

// A null for NaN, as TriggerFigures::to_json() writes it.
json number_or_null(double value) {
  return std::isnan(value) ? json(nullptr) : json(value);
}

json efficiency_bins(const std::vector<std::pair<double, double>>& edges) {
  json bins = json::array();
  for (std::size_t i = 0; i < edges.size(); ++i) {
    bins.push_back({{"lo", edges[i].first},
                    {"hi", edges[i].second},
                    {"n", 16},
                    {"n_fired", 4 * i},
                    {"efficiency", 0.25 * static_cast<double>(i)},
                    {"error", 0.0625}});
  }
  return bins;
}

// A fit that converged at pt50 (width 1.75, plateau 0.975 +- 0.0125, chi2 3.5 / 2), or not
// (NaN pt50): then every value is null, as TurnOnFit::to_json() writes a failed fit.
json turn_on_fit(double pt50) {
  const bool converged = !std::isnan(pt50);
  const double v = converged ? 1.0 : std::numeric_limits<double>::quiet_NaN();
  return {{"pt50", number_or_null(pt50)},
          {"pt50_error", number_or_null(0.125 * v)},
          {"pt90", number_or_null(pt50 + 2.25)},
          {"pt90_error", number_or_null(0.25 * v)},
          {"width", number_or_null(1.75 * v)},
          {"width_error", number_or_null(0.0625 * v)},
          {"plateau", number_or_null(0.975 * v)},
          {"plateau_error", number_or_null(0.0125 * v)},
          {"chi2", converged ? json(3.5) : json(9.5)},
          {"ndf", 2},
          {"converged", converged}};
}

json threshold_figures(double threshold, double pt50, double rate, double rate_error) {
  return {{"threshold_gev", threshold},
          {"turn_on", efficiency_bins({{threshold - 10, threshold - 5},
                                       {threshold - 5, threshold},
                                       {threshold, threshold + 5},
                                       {threshold + 5, threshold + 10}})},
          {"fit", turn_on_fit(pt50)},
          {"plateau_eff", 0.9375},
          {"n_plateau", 64},
          {"fake_rate", 0.03125},
          {"eff_vs_eta", efficiency_bins({{0.0, 0.5}, {0.5, 1.0}})},
          {"eff_vs_hits", efficiency_bins({{3, 3}, {4, 4}, {5, 5}})},
          {"rate",
           {{"rate_khz", number_or_null(rate)},
            {"rate_error_khz", number_or_null(rate_error)},
            {"muon_khz", number_or_null(0.75 * rate)},
            {"noise_khz", number_or_null(0.25 * rate)},
            {"weighted_efficiency", 0.5}}}};
}

json resolution_bins(double sigma) {
  json bins = json::array();
  for (int i = 0; i < 3; ++i) {
    bins.push_back({{"lo", 5.0 * (i + 1)},
                    {"hi", 5.0 * (i + 2)},
                    {"n", 100},
                    {"mean", 0.0},
                    {"rms", 1.5 * sigma},
                    {"core_mean", 0.0},
                    {"core_mean_error", 0.01},
                    {"core_sigma", sigma * (1 + 0.25 * i)},
                    {"core_sigma_error", 0.0125},
                    {"converged", true}});
  }
  return bins;
}

// distributions["trigger"] of a model, as TriggerFigures::to_json() writes it, at thresholds
// 10 and 20 GeV: the fit at 20 GeV fails when pt50_20 is NaN, and NaN rates are null.
json trigger_distribution(double rate10, double rate20, double pt50_20) {
  const json core = {{"n", 300},
                     {"mean", 0.0},
                     {"rms", 0.375},
                     {"core_mean", 0.0},
                     {"core_mean_error", 0.01},
                     {"core_sigma", 0.25},
                     {"core_sigma_error", 0.0125},
                     {"converged", true}};
  return {{"thresholds",
           {threshold_figures(10, 10.25, rate10, 0.05 * rate10),
            threshold_figures(20, pt50_20, rate20, 0.05 * rate20)}},
          {"resolution",
           {{"pt", resolution_bins(0.25)},
            {"eta", resolution_bins(0.02)},
            {"pt_core", core},
            {"eta_core", core}}}};
}

// `figures` with its trigger distribution.
json with_trigger(json figures, json trigger) {
  figures["trigger"] = std::move(trigger);
  return figures;
}

// The complete run with trigger figures in the reference and distill stages' results.json.
fs::path trigger_run(const std::string& name, bool with_settings) {
  const fs::path dir = complete_run(name);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  write_results(dir / "02-reference",
                {{evaluation("classical", ModelRole::kReference,
                             with_trigger(trigger_figures(1.25, 0.9, 0.001),
                                          trigger_distribution(3, 1.5, 20.5)))},
                 {},
                 {},
                 {},
                 {}});
  write_results(dir / "05-distill", {{evaluation("teacher", ModelRole::kTeacher,
                                                 with_trigger(trigger_figures(0.8875, 0.94, 0.002),
                                                              trigger_distribution(40, 20, 20.25))),
                                      evaluation("student", ModelRole::kStudent,
                                                 with_trigger(trigger_figures(0.9375, 0.93, 0.003),
                                                              trigger_distribution(250, nan, nan))),
                                      evaluation("student", ModelRole::kBaseline,
                                                 with_trigger(trigger_figures(1.0625, 0.91, 0.004),
                                                              trigger_distribution(60, 30, 21.0)))},
                                     {},
                                     {},
                                     {},
                                     {}});
  if (with_settings) {
    RunEvaluation evaluation;
    evaluation.settings = {{"thresholds", {10, 20}},      {"turn_on_bin_width", 5.0},
                           {"resolution_bin_width", 5.0}, {"eta_bin_width", 0.5},
                           {"plateau_offset", 5.0},       {"crossing_rate_mhz", 40.0},
                           {"muons_per_crossing", 0.01},  {"spectrum_index", 4.0}};
    write(dir / "evaluation.json", evaluation.to_json().dump(2));
  }
  return dir;
}

// The <svg> element with id `id` (empty when there is none).
std::string svg_with_id(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const std::size_t begin = html.rfind("<svg", at);
  const std::size_t end = html.find("</svg>", at);
  return html.substr(begin, end + 6 - begin);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

TEST(Report, TriggerFiguresShowTurnOnsFitsResolutionAndRates) {
  const fs::path dir = trigger_run("trigger", true);
  const ReportResult result = write_report(dir);
  EXPECT_EQ(result.notes, 0u);
  const std::string html = read_file(result.path);
  EXPECT_TRUE(contains(html, "<section id=\"trigger\"><h2>Trigger figures</h2>"));
  EXPECT_TRUE(contains(html, "<a href=\"#trigger\">Trigger figures</a>"));
  EXPECT_LT(html.find("<section id=\"residuals\">"), html.find("<section id=\"trigger\">"));

  // One turn-on chart per threshold, each with every model; the fit is drawn where it converged.
  EXPECT_EQ(count(html, "id=\"trigger-turn-on-thr"), 2u);
  const std::string thr10 = svg_with_id(html, "trigger-turn-on-thr10");
  const std::string thr20 = svg_with_id(html, "trigger-turn-on-thr20");
  ASSERT_FALSE(thr10.empty());
  ASSERT_FALSE(thr20.empty());
  EXPECT_TRUE(contains(thr10, "threshold 10 GeV"));
  EXPECT_TRUE(contains(thr20, "threshold 20 GeV"));
  const std::string student_fit = "<polyline fill=\"none\" stroke=\"" + role_color(Role::student);
  const std::string classical_fit =
      "<polyline fill=\"none\" stroke=\"" + role_color(Role::classical);
  EXPECT_EQ(count(thr10, student_fit), 1u);
  EXPECT_EQ(count(thr10, classical_fit), 1u);
  EXPECT_EQ(count(thr20, student_fit), 0u);  // not converged: no curve
  EXPECT_EQ(count(thr20, classical_fit), 1u);
  for (const char* label : {"classical reference", "teacher", "student", "student baseline"}) {
    EXPECT_TRUE(contains(thr20, std::string(">") + label + "</text>")) << label;  // legend
  }

  // The table: values with their errors, n/a for what a failed fit or a null rate lacks.
  const std::string swatch =
      "<td><span class=\"swatch\" style=\"background:" + role_color(Role::student) + "\"></span>";
  EXPECT_TRUE(contains(html, "<tr>" + swatch +
                                 "student</td><td class=\"num\">10</td>"
                                 "<td class=\"num\">10.25 \u00b1 0.125</td>"
                                 "<td class=\"num\">12.5 \u00b1 0.25</td>"
                                 "<td class=\"num\">1.75 \u00b1 0.0625</td>"
                                 "<td class=\"num\">0.975 \u00b1 0.0125</td>"
                                 "<td class=\"num\">3.5 / 2</td>"
                                 "<td class=\"num\">0.9375</td>"
                                 "<td class=\"num\">0.03125</td>"
                                 "<td class=\"num\">250 \u00b1 12.5</td></tr>"))
      << html;
  EXPECT_TRUE(contains(html, "<tr>" + swatch +
                                 "student</td><td class=\"num\">20</td>"
                                 "<td class=\"num\">n/a</td><td class=\"num\">n/a</td>"
                                 "<td class=\"num\">n/a</td><td class=\"num\">n/a</td>"
                                 "<td>not converged</td>"
                                 "<td class=\"num\">0.9375</td>"
                                 "<td class=\"num\">0.03125</td>"
                                 "<td class=\"num\">n/a</td></tr>"));
  EXPECT_TRUE(contains(html,
                       "student baseline</td><td class=\"num\">20</td>"
                       "<td class=\"num\">21 \u00b1 0.125</td>"));

  // Resolution against true pT (pT and eta), efficiency against eta and hits.
  const std::string resolution = svg_with_id(html, "trigger-resolution-pt");
  EXPECT_TRUE(contains(resolution, "stroke-dasharray=\"6 4\""));  // the RMS
  EXPECT_TRUE(contains(resolution, "core \u03c3 0.25 \u00b1 0.0125, RMS 0.375"));
  EXPECT_TRUE(contains(html, "id=\"trigger-resolution-eta\""));
  EXPECT_TRUE(contains(html, "<td class=\"num\">0.25 \u00b1 0.0125</td>"));
  EXPECT_TRUE(contains(html, "id=\"trigger-eff-eta\""));
  EXPECT_TRUE(contains(svg_with_id(html, "trigger-eff-hits"), "muon hits = 4"));

  // Rates on a log axis (1 to 1000 kHz: decade ticks only), and against the plateau efficiency
  // with each point labelled by its threshold.
  const std::string rate = svg_with_id(html, "trigger-rate");
  for (const char* tick : {">1</text>", ">10</text>", ">100</text>", ">1000</text>"}) {
    EXPECT_TRUE(contains(rate, std::string("text-anchor=\"end\"") + tick)) << tick;
  }
  EXPECT_FALSE(contains(rate, "text-anchor=\"end\">50</text>"));
  EXPECT_TRUE(contains(rate, "trigger rate [kHz] (log scale)"));
  EXPECT_TRUE(contains(svg_with_id(html, "trigger-rate-vs-efficiency"), ">20 GeV</text>"));
  EXPECT_TRUE(contains(html,
                       "<p class=\"caption\" id=\"trigger-rate-assumptions\">Rates of a toy: "
                       "compare models, not absolute values. The rate model "
                       "(<code>docs/trigger-figures.md</code>) assumes 40 MHz bunch crossings, "
                       "a mean of 0.01 muons per crossing in the simulated pT range in the "
                       "trigger's sector (Poisson), muon pT reweighted from the flat "
                       "simulated spectrum to dN/dpT \u221d pT<sup>\u22124</sup>"));
}

TEST(Report, TriggerFiguresWithoutSettingsSayTheRateModelIsNotRecorded) {
  const std::string html = read_file(write_report(trigger_run("trigger-old", false)).path);
  EXPECT_TRUE(contains(html, "<section id=\"trigger\">"));
  EXPECT_TRUE(contains(html, "this run records no evaluation settings"));
  EXPECT_TRUE(contains(html, "Rates of a toy: compare models, not absolute values."));
}

TEST(Report, RunsWithoutTriggerFiguresHaveNoTriggerSection) {
  const std::string html = read_file(write_report(complete_run("no-trigger")).path);
  EXPECT_FALSE(contains(html, "id=\"trigger\""));
  EXPECT_FALSE(contains(html, "href=\"#trigger\""));
  EXPECT_FALSE(contains(html, "trigger-rate-assumptions"));
}

template <typename F>
std::pair<std::string, int> failure_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.what(), e.exit_code()};
  }
  return {"no error", 0};
}

TEST(Report, WhatIsNoRunDirectoryFailsNamingTheFile) {
  const fs::path dir = fresh_dir("errors");
  EXPECT_EQ(failure_of([&] { write_report(dir / "missing"); }),
            std::make_pair((dir / "missing").string() + ": not a directory", int(kExitRunDir)));
  EXPECT_EQ(
      failure_of([&] { write_report(dir); }),
      std::make_pair(dir.string() + ": not a run directory (no manifest.json)", int(kExitRunDir)));
  write(dir / "manifest.json", "{\"stages\": [");
  const auto [message, code] = failure_of([&] { write_report(dir); });
  EXPECT_EQ(message.rfind((dir / "manifest.json").string() + ": not valid JSON: ", 0), 0u)
      << message;
  EXPECT_EQ(code, kExitRuntime);
  write(dir / "manifest.json", "{\"status\": \"completed\"}");
  EXPECT_EQ(failure_of([&] { write_report(dir); }).first,
            (dir / "manifest.json").string() + ": not an hlslim manifest (no \"stages\" list)");
  EXPECT_FALSE(fs::exists(dir / "report"));
}

}  // namespace
}  // namespace hlslim::report
