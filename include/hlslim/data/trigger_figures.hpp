#pragma once

// The figures a trigger physicist reads beyond the figures of merit (docs/trigger-figures.md):
// turn-on curves at several thresholds with fits, resolution against true pT, efficiency
// against eta and the number of hits, and trigger rates under a physical pT spectrum. All of
// them are computed from a model's predictions and the truth alone, so changing a threshold or
// a bin re-evaluates and never retrains.
#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hlslim/data/metrics.hpp"

namespace hlslim::data {

/// A fit with its uncertainties: parameter values, their standard errors (from the inverse of
/// the curvature of the chi-square at the minimum) and the goodness of fit.
struct FitResult {
  /// Parameter values at the minimum.
  std::vector<double> values;
  /// Standard errors of the values (sqrt of the covariance diagonal).
  std::vector<double> errors;
  /// Covariance matrix, row-major, values.size() squared entries: the inverse of J^T W J at
  /// the minimum, not scaled by chi2 / ndf (the sigmas are taken as the true errors).
  std::vector<double> covariance;
  /// Chi-square at the minimum (NaN when nothing was fitted).
  double chi2 = 0.0;
  /// Degrees of freedom: points used minus free parameters.
  int ndf = 0;
  /// The minimizer converged and the covariance is positive definite.
  bool converged = false;
};

/// Minimizes sum_i ((y_i - f(x_i, p)) / sigma_i)^2 over p by Levenberg-Marquardt, starting from
/// `start`, with the Jacobian by central differences (step 1e-6 max(1, |p|)); it stops when an
/// accepted step changes chi2 by less than 1e-10 relative or no damped step lowers it. Points
/// with sigma <= 0 or a non-finite value are skipped. Never throws for bad data: returns
/// converged = false and NaN errors (values = start, chi2 NaN) when x, y and sigma differ in
/// size or there are fewer points than parameters, and converged = false with NaN errors and
/// covariance when the curvature is singular.
FitResult fit_least_squares(const std::function<double(double x, const std::vector<double>& p)>& f,
                            const std::vector<double>& x, const std::vector<double>& y,
                            const std::vector<double>& sigma, std::vector<double> start);

/// A turn-on curve fitted with eff(pT) = plateau / 2 * (1 + erf((pT - pt50) / (sqrt(2) width)))
/// to the binned efficiencies (bin centres; each bin's error is the standard deviation of the
/// efficiency's Beta(n_fired + 1, n - n_fired + 1) posterior, so empty-looking bins at 0 or 1
/// still weigh). A second fit from the first one's values replaces n_fired in those errors by
/// its expectation n eff(bin centre): errors from observed efficiencies bias the curve; chi2,
/// ndf and the errors are the second fit's (the first one's if the second fails). A value the fit
/// could not give is NaN: without convergence every value and error is NaN (chi2 and ndf are still
/// given when a fit ran).
struct TurnOnFit {
  double pt50 = 0.0;  ///< true pT where the curve reaches half its plateau, GeV
  double pt50_error = 0.0;
  double pt90 = 0.0;  ///< true pT where it reaches 90 % of its plateau: pt50 + 1.2815516 width
  double pt90_error = 0.0;  ///< from the covariance of pt50 and width
  double width = 0.0;       ///< the Gaussian resolution sigma of the erf, GeV
  double width_error = 0.0;
  /// Efficiency far above threshold; fitted free, so it may exceed 1 within its error.
  double plateau = 0.0;
  double plateau_error = 0.0;
  double chi2 = 0.0;
  int ndf = 0;
  bool converged = false;

