#include "evaluate_run.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "hlslim/data/error.hpp"
#include "hlslim/data/metrics.hpp"
#include "hlslim/data/npy.hpp"
#include "hlslim/data/trigger_figures.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"
#include "stage_results.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using data::MetricsOptions;

data::MetricsOptions metrics_options(const EvaluationSettings& settings, const Dataset& dataset) {
  MetricsOptions options;
  options.threshold_gev = settings.threshold();
  options.plateau_min_gev = settings.threshold() + settings.plateau_offset;
  options.turn_on_edges = MetricsOptions::uniform_edges(
      dataset.geometry.pt_min_gev, dataset.geometry.pt_max_gev, settings.turn_on_bin_width);
  return options;
}

// The largest number of muon hits (lit strips, the n_hits label) among `indices`; 0 without
// the label.
std::size_t max_hits(const Dataset& dataset, const std::vector<std::size_t>& indices) {
  if (!dataset.events.has_label("n_hits")) return 0;
  float most = 0;
  for (float hits : dataset.events.label_column("n_hits", indices)) {
    if (std::isfinite(hits)) most = std::max(most, hits);
  }
  return static_cast<std::size_t>(std::lround(most));
}

data::FigureOptions figure_options(const EvaluationSettings& settings, const Dataset& dataset,
                                   const std::vector<std::size_t>& indices) {
  const data::SimulationParams& g = dataset.geometry;
  data::FigureOptions options;
  options.thresholds_gev = settings.thresholds;
  options.turn_on_edges =
      MetricsOptions::uniform_edges(g.pt_min_gev, g.pt_max_gev, settings.turn_on_bin_width);
  options.resolution_edges =
      MetricsOptions::uniform_edges(g.pt_min_gev, g.pt_max_gev, settings.resolution_bin_width);
  options.eta_edges = MetricsOptions::uniform_edges(g.eta_min, g.eta_max, settings.eta_bin_width);
  options.plateau_offset_gev = settings.plateau_offset;
  options.max_hits = max_hits(dataset, indices);
  // The rate model reweights the simulation's flat pT spectrum; the spectrum of events read
  // from files is unknown, so they get no rate.
  options.rate.crossing_rate_mhz =
      dataset.simulated ? settings.crossing_rate_mhz : std::numeric_limits<double>::quiet_NaN();
  options.rate.muons_per_crossing = settings.muons_per_crossing;
  options.rate.spectrum_index = settings.spectrum_index;
  return options;
}

nlohmann::json settings_json(const EvaluationSettings& s) {
  return {{"thresholds", s.thresholds},
          {"turn_on_bin_width", s.turn_on_bin_width},
          {"resolution_bin_width", s.resolution_bin_width},
          {"eta_bin_width", s.eta_bin_width},
          {"plateau_offset", s.plateau_offset},
          {"crossing_rate_mhz", s.crossing_rate_mhz},
          {"muons_per_crossing", s.muons_per_crossing},
          {"spectrum_index", s.spectrum_index}};
}

