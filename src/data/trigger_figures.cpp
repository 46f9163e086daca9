#include "hlslim/data/trigger_figures.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include "hlslim/data/error.hpp"

namespace hlslim::data {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The standard normal quantile at 0.9: an erf turn-on reaches 90 % of its plateau there.
constexpr double kZ90 = 1.2815515655446004;
constexpr double kPi = 3.14159265358979323846;

nlohmann::json number_or_null(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

double ratio(std::size_t numerator, std::size_t denominator) {
  return denominator == 0 ? kNaN
                          : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// NaN compares false, so a NaN prediction never fires.
bool fires(float prediction, double threshold) {
  return prediction >= threshold;
}

// Variance of the Beta(k + 1, n - k + 1) posterior of an efficiency with k of n firing: never
// zero, so a bin at 0 or 1 (and a rate without any fake) still has an uncertainty.
// `k` may be an expected, non-integer count.
double beta_variance(double k, double n) {
  const double a = k + 1.0, b = n - k + 1.0;
  return a * b / ((a + b) * (a + b) * (a + b + 1.0));
}

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

// The shortest decimal that reads back as `value`: 10 -> "10", 12.5 -> "12.5"; without an
// exponent unless the value is huge or needs more than 17 decimals.
std::string shortest_decimal(double value) {
  char text[64];
  if (std::abs(value) < 1e15) {
    for (int decimals = 0; decimals <= 17; ++decimals) {
      std::snprintf(text, sizeof text, "%.*f", decimals, value);
      if (std::strtod(text, nullptr) == value) return text;
    }
  }
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

double quantile(const std::vector<double>& sorted, double p) {
  const double position = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

using Model = std::function<double(double, const std::vector<double>&)>;

struct Points {
  Eigen::VectorXd x, y, sigma;
};

// The weighted residuals (y - f) / sigma.
Eigen::VectorXd residuals(const Model& f, const Points& points, const std::vector<double>& p) {
  Eigen::VectorXd r(points.x.size());
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    r[i] = (points.y[i] - f(points.x[i], p)) / points.sigma[i];
  }
  return r;
}

double chi2_of(const Eigen::VectorXd& r) {
  const double chi2 = r.squaredNorm();
  return std::isfinite(chi2) ? chi2 : std::numeric_limits<double>::infinity();
}

// d f(x_i, p) / d p_j / sigma_i by central differences with a step relative to |p_j|.
Eigen::MatrixXd jacobian(const Model& f, const Points& points, const std::vector<double>& p) {
  Eigen::MatrixXd jac(points.x.size(), static_cast<Eigen::Index>(p.size()));
  std::vector<double> shifted = p;
  for (std::size_t j = 0; j < p.size(); ++j) {
    const double step = 1e-6 * std::max(1.0, std::abs(p[j]));
    for (Eigen::Index i = 0; i < jac.rows(); ++i) {
      shifted[j] = p[j] + step;
      const double up = f(points.x[i], shifted);
      shifted[j] = p[j] - step;
      const double down = f(points.x[i], shifted);
      jac(i, static_cast<Eigen::Index>(j)) = (up - down) / (2.0 * step) / points.sigma[i];
    }
    shifted[j] = p[j];
  }
  return jac;
}

}  // namespace

FitResult fit_least_squares(const Model& f, const std::vector<double>& x,
                            const std::vector<double>& y, const std::vector<double>& sigma,
                            std::vector<double> start) {
  const std::size_t n_par = start.size();
  FitResult result;
  result.values = std::move(start);
  result.errors.assign(n_par, kNaN);
  result.covariance.assign(n_par * n_par, kNaN);
  result.chi2 = kNaN;
  if (x.size() != y.size() || x.size() != sigma.size()) return result;

  std::vector<std::size_t> used;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (sigma[i] > 0.0 && std::isfinite(sigma[i]) && std::isfinite(x[i]) && std::isfinite(y[i])) {
      used.push_back(i);
    }
  }
  const auto n_points = static_cast<Eigen::Index>(used.size());
  result.ndf = static_cast<int>(used.size()) - static_cast<int>(n_par);
  if (n_par == 0 || used.size() < n_par) return result;
  Points points{Eigen::VectorXd(n_points), Eigen::VectorXd(n_points), Eigen::VectorXd(n_points)};
  for (Eigen::Index i = 0; i < n_points; ++i) {
    points.x[i] = x[used[static_cast<std::size_t>(i)]];
    points.y[i] = y[used[static_cast<std::size_t>(i)]];
    points.sigma[i] = sigma[used[static_cast<std::size_t>(i)]];
  }

  std::vector<double>& p = result.values;
  Eigen::VectorXd r = residuals(f, points, p);
  double chi2 = chi2_of(r);
  if (!std::isfinite(chi2)) return result;
  const auto n = static_cast<Eigen::Index>(n_par);
  double lambda = 1e-3;
  bool minimized = false;
  for (int iteration = 0; iteration < 500 && !minimized; ++iteration) {
    const Eigen::MatrixXd jac = jacobian(f, points, p);
    if (!jac.allFinite()) break;
    const Eigen::MatrixXd curvature = jac.transpose() * jac;
    const Eigen::VectorXd gradient = jac.transpose() * r;
    // Marquardt's scaling by the diagonal, floored so that a parameter the model ignores
    // still gets a damped (zero) step instead of a singular system.
    const double floor = 1e-12 * std::max(curvature.diagonal().maxCoeff(), 1e-300);
    bool accepted = false;
    while (!accepted) {
      if (lambda > 1e12) {
        // No step downhill at any damping: the minimum, to the precision of the model.
        minimized = true;
        break;
      }
      Eigen::MatrixXd damped = curvature;
      for (Eigen::Index j = 0; j < n; ++j) {
        damped(j, j) += lambda * std::max(curvature(j, j), floor);
      }
      const Eigen::VectorXd step = damped.ldlt().solve(gradient);
      std::vector<double> trial = p;
      for (Eigen::Index j = 0; j < n; ++j) trial[static_cast<std::size_t>(j)] += step[j];
      const Eigen::VectorXd trial_r = residuals(f, points, trial);
      const double trial_chi2 = chi2_of(trial_r);
      if (step.allFinite() && trial_chi2 <= chi2) {
        const double change = chi2 - trial_chi2;
        double relative_step = 0.0;
        for (Eigen::Index j = 0; j < n; ++j) {
          relative_step = std::max(
              relative_step,
              std::abs(step[j]) / std::max(std::abs(trial[static_cast<std::size_t>(j)]), 1e-12));
        }
        minimized = change <= 1e-10 * trial_chi2 + 1e-14 || relative_step < 1e-12;
        p = std::move(trial);
        r = trial_r;
        chi2 = trial_chi2;
        lambda = std::max(lambda / 10.0, 1e-12);
        accepted = true;
      } else {
        lambda *= 10.0;
      }
    }
  }
  result.chi2 = chi2;

  // Covariance: the inverse of J^T W J at the minimum (no scaling by chi2 / ndf).
  const Eigen::MatrixXd jac = jacobian(f, points, p);
  if (!jac.allFinite()) return result;
  const Eigen::MatrixXd curvature = jac.transpose() * jac;
  const Eigen::LLT<Eigen::MatrixXd> llt(curvature);
  if (llt.info() != Eigen::Success || !(llt.rcond() > 1e-14)) return result;
  const Eigen::MatrixXd covariance = llt.solve(Eigen::MatrixXd::Identity(n, n));
  if (!covariance.allFinite() || (covariance.diagonal().array() <= 0.0).any()) return result;
  for (Eigen::Index i = 0; i < n; ++i) {
    result.errors[static_cast<std::size_t>(i)] = std::sqrt(covariance(i, i));
    for (Eigen::Index j = 0; j < n; ++j) {
      result.covariance[static_cast<std::size_t>(i * n + j)] = covariance(i, j);
    }
  }
  result.converged = minimized;
  return result;
}

TurnOnFit fit_turn_on(const std::vector<TurnOnBin>& bins) {
  TurnOnFit out;
  out.pt50 = out.pt50_error = out.pt90 = out.pt90_error = kNaN;
  out.width = out.width_error = out.plateau = out.plateau_error = out.chi2 = kNaN;
  std::vector<double> x, y, sigma, widths, counts;
  double max_eff = 0.0;
  for (const TurnOnBin& bin : bins) {
    if (bin.n == 0) continue;
    x.push_back(0.5 * (bin.lo + bin.hi));
    y.push_back(static_cast<double>(bin.n_fired) / static_cast<double>(bin.n));
    sigma.push_back(
        std::sqrt(beta_variance(static_cast<double>(bin.n_fired), static_cast<double>(bin.n))));
    counts.push_back(static_cast<double>(bin.n));
    widths.push_back(bin.hi - bin.lo);
    max_eff = std::max(max_eff, y.back());
  }
  if (x.size() < 4) return out;
  std::size_t half = 0;
  while (half + 1 < y.size() && y[half] < 0.5 * max_eff) ++half;
  const std::vector<double> start = {x[half], widths[half], std::clamp(max_eff, 1e-3, 1.0)};
  // The width enters as |width|, so the fit cannot wander to a falling curve.
  const auto model = [](double pt, const std::vector<double>& p) {
    const double width = std::max(std::abs(p[1]), 1e-12);
    return 0.5 * p[2] * (1.0 + std::erf((pt - p[0]) / (std::sqrt(2.0) * width)));
  };
  FitResult fit = fit_least_squares(model, x, y, sigma, start);
  if (fit.converged) {
    // Errors from the observed efficiencies weigh a bin that fluctuated towards 0 or 1 more,
    // which pulls the curve (pt50 by a third of its error at 200 muons a bin). Refitting with
    // the errors of the fitted efficiencies removes that bias.
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double expected = std::clamp(model(x[i], fit.values), 0.0, 1.0) * counts[i];
      sigma[i] = std::sqrt(beta_variance(expected, counts[i]));
    }
    FitResult refit = fit_least_squares(model, x, y, sigma, fit.values);
    if (refit.converged) fit = std::move(refit);
  }
  out.chi2 = fit.chi2;
  out.ndf = fit.ndf;
  if (!fit.converged) return out;
  out.pt50 = fit.values[0];
  out.width = std::abs(fit.values[1]);
  out.plateau = fit.values[2];
  out.pt90 = out.pt50 + kZ90 * out.width;
  out.pt50_error = fit.errors[0];
  out.width_error = fit.errors[1];
  out.plateau_error = fit.errors[2];
  // cov(pt50, |w|) = sign(w) cov(pt50, w).
  const double sign = fit.values[1] < 0.0 ? -1.0 : 1.0;
  const double var90 =
      fit.covariance[0] + kZ90 * kZ90 * fit.covariance[4] + 2.0 * kZ90 * sign * fit.covariance[1];
  out.pt90_error = var90 >= 0.0 ? std::sqrt(var90) : kNaN;
  out.converged = true;
  return out;
}

CoreFit fit_core(const std::vector<double>& values) {
  CoreFit out;
  out.core_mean = out.core_mean_error = out.core_sigma = out.core_sigma_error = kNaN;
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  out.n = finite.size();
  if (finite.empty()) {
    out.mean = out.rms = kNaN;
    return out;
  }
  double sum = 0.0;
  for (double v : finite) sum += v;
  out.mean = sum / static_cast<double>(out.n);
  double squares = 0.0;
  for (double v : finite) squares += (v - out.mean) * (v - out.mean);
  out.rms = std::sqrt(squares / static_cast<double>(out.n));
  if (out.n < 20) return out;

  std::sort(finite.begin(), finite.end());
  // The central 68.27 % of a Gaussian spans mean +- sigma.
  double centre = quantile(finite, 0.5);
  double width = 0.5 * (quantile(finite, 0.841344746) - quantile(finite, 0.158655254));
  constexpr int kBins = 20;
  const auto gaussian = [](double x, const std::vector<double>& p) {
    // p = {normalisation times bin width, mean, sigma}.
    const double s = std::abs(p[2]);
    const double z = (x - p[1]) / s;
    return p[0] / (std::sqrt(2.0 * kPi) * s) * std::exp(-0.5 * z * z);
  };
  FitResult fit;
  std::vector<double> previous;  // the previous fit's parameters
  for (int iteration = 0; iteration < 10; ++iteration) {
    if (!(width > 0.0) || !std::isfinite(width)) return out;
    const double lo = centre - 2.0 * width, hi = centre + 2.0 * width;
    const double bin_width = (hi - lo) / kBins;
    std::vector<double> counts(kBins, 0.0), x(kBins), sigma(kBins);
    double in_window = 0.0;
    for (auto it = std::lower_bound(finite.begin(), finite.end(), lo);
         it != finite.end() && *it <= hi; ++it) {
      counts[std::min(static_cast<std::size_t>((*it - lo) / bin_width), std::size_t{kBins - 1})] +=
          1.0;
      in_window += 1.0;
    }
    // The first fit weighs bins by their counts; the later ones by the previous fit's
    // prediction, since observed counts pull a fit towards downward fluctuations (Neyman's
    // bias: the core sigma by a third of its error at 2000 values).
    for (int i = 0; i < kBins; ++i) {
      x[i] = lo + (i + 0.5) * bin_width;
      const double expected =
          previous.empty() ? counts[i]
                           : gaussian(x[i], {previous[0] * bin_width, previous[1], previous[2]});
      sigma[i] = std::sqrt(std::max(expected, 1.0));
    }
    // The fitted amplitude is in counts per unit of x: the histogram's bin width scales it.
    const auto model = [&](double v, const std::vector<double>& p) {
      return gaussian(v, {p[0] * bin_width, p[1], p[2]});
    };
    // +-2 sigma holds 95.45 % of a Gaussian.
    fit = fit_least_squares(model, x, counts, sigma, {in_window / 0.9545, centre, width});
    if (!fit.converged) return out;
    const double new_centre = fit.values[1], new_width = std::abs(fit.values[2]);
    const bool stable = std::abs(new_centre - centre) < 1e-3 * new_width &&
                        std::abs(new_width - width) < 1e-3 * new_width;
    centre = new_centre;
    width = new_width;
    const bool weighed_by_model = !previous.empty();
    previous = fit.values;
    if (stable && weighed_by_model) break;
  }
  out.core_mean = centre;
  out.core_mean_error = fit.errors[1];
  out.core_sigma = width;
  out.core_sigma_error = fit.errors[2];
  out.converged = true;
  return out;
}

namespace {

RateFigure compute_rate(const TriggerInputs& inputs, double threshold, const RateOptions& options) {
  RateFigure rate;
  rate.rate_khz = rate.rate_error_khz = rate.muon_khz = rate.noise_khz = kNaN;
  rate.weighted_efficiency = kNaN;
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

nlohmann::json TurnOnFit::to_json() const {
  return {{"pt50", number_or_null(pt50)},
          {"pt50_error", number_or_null(pt50_error)},
          {"pt90", number_or_null(pt90)},
          {"pt90_error", number_or_null(pt90_error)},
          {"width", number_or_null(width)},
          {"width_error", number_or_null(width_error)},
          {"plateau", number_or_null(plateau)},
          {"plateau_error", number_or_null(plateau_error)},
          {"chi2", number_or_null(chi2)},
          {"ndf", ndf},
          {"converged", converged}};
}

nlohmann::json CoreFit::to_json() const {
  return {{"n", n},
          {"mean", number_or_null(mean)},
          {"rms", number_or_null(rms)},
          {"core_mean", number_or_null(core_mean)},
          {"core_mean_error", number_or_null(core_mean_error)},
          {"core_sigma", number_or_null(core_sigma)},
          {"core_sigma_error", number_or_null(core_sigma_error)},
          {"converged", converged}};
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
    const std::string suffix = "_thr" + shortest_decimal(t.threshold_gev);
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

}  // namespace hlslim::data