  /// {"pt50", "pt50_error", "pt90", "pt90_error", "width", "width_error", "plateau",
  /// "plateau_error", "chi2", "ndf", "converged"}; NaN values are null.
  nlohmann::json to_json() const;
};

/// Fits the turn-on bins (bins with n == 0 are skipped). Starts from the bin where the
/// efficiency first reaches half its maximum. Not converged (NaN values) with fewer than four
/// non-empty bins.
TurnOnFit fit_turn_on(const std::vector<TurnOnBin>& bins);

/// The core of a residual distribution: a Gaussian fitted to a histogram of the values within
/// +-2 sigma of the core, iterated from the median and the half-width of the central 68 % until
/// the window's centre and width change by less than 1e-3 of the width (at most 10 times; then
/// the 10th fit is the result). The histogram has 20 bins over the window; the Gaussian's
/// amplitude is free. Bin errors are sqrt(max(count, 1)) in the first fit and
/// sqrt(max(expected, 1)) from the previous fit in the later ones (at least two fits), which
/// removes the bias of observed-count errors towards low counts. There is no background term:
/// outliers that lay a floor under the window widen the core (10 % of values with 5 times the
/// core's sigma: about 3 % wider).
struct CoreFit {
  std::size_t n = 0;       ///< values given (non-finite ones skipped)
  double mean = 0.0;       ///< mean of all values
  double rms = 0.0;        ///< root mean square of (value - mean) over all values (divides by n)
  double core_mean = 0.0;  ///< the fitted Gaussian's mean
  double core_mean_error = 0.0;
  double core_sigma = 0.0;  ///< the fitted Gaussian's sigma
  double core_sigma_error = 0.0;
  bool converged = false;  ///< the fit converged; else core values are NaN

  /// {"n", "mean", "rms", "core_mean", "core_mean_error", "core_sigma", "core_sigma_error",
  /// "converged"}; NaN values are null.
  nlohmann::json to_json() const;
};

/// Fits the core of `values`. Fewer than 20 finite values, a zero central width or a failed
/// fit: not converged, NaN core values (mean and rms are still given when n > 0, else NaN).
CoreFit fit_core(const std::vector<double>& values);

/// Resolution in one bin of true pT.
struct ResolutionBin {
  double lo = 0.0;  ///< lower edge in true pT, GeV
  double hi = 0.0;  ///< upper edge
  CoreFit fit;      ///< of the residuals of the muons in the bin

  /// {"lo", "hi", ...the fit's keys}.
  nlohmann::json to_json() const;
};

/// The rate model (docs/trigger-figures.md). A bunch crossing holds a muon in the simulated pT
/// range in the trigger's sector with probability 1 - exp(-muons_per_crossing) (Poisson), else
/// only noise. Muon events are reweighted from the simulated flat pT spectrum to dN/dpT ~
/// pT^-spectrum_index over the same range. The rate at threshold T is
///   crossing_rate * ((1 - exp(-mu)) * eff_w(T) + exp(-mu) * fake_rate(T)),
/// with eff_w the spectrum-weighted fraction of muon events that fire (weights pT_true^-k,
/// muons with pT_true <= 0 weigh nothing). Its error adds in quadrature the weighted binomial
/// variance of eff_w, sum w_i^2 (fired_i - eff_w)^2 / (sum w_i)^2, and the variance of the
/// fake rate's Beta(n_fired + 1, n - n_fired + 1) posterior, so zero fakes still give an error.
struct RateOptions {
  /// Bunch-crossing rate, MHz (the LHC: 40); NaN: no rates (every RateFigure value NaN).
  double crossing_rate_mhz = 40.0;
  /// Mean number of muons in the simulated pT range per crossing in the sector.
  double muons_per_crossing = 0.01;
  /// Exponent k of the physical spectrum dN/dpT ~ pT^-k.
  double spectrum_index = 4.0;
};

/// Every setting of compute_trigger_figures().
struct FigureOptions {
  /// Thresholds in GeV, each giving a ThresholdFigures; at least one.
  std::vector<double> thresholds_gev = {10.0};
  /// Turn-on bins in true pT (as MetricsOptions::turn_on_edges).
  std::vector<double> turn_on_edges = MetricsOptions::uniform_edges(3.0, 20.0, 1.0);
  /// Plateau of threshold T: muons with pT_true >= T + plateau_offset_gev (the efficiency
  /// against eta and hits is measured there).
  double plateau_offset_gev = 5.0;
  /// Bins of true pT for the resolution.
  std::vector<double> resolution_edges = MetricsOptions::uniform_edges(3.0, 20.0, 1.0);
  /// Bins of true eta for the efficiency against eta.
  std::vector<double> eta_edges = MetricsOptions::uniform_edges(0.0, 1.05, 0.075);
  /// The efficiency against the number of hits has one bin per count 0 .. max_hits.
  std::size_t max_hits = 9;
  RateOptions rate;
};

/// The rate at one threshold.
struct RateFigure {
  double rate_khz = 0.0;  ///< total trigger rate, kHz
  /// Statistical standard error of rate_khz from the finite samples, kHz.
  double rate_error_khz = 0.0;
  double muon_khz = 0.0;   ///< the part from crossings with a muon
  double noise_khz = 0.0;  ///< the part from noise-only crossings
  /// Spectrum-weighted fraction of muon events that fire.
  double weighted_efficiency = 0.0;

