#include "hlslim/data/trigger_figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include "figure_math.hpp"
#include "hlslim/data/error.hpp"

namespace hlslim::data {

using namespace figure_math;

namespace {

void check_edges(const std::vector<double>& edges, const char* what) {
  if (edges.size() < 2 || !std::is_sorted(edges.begin(), edges.end()) ||
      std::adjacent_find(edges.begin(), edges.end()) != edges.end()) {
    throw DataError(std::string("trigger figures: ") + what +
                    " edges must be at least two strictly ascending values");
  }
}

// The bin of `value` over `edges` ([lo, hi), the last bin [lo, hi]); edges.size() outside.
std::size_t bin_of(const std::vector<double>& edges, double value) {
  if (!(value >= edges.front() && value <= edges.back())) return edges.size();
  const auto upper = std::upper_bound(edges.begin(), edges.end(), value);
  return std::min<std::size_t>(static_cast<std::size_t>(upper - edges.begin()) - 1,
                               edges.size() - 2);
}

std::vector<TurnOnBin> empty_bins(const std::vector<double>& edges) {
  std::vector<TurnOnBin> bins;
  for (std::size_t i = 1; i < edges.size(); ++i) bins.push_back({edges[i - 1], edges[i]});
  return bins;
}

// Efficiency and binomial standard error, as compute_trigger_metrics() gives them.
void finish_bins(std::vector<TurnOnBin>& bins) {
  for (TurnOnBin& bin : bins) {
    bin.efficiency = ratio(bin.n_fired, bin.n);
    bin.error =
        bin.n == 0
            ? kNaN
            : std::sqrt(bin.efficiency * (1.0 - bin.efficiency) / static_cast<double>(bin.n));
  }
}

nlohmann::json bins_json(const std::vector<TurnOnBin>& bins) {
  nlohmann::json out = nlohmann::json::array();
  for (const TurnOnBin& bin : bins) {
    out.push_back({{"lo", bin.lo},
                   {"hi", bin.hi},
                   {"n", bin.n},
                   {"n_fired", bin.n_fired},
                   {"efficiency", number_or_null(bin.efficiency)},
                   {"error", number_or_null(bin.error)}});
  }
  return out;
}

nlohmann::json resolution_json(const std::vector<ResolutionBin>& bins) {
  nlohmann::json out = nlohmann::json::array();
  for (const ResolutionBin& bin : bins) out.push_back(bin.to_json());
  return out;
}

RateFigure compute_rate(const TriggerInputs& inputs, double threshold, const RateOptions& options) {
  RateFigure rate;
  rate.rate_khz = rate.rate_error_khz = rate.muon_khz = rate.noise_khz = kNaN;
  rate.weighted_efficiency = kNaN;
  if (!std::isfinite(options.crossing_rate_mhz)) return rate;  // no rate model
  // Reweighting the flat simulated spectrum to pT^-k; muons without a positive pT have none.
  std::vector<double> weights(inputs.pt_true.size(), 0.0);
  double sum = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double pt = inputs.pt_true[i];
    if (pt > 0.0 && std::isfinite(pt)) weights[i] = std::pow(pt, -options.spectrum_index);
    sum += weights[i];
  }
  const std::size_t n_noise = inputs.noise_pt_pred.size();
  if (!(sum > 0.0) || !std::isfinite(sum) || n_noise == 0) return rate;
  const double mean = sum / static_cast<double>(weights.size());
  double fired_sum = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    weights[i] /= mean;
    if (fires(inputs.pt_pred[i], threshold)) fired_sum += weights[i];
  }
  const double total = static_cast<double>(weights.size());  // the sum of the weights now
  const double eff = fired_sum / total;
  double eff_variance = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double deviation = (fires(inputs.pt_pred[i], threshold) ? 1.0 : 0.0) - eff;
    eff_variance += weights[i] * weights[i] * deviation * deviation;
  }
  eff_variance /= total * total;
  std::size_t fakes = 0;
  for (float prediction : inputs.noise_pt_pred) fakes += fires(prediction, threshold);
  const double fake = ratio(fakes, n_noise);
  const double fake_variance =
      beta_variance(static_cast<double>(fakes), static_cast<double>(n_noise));

  const double p_muon = -std::expm1(-options.muons_per_crossing);
  const double p_noise = std::exp(-options.muons_per_crossing);
  const double crossing_khz = options.crossing_rate_mhz * 1000.0;
  rate.weighted_efficiency = eff;
  rate.muon_khz = crossing_khz * p_muon * eff;
  rate.noise_khz = crossing_khz * p_noise * fake;
  rate.rate_khz = rate.muon_khz + rate.noise_khz;
  rate.rate_error_khz =
      crossing_khz * std::sqrt(p_muon * p_muon * eff_variance + p_noise * p_noise * fake_variance);
  return rate;
}