// One evaluation recomputed from its predictions file.
Evaluation reevaluate(const Evaluation& stored, const fs::path& file, const std::string& where,
                      const std::vector<std::size_t>& indices, const Dataset& dataset,
                      const MetricsOptions& metrics, const data::FigureOptions& figures) {
  data::NpyArray array;
  try {
    array = data::read_npy(file.string());
  } catch (const data::DataError& e) {
    throw FileFormatError(std::string(e.what()) + " (the test predictions of " + where + ")");
  }
  if (array.shape.size() != 2 || array.shape[0] != indices.size() || array.shape[1] != 2) {
    std::string shape;
    for (std::size_t d : array.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
    throw FileFormatError("'" + file.string() + "': test predictions of shape " + shape +
                          ", but the dataset has " + std::to_string(indices.size()) +
                          " test and noise-only events (expected " +
                          std::to_string(indices.size()) + " x 2)");
  }
  std::vector<float> pt(indices.size()), eta(indices.size());
  bool has_eta = false;
  for (std::size_t i = 0; i < indices.size(); ++i) {
    pt[i] = array.data[2 * i];
    eta[i] = array.data[2 * i + 1];
    has_eta = has_eta || !std::isnan(eta[i]);
  }
  if (!has_eta) eta.clear();
  Evaluation out;
  try {
    const data::TriggerInputs inputs = data::make_trigger_inputs(dataset.events, indices, pt, eta);
    nlohmann::json values = data::compute_trigger_metrics(inputs, metrics).to_json();
    const data::TriggerFigures trigger = data::compute_trigger_figures(inputs, figures);
    // make_evaluation() takes every number, NaN included, as a figure.
    for (const auto& [name, value] : trigger.scalars()) values[name] = value;
    // The first threshold's figures also go by their plain names, as the figures of merit do.
    if (!trigger.thresholds.empty()) {
      const data::ThresholdFigures& first = trigger.thresholds.front();
      values["pt50"] = first.fit.pt50;
      values["pt90"] = first.fit.pt90;
      values["turn_on_width"] = first.fit.width;
      values["rate_khz"] = first.rate.rate_khz;
      values["rate_error_khz"] = first.rate.rate_error_khz;
    }
    values["trigger"] = trigger.to_json();
    out = make_evaluation(stored.model, stored.role, stored.fixed_point, values);
  } catch (const data::DataError& e) {
    throw Error("cannot evaluate " + where + ": " + e.what());
  }
  out.predictions = stored.predictions;
  return out;
}

}  // namespace

RunEvaluation evaluate_run(const fs::path& run_dir, const Manifest& manifest,
                           const EvaluationSettings& settings, const Dataset& dataset) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::size_t> indices = dataset.split.test;
  indices.insert(indices.end(), dataset.split.noise.begin(), dataset.split.noise.end());
  const MetricsOptions metrics = metrics_options(settings, dataset);
  const data::FigureOptions figures = figure_options(settings, dataset, dataset.split.test);
  for (double threshold : settings.thresholds) {
    if (dataset.simulated && threshold + settings.plateau_offset >= dataset.geometry.pt_max_gev) {
      spdlog::warn(
          "threshold {} GeV: its plateau (true pT >= {} GeV) lies above the generated pT range "
          "(up to {} GeV), so its plateau_eff and efficiencies against eta and hits are null; "
          "lower evaluation.plateau_offset or generate higher pT",
          threshold, threshold + settings.plateau_offset, dataset.geometry.pt_max_gev);
    }
  }
  if (!dataset.simulated) {
    spdlog::info(
        "the events come from files: no trigger rates (the rate model reweights the "
        "simulation's flat pT spectrum, docs/trigger-figures.md)");
  }

  RunEvaluation evaluation;
  evaluation.settings = settings_json(settings);
  std::size_t models = 0;
  for (const StageRecord& record : manifest.stages) {
    if (record.status != StageStatus::kCompleted) continue;
    const fs::path dir = run_dir / record.dir;
    const auto results = StageResults::load(dir, record.dir + "/results.json");
    if (!results) continue;
    RunEvaluation::Stage stage;
    stage.fingerprint = record.fingerprint;
    for (const Evaluation& e : results->evaluations) {
      if (e.predictions.empty()) continue;
      const std::string where =
          "'" + e.model + "' (" + model_role_name(e.role) + ") of stage '" + record.name + "'";
      // A model that cannot be evaluated keeps the figures its stage computed; the others go on.
      try {
        stage.evaluations.push_back(
            reevaluate(e, dir / e.predictions, where, indices, dataset, metrics, figures));
        ++models;
      } catch (const Error& error) {
        spdlog::warn("{}; the figures of {} are those its stage computed", error.what(), where);
      }
    }
    if (!stage.evaluations.empty()) evaluation.stages[record.dir] = std::move(stage);
  }
  write_file_atomic(
      run_dir / "evaluation.json",
      evaluation.to_json().dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> thresholds;
  for (double t : settings.thresholds) thresholds.push_back(data::threshold_text(t));
  spdlog::info("evaluated {} model(s) at threshold(s) {} GeV in {:.1f} s: evaluation.json", models,
               join(thresholds, ", "), seconds);
  return evaluation;
}

}  // namespace hlslim
