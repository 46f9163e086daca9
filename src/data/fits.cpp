// The fits behind the trigger figures: weighted least squares (Levenberg-Marquardt), the erf
// fit of a turn-on curve and the Gaussian fit of a residual distribution's core.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "figure_math.hpp"
#include "hlslim/data/trigger_figures.hpp"

namespace hlslim::data {

using namespace figure_math;

namespace {

// The standard normal quantile at 0.9: an erf turn-on reaches 90 % of its plateau there.
constexpr double kZ90 = 1.2815515655446004;
constexpr double kPi = 3.14159265358979323846;

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

}  // namespace hlslim::data