  /// {"rate_khz", "rate_error_khz", "muon_khz", "noise_khz", "weighted_efficiency"}; NaN null.
  nlohmann::json to_json() const;
};

/// Everything at one threshold.
struct ThresholdFigures {
  double threshold_gev = 0.0;
  std::vector<TurnOnBin> turn_on;  ///< efficiency against true pT
  TurnOnFit fit;                   ///< of turn_on
  /// Fraction of muons with pT_true >= threshold + plateau_offset that fire; NaN when none.
  double plateau_eff = 0.0;
  std::size_t n_plateau = 0;
  /// Fraction of noise-only events that fire; NaN without noise events.
  double fake_rate = 0.0;
  /// Efficiency against true eta, plateau muons only (empty without eta truth).
  std::vector<TurnOnBin> eff_vs_eta;
  /// Efficiency against the number of muon hits (lo = hi = the count), plateau muons only
  /// (empty without hit counts): counts are rounded, those above max_hits fill the last bin,
  /// negative or NaN counts none.
  std::vector<TurnOnBin> eff_vs_hits;
  RateFigure rate;  ///< NaN without noise events or without muon events of positive pT

  /// {"threshold_gev", "turn_on": [bins], "fit": TurnOnFit, "plateau_eff", "n_plateau",
  /// "fake_rate", "eff_vs_eta": [bins], "eff_vs_hits": [bins], "rate": RateFigure}; bins as in
  /// TriggerMetrics::to_json().
  nlohmann::json to_json() const;
};

/// The trigger figures of one model.
struct TriggerFigures {
  std::vector<ThresholdFigures> thresholds;  ///< in the order of the options
  /// (pT_pred - pT_true) / pT_true per bin of true pT (muons with pT_true == 0 skipped).
  std::vector<ResolutionBin> pt_resolution;
  /// eta_pred - eta_true per bin of true pT (empty without eta predictions).
  std::vector<ResolutionBin> eta_resolution;
  CoreFit pt_core;   ///< relative pT residual over all muons
  CoreFit eta_core;  ///< eta residual over all muons (n = 0 without eta predictions)

  /// {"thresholds": [ThresholdFigures], "resolution": {"pt": [bins], "eta": [bins],
  /// "pt_core": CoreFit, "eta_core": CoreFit}}.
  nlohmann::json to_json() const;

  /// The scalar figures, by name, for tables and sweeps: "pt_resolution" and "eta_resolution"
  /// (core sigmas over all muons) and, per threshold T (written as the shortest decimal, e.g.
  /// "10", "12.5"): "pt50_thr<T>", "pt90_thr<T>", "width_thr<T>", "plateau_thr<T>" (fit),
  /// "plateau_eff_thr<T>", "fake_rate_thr<T>", "rate_khz_thr<T>", "rate_error_khz_thr<T>".
  /// NaN where not computable.
  std::map<std::string, double> scalars() const;
};

/// A threshold as the figures name it: the shortest decimal that reads back as `gev`, without
/// an exponent ("10", "12.5"), as in "pt50_thr12.5".
std::string threshold_text(double gev);

/// Computes the trigger figures. inputs.n_hits may be empty (no efficiency against hits);
/// eta vectors may be empty. Throws DataError on inconsistent sizes or edges that are not at
/// least two strictly ascending values, or when there is no threshold.
TriggerFigures compute_trigger_figures(const TriggerInputs& inputs, const FigureOptions& options);

}  // namespace hlslim::data