ThresholdFigures threshold_figures(const TriggerInputs& inputs, const FigureOptions& options,
                                   double threshold) {
  ThresholdFigures t;
  t.threshold_gev = threshold;
  t.turn_on = empty_bins(options.turn_on_edges);
  const bool has_eta = !inputs.eta_true.empty();
  const bool has_hits = !inputs.n_hits.empty();
  if (has_eta) t.eff_vs_eta = empty_bins(options.eta_edges);
  if (has_hits) {
    for (std::size_t count = 0; count <= options.max_hits; ++count) {
      t.eff_vs_hits.push_back({static_cast<double>(count), static_cast<double>(count)});
    }
  }
  const double plateau_min = threshold + options.plateau_offset_gev;
  std::size_t plateau_fired = 0;
  for (std::size_t i = 0; i < inputs.pt_true.size(); ++i) {
    const double truth = inputs.pt_true[i];
    const bool fired = fires(inputs.pt_pred[i], threshold);
    const std::size_t bin = bin_of(options.turn_on_edges, truth);
    if (bin < t.turn_on.size()) {
      ++t.turn_on[bin].n;
      t.turn_on[bin].n_fired += fired;
    }
    if (!(truth >= plateau_min)) continue;
    ++t.n_plateau;
    plateau_fired += fired;
    if (has_eta) {
      const std::size_t eta_bin = bin_of(options.eta_edges, inputs.eta_true[i]);
      if (eta_bin < t.eff_vs_eta.size()) {
        ++t.eff_vs_eta[eta_bin].n;
        t.eff_vs_eta[eta_bin].n_fired += fired;
      }
    }
    if (has_hits && inputs.n_hits[i] >= 0.0f) {  // NaN and negative counts go nowhere
      const auto count = static_cast<std::size_t>(
          std::min<double>(std::round(inputs.n_hits[i]), static_cast<double>(options.max_hits)));
      ++t.eff_vs_hits[count].n;
      t.eff_vs_hits[count].n_fired += fired;
    }
  }
  finish_bins(t.turn_on);
  finish_bins(t.eff_vs_eta);
  finish_bins(t.eff_vs_hits);
  t.fit = fit_turn_on(t.turn_on);
  t.plateau_eff = ratio(plateau_fired, t.n_plateau);
  std::size_t fakes = 0;
  for (float prediction : inputs.noise_pt_pred) fakes += fires(prediction, threshold);
  t.fake_rate = ratio(fakes, inputs.noise_pt_pred.size());
  t.rate = compute_rate(inputs, threshold, options.rate);
  return t;
}

// A CoreFit of `residual(i)` per bin of true pT (muons outside every bin skipped).
template <typename Residual>
std::vector<ResolutionBin> resolution(const TriggerInputs& inputs, const std::vector<double>& edges,
                                      Residual residual) {
  std::vector<std::vector<double>> values(edges.size() - 1);
  for (std::size_t i = 0; i < inputs.pt_true.size(); ++i) {
    const std::size_t bin = bin_of(edges, inputs.pt_true[i]);
    if (bin < values.size()) values[bin].push_back(residual(i));
  }
  std::vector<ResolutionBin> bins;
  for (std::size_t b = 0; b < values.size(); ++b) {
    bins.push_back({edges[b], edges[b + 1], fit_core(values[b])});
  }
  return bins;
}

}  // namespace

TriggerFigures compute_trigger_figures(const TriggerInputs& inputs, const FigureOptions& options) {
  const std::size_t n = inputs.pt_true.size();
  if (inputs.pt_pred.size() != n) {
    throw DataError("trigger figures: " + std::to_string(inputs.pt_pred.size()) +
                    " pT predictions for " + std::to_string(n) + " muon events");
  }
  if (inputs.eta_pred.size() != inputs.eta_true.size() ||
      (!inputs.eta_true.empty() && inputs.eta_true.size() != n)) {
    throw DataError("trigger figures: " + std::to_string(inputs.eta_pred.size()) +
                    " eta predictions and " + std::to_string(inputs.eta_true.size()) +
                    " true eta values for " + std::to_string(n) + " muon events");
  }
  if (!inputs.n_hits.empty() && inputs.n_hits.size() != n) {
    throw DataError("trigger figures: " + std::to_string(inputs.n_hits.size()) +
                    " hit counts for " + std::to_string(n) + " muon events");
  }
  if (options.thresholds_gev.empty()) throw DataError("trigger figures: no threshold");
  check_edges(options.turn_on_edges, "turn-on");
  check_edges(options.resolution_edges, "resolution");
  check_edges(options.eta_edges, "eta");

  TriggerFigures figures;
  for (double threshold : options.thresholds_gev) {
    figures.thresholds.push_back(threshold_figures(inputs, options, threshold));
  }
  // Muons with pT_true == 0 have no relative residual: NaN, which fit_core skips.
  const auto pt_residual = [&](std::size_t i) {
    const double truth = inputs.pt_true[i];
    return truth == 0.0 ? kNaN : (static_cast<double>(inputs.pt_pred[i]) - truth) / truth;
  };
  const auto eta_residual = [&](std::size_t i) {
    return static_cast<double>(inputs.eta_pred[i]) - inputs.eta_true[i];
  };
  figures.pt_resolution = resolution(inputs, options.resolution_edges, pt_residual);
  std::vector<double> pt_all, eta_all;
  for (std::size_t i = 0; i < n; ++i) pt_all.push_back(pt_residual(i));
  figures.pt_core = fit_core(pt_all);
  if (!inputs.eta_true.empty()) {
    figures.eta_resolution = resolution(inputs, options.resolution_edges, eta_residual);
    for (std::size_t i = 0; i < n; ++i) eta_all.push_back(eta_residual(i));
  }
  figures.eta_core = fit_core(eta_all);
  return figures;
}

nlohmann::json ResolutionBin::to_json() const {
  nlohmann::json out = fit.to_json();
  out["lo"] = lo;
  out["hi"] = hi;
  return out;
}

nlohmann::json RateFigure::to_json() const {
  return {{"rate_khz", number_or_null(rate_khz)},
          {"rate_error_khz", number_or_null(rate_error_khz)},
          {"muon_khz", number_or_null(muon_khz)},
          {"noise_khz", number_or_null(noise_khz)},
          {"weighted_efficiency", number_or_null(weighted_efficiency)}};
}

nlohmann::json ThresholdFigures::to_json() const {
  return {{"threshold_gev", threshold_gev},
          {"turn_on", bins_json(turn_on)},
          {"fit", fit.to_json()},
          {"plateau_eff", number_or_null(plateau_eff)},
          {"n_plateau", n_plateau},
          {"fake_rate", number_or_null(fake_rate)},
          {"eff_vs_eta", bins_json(eff_vs_eta)},
          {"eff_vs_hits", bins_json(eff_vs_hits)},
          {"rate", rate.to_json()}};
}

nlohmann::json TriggerFigures::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const ThresholdFigures& t : thresholds) list.push_back(t.to_json());
  return {{"thresholds", list},
          {"resolution",
           {{"pt", resolution_json(pt_resolution)},
            {"eta", resolution_json(eta_resolution)},
            {"pt_core", pt_core.to_json()},
            {"eta_core", eta_core.to_json()}}}};
}

std::map<std::string, double> TriggerFigures::scalars() const {
  std::map<std::string, double> out = {{"pt_resolution", pt_core.core_sigma},
                                       {"eta_resolution", eta_core.core_sigma}};
  for (const ThresholdFigures& t : thresholds) {
    const std::string suffix = "_thr" + threshold_text(t.threshold_gev);
    out["pt50" + suffix] = t.fit.pt50;
    out["pt90" + suffix] = t.fit.pt90;
    out["width" + suffix] = t.fit.width;
    out["plateau" + suffix] = t.fit.plateau;
    out["plateau_eff" + suffix] = t.plateau_eff;
    out["fake_rate" + suffix] = t.fake_rate;
    out["rate_khz" + suffix] = t.rate.rate_khz;
    out["rate_error_khz" + suffix] = t.rate.rate_error_khz;
  }
  return out;
}

std::string threshold_text(double gev) {
  char text[64];
  if (std::abs(gev) < 1e15) {
    for (int decimals = 0; decimals <= 17; ++decimals) {
      std::snprintf(text, sizeof text, "%.*f", decimals, gev);
      if (std::strtod(text, nullptr) == gev) return text;
    }
  }
  std::snprintf(text, sizeof text, "%.17g", gev);
  return text;
}

}  // namespace hlslim::data
