#include "hlslim/data/trigger_figures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "hlslim/data/event_store.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

constexpr double kTruePt50 = 10.0, kTrueWidth = 1.5, kTruePlateau = 0.93;

double true_efficiency(double pt) {
  return 0.5 * kTruePlateau * (1.0 + std::erf((pt - kTruePt50) / (std::sqrt(2.0) * kTrueWidth)));
}

// Muons with flat true pT in [3, 20] that fire a 10 GeV threshold with probability
// true_efficiency(pT): a firing muon is predicted at 100 GeV, the others at 0.
TriggerInputs generated_turn_on(std::mt19937_64& rng, std::size_t n) {
  std::uniform_real_distribution<double> pt(3.0, 20.0), uniform(0.0, 1.0);
  TriggerInputs inputs;
  for (std::size_t i = 0; i < n; ++i) {
    const double truth = pt(rng);
    inputs.pt_true.push_back(static_cast<float>(truth));
    inputs.pt_pred.push_back(uniform(rng) < true_efficiency(truth) ? 100.0f : 0.0f);
  }
  return inputs;
}

// 1 GeV turn-on bins of generated_turn_on() counted here, independently of the library.
std::vector<TurnOnBin> count_bins(const TriggerInputs& inputs) {
  std::vector<TurnOnBin> bins;
  for (int lo = 3; lo < 20; ++lo) bins.push_back({double(lo), double(lo + 1)});
  for (std::size_t i = 0; i < inputs.pt_true.size(); ++i) {
    const auto bin = std::min<std::size_t>(static_cast<std::size_t>(inputs.pt_true[i] - 3.0f), 16);
    ++bins[bin].n;
    bins[bin].n_fired += inputs.pt_pred[i] >= 10.0f;
  }
  return bins;
}

// The mean and standard deviation of `pulls`.
std::pair<double, double> mean_and_std(const std::vector<double>& pulls) {
  double sum = 0.0, squares = 0.0;
  for (double p : pulls) sum += p;
  const double mean = sum / static_cast<double>(pulls.size());
  for (double p : pulls) squares += (p - mean) * (p - mean);
  return {mean, std::sqrt(squares / static_cast<double>(pulls.size() - 1))};
}

TEST(TriggerFigures, LeastSquaresLineMatchesTheClosedForm) {
  const std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<double> y = {1.1, 2.3, 2.8, 4.2, 4.9, 6.3, 6.8, 8.1};
  const std::vector<double> sigma = {0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.4, 0.2};
  // Weighted straight line y = a + b x: with S = sum w, Sx = sum w x, ... and D = S Sxx - Sx^2,
  // a = (Sxx Sy - Sx Sxy) / D, b = (S Sxy - Sx Sy) / D, var a = Sxx / D, var b = S / D,
  // cov(a, b) = -Sx / D.
  double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = 1.0 / (sigma[i] * sigma[i]);
    s += w;
    sx += w * x[i];
    sy += w * y[i];
    sxx += w * x[i] * x[i];
    sxy += w * x[i] * y[i];
  }
  const double d = s * sxx - sx * sx;
  const double a = (sxx * sy - sx * sxy) / d, b = (s * sxy - sx * sy) / d;
  double chi2 = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    chi2 += std::pow((y[i] - a - b * x[i]) / sigma[i], 2);
  }
  const FitResult fit =
      fit_least_squares([](double v, const std::vector<double>& p) { return p[0] + p[1] * v; }, x,
                        y, sigma, {0.0, 0.0});
  ASSERT_TRUE(fit.converged);
  EXPECT_NEAR(fit.values[0], a, 1e-6);
  EXPECT_NEAR(fit.values[1], b, 1e-6);
  EXPECT_NEAR(fit.covariance[0], sxx / d, 1e-6 * sxx / d);
  EXPECT_NEAR(fit.covariance[3], s / d, 1e-6 * s / d);
  EXPECT_NEAR(fit.covariance[1], -sx / d, 1e-6 * sx / d);
  EXPECT_NEAR(fit.covariance[2], -sx / d, 1e-6 * sx / d);
  EXPECT_NEAR(fit.errors[1], std::sqrt(s / d), 1e-6 * std::sqrt(s / d));
  EXPECT_NEAR(fit.chi2, chi2, 1e-6 * chi2);
  EXPECT_EQ(fit.ndf, 6);
}

TEST(TriggerFigures, LeastSquaresDegenerateCases) {
  const auto line = [](double v, const std::vector<double>& p) { return p[0] + p[1] * v; };
  // Fewer points than parameters once the bad points (sigma <= 0, NaN) are skipped.
  const FitResult few = fit_least_squares(line, {1, 2, 3}, {1, 2, NAN}, {1, 0, 1}, {0.5, 0.5});
  EXPECT_FALSE(few.converged);
  EXPECT_EQ(few.ndf, -1);
  EXPECT_TRUE(std::isnan(few.errors[0]) && std::isnan(few.errors[1]));
  // The model ignores p[1]: the curvature is singular.
  const FitResult singular =
      fit_least_squares([](double, const std::vector<double>& p) { return p[0]; }, {1, 2, 3},
                        {1, 2, 3}, {1, 1, 1}, {0.0, 0.0});
  EXPECT_FALSE(singular.converged);
  EXPECT_TRUE(std::isnan(singular.errors[1]));
  EXPECT_NEAR(singular.values[0], 2.0, 1e-6);
  EXPECT_FALSE(fit_least_squares(line, {1, 2, 3}, {1, 2}, {1, 1, 1}, {0, 0}).converged);
}

TEST(TriggerFigures, TurnOnFitRecoversGeneratedParameters) {
  std::mt19937_64 rng(20240611);
  FigureOptions options;
  options.thresholds_gev = {10.0};
  const TriggerFigures figures = compute_trigger_figures(generated_turn_on(rng, 40000), options);
  const TurnOnFit& fit = figures.thresholds[0].fit;
  ASSERT_TRUE(fit.converged);
  EXPECT_EQ(fit.ndf, 17 - 3);
  // Bin centres stand for the mean efficiency over 1 GeV bins: the box of width 1 adds its
  // variance 1/12 to the erf's, a known shift of the fitted width (pt50 stays by symmetry).
  const double binned_width = std::sqrt(kTrueWidth * kTrueWidth + 1.0 / 12.0);
  EXPECT_NEAR(fit.pt50, kTruePt50, 3 * fit.pt50_error);
  EXPECT_NEAR(fit.width, binned_width, 3 * fit.width_error);
  EXPECT_NEAR(fit.plateau, kTruePlateau, 3 * fit.plateau_error);
  EXPECT_NEAR(fit.pt90, kTruePt50 + 1.2815516 * binned_width, 3 * fit.pt90_error);
  EXPECT_LT(fit.pt50_error, 0.05);
  EXPECT_GT(fit.pt50_error, 0.0);
  // chi2 / ndf of a good fit: within 5 standard deviations sqrt(2 ndf) of ndf.
  EXPECT_NEAR(fit.chi2, fit.ndf, 5 * std::sqrt(2.0 * fit.ndf));
}

TEST(TriggerFigures, TurnOnPt50PullsAreStandardNormal) {
  std::mt19937_64 rng(7);
  std::vector<double> pulls;
  for (int toy = 0; toy < 200; ++toy) {
    const TurnOnFit fit = fit_turn_on(count_bins(generated_turn_on(rng, 3000)));
    ASSERT_TRUE(fit.converged) << "toy " << toy;
    pulls.push_back((fit.pt50 - kTruePt50) / fit.pt50_error);
  }
  const auto [mean, std] = mean_and_std(pulls);
  EXPECT_NEAR(mean, 0.0, 0.2);
  EXPECT_NEAR(std, 1.0, 0.2);
}

TEST(TriggerFigures, TurnOnNeedsFourNonEmptyBins) {
  std::vector<TurnOnBin> bins = {{1, 2, 10, 0}, {2, 3, 10, 5}, {3, 4, 0, 0}, {4, 5, 10, 10}};
  const TurnOnFit fit = fit_turn_on(bins);
  EXPECT_FALSE(fit.converged);
  EXPECT_TRUE(std::isnan(fit.pt50) && std::isnan(fit.pt90_error) && std::isnan(fit.plateau));
  const nlohmann::json json = fit.to_json();
  EXPECT_TRUE(json["pt50"].is_null());
  EXPECT_TRUE(json["width_error"].is_null());
  EXPECT_EQ(json["converged"], false);
  bins[2].n = 10;
  bins[2].n_fired = 9;
  EXPECT_TRUE(fit_turn_on(bins).converged);
}

TEST(TriggerFigures, CoreFitIgnoresWideOutliers) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> core(0.0, 0.1), tail(0.0, 0.5);
  std::vector<double> values;
  for (int i = 0; i < 9000; ++i) values.push_back(core(rng));
  for (int i = 0; i < 1000; ++i) values.push_back(tail(rng));
  values.push_back(NAN);
  const CoreFit fit = fit_core(values);
  ASSERT_TRUE(fit.converged);
  EXPECT_EQ(fit.n, 10000u);
  // The outliers lay a nearly flat floor under the +-2 sigma window that a lone Gaussian
  // reads as about 3 % more width (seeds 1 to 12 gave 0.101 to 0.105, 1 to 4 errors of 0.0012
  // at 10000 values), so the core is asserted to within 5 % rather than within its error.
  EXPECT_NEAR(fit.core_sigma, 0.1, 0.005);
  EXPECT_NEAR(fit.core_mean, 0.0, 3 * fit.core_mean_error);
  // The rms sees the outliers: sqrt(0.9 * 0.1^2 + 0.1 * 0.5^2) = 0.184.
  EXPECT_NEAR(fit.rms, 0.184, 0.01);
  EXPECT_GT(fit.rms, 1.5 * fit.core_sigma);
}

TEST(TriggerFigures, CoreSigmaPullsAreStandardNormal) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> gauss(0.5, 0.1);
  std::vector<double> pulls;
  for (int toy = 0; toy < 200; ++toy) {
    std::vector<double> values(2000);
    for (double& v : values) v = gauss(rng);
    const CoreFit fit = fit_core(values);
    ASSERT_TRUE(fit.converged) << "toy " << toy;
    pulls.push_back((fit.core_sigma - 0.1) / fit.core_sigma_error);
  }
  const auto [mean, std] = mean_and_std(pulls);
  EXPECT_NEAR(mean, 0.0, 0.2);
  EXPECT_NEAR(std, 1.0, 0.2);
}

TEST(TriggerFigures, CoreFitOfTooFewValues) {
  const CoreFit few = fit_core({1, 2, 3, NAN});
  EXPECT_EQ(few.n, 3u);
  EXPECT_DOUBLE_EQ(few.mean, 2.0);
  EXPECT_NEAR(few.rms, std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_FALSE(few.converged);
  EXPECT_TRUE(std::isnan(few.core_sigma));
  const CoreFit none = fit_core({});
  EXPECT_EQ(none.n, 0u);
  const nlohmann::json json = none.to_json();
  EXPECT_TRUE(json["mean"].is_null());
  EXPECT_TRUE(json["rms"].is_null());
  EXPECT_TRUE(json["core_sigma_error"].is_null());
  EXPECT_EQ(json["n"], 0);
  // Twenty equal values have no width to fit.
  EXPECT_FALSE(fit_core(std::vector<double>(20, 1.0)).converged);
}

TEST(TriggerFigures, RateHandComputed) {
  TriggerInputs inputs;
  inputs.pt_true = {5, 10, 10, 20};
  inputs.pt_pred = {11, 9, 12, 25};                         // fires at 10 GeV: yes, no, yes, yes
  inputs.noise_pt_pred = {0, 0, 0, 0, 0, 0, 0, 0, 10, 30};  // 2 of 10 fire
  FigureOptions options;
  options.thresholds_gev = {10};
  options.rate.spectrum_index = 2;
  options.rate.muons_per_crossing = std::log(2.0);  // P(muon) = P(noise only) = 1/2
  const RateFigure rate = compute_trigger_figures(inputs, options).thresholds[0].rate;
  // Weights pT^-2 in units of 1/400: 16, 4, 4, 1, sum 25. eff_w = (16 + 4 + 1) / 25 = 0.84.
  EXPECT_NEAR(rate.weighted_efficiency, 0.84, 1e-12);
  // 40 MHz = 40000 kHz: muons 40000 * 0.5 * 0.84 = 16800, noise 40000 * 0.5 * 0.2 = 4000.
  EXPECT_NEAR(rate.muon_khz, 16800.0, 1e-6);
  EXPECT_NEAR(rate.noise_khz, 4000.0, 1e-6);
  EXPECT_NEAR(rate.rate_khz, 20800.0, 1e-6);
  // var eff_w = (16^2 0.16^2 + 4^2 0.84^2 + 4^2 0.16^2 + 1^2 0.16^2) / 25^2 = 18.2784 / 625
  // = 0.02924544; var fake = Beta(3, 9) variance = 3 * 9 / (12^2 * 13) = 0.0144230769;
  // error = 20000 * sqrt(0.0436685169) = 4179.4027.
  EXPECT_NEAR(rate.rate_error_khz, 4179.4027, 1e-3);
  const nlohmann::json json = rate.to_json();
  EXPECT_EQ(json.size(), 5u);
  EXPECT_NEAR(json["rate_khz"].get<double>(), 20800.0, 1e-6);
}

TEST(TriggerFigures, RateErrorIsPositiveWithoutFakes) {
  TriggerInputs inputs;
  inputs.pt_true = {12, 15};
  inputs.pt_pred = {12, 15};
  inputs.noise_pt_pred = std::vector<float>(98, 1.0f);
  FigureOptions options;
  options.thresholds_gev = {10};
  const ThresholdFigures t = compute_trigger_figures(inputs, options).thresholds[0];
  EXPECT_DOUBLE_EQ(t.fake_rate, 0.0);
  EXPECT_DOUBLE_EQ(t.rate.weighted_efficiency, 1.0);
  EXPECT_DOUBLE_EQ(t.rate.noise_khz, 0.0);
  // Beta(1, 99): variance 99 / (100^2 * 101); every muon fires, so only the fakes count.
  const double p_noise = std::exp(-0.01);
  EXPECT_NEAR(t.rate.rate_error_khz, 40000.0 * p_noise * std::sqrt(99.0 / (1e4 * 101.0)), 1e-9);
  EXPECT_GT(t.rate.rate_error_khz, 0.0);
}

// Six muons and three noise events; the figures at 10 and 12.5 GeV are worked out below.
TriggerInputs tiny_inputs() {
  TriggerInputs inputs;
  inputs.pt_true = {5, 15, 16, 18, 20, 14.9f};
  inputs.pt_pred = {11, 12, 9, 15, NAN, 20};  // at 10 GeV: fires, fires, no, fires, no, fires
  inputs.eta_true = {0.05f, 0.1f, 0.6f, 0.9f, 1.05f, 0.5f};
  inputs.eta_pred = inputs.eta_true;
  inputs.n_hits = {3, 7, 12, 2, 7, 0};
  inputs.noise_pt_pred = {10, 9.9f, NAN};
  return inputs;
}

TEST(TriggerFigures, PlateauEtaAndHitsHandComputed) {
  FigureOptions options;
  options.thresholds_gev = {12.5, 10};
  options.eta_edges = {0, 0.5, 1.05};
  const TriggerFigures figures = compute_trigger_figures(tiny_inputs(), options);
  ASSERT_EQ(figures.thresholds.size(), 2u);
  EXPECT_EQ(figures.thresholds[0].threshold_gev, 12.5);
  EXPECT_EQ(figures.thresholds[1].threshold_gev, 10.0);

  const ThresholdFigures& t = figures.thresholds[1];
  // Plateau pT >= 15: the muons at 15 (fires), 16 (no), 18 (fires), 20 (NaN: no).
  EXPECT_EQ(t.n_plateau, 4u);
  EXPECT_DOUBLE_EQ(t.plateau_eff, 0.5);
  // Noise: 10 fires, 9.9 and NaN do not.
  EXPECT_DOUBLE_EQ(t.fake_rate, 1.0 / 3.0);
  // Eta of the plateau muons: 0.1 (fires) in [0, 0.5); 0.6 (no), 0.9 (fires), 1.05 (no, on the
  // closed last edge) in [0.5, 1.05].
  ASSERT_EQ(t.eff_vs_eta.size(), 2u);
  EXPECT_EQ(t.eff_vs_eta[0].n, 1u);
  EXPECT_EQ(t.eff_vs_eta[0].n_fired, 1u);
  EXPECT_EQ(t.eff_vs_eta[1].n, 3u);
  EXPECT_EQ(t.eff_vs_eta[1].n_fired, 1u);
  EXPECT_NEAR(t.eff_vs_eta[1].error, std::sqrt(1.0 / 3 * 2.0 / 3 / 3), 1e-12);
  // Hits of the plateau muons: 7 (fires), 12 -> last bin 9 (no), 2 (fires), 7 (no).
  ASSERT_EQ(t.eff_vs_hits.size(), 10u);
  for (std::size_t count = 0; count < 10; ++count) {
    EXPECT_EQ(t.eff_vs_hits[count].lo, double(count));
    EXPECT_EQ(t.eff_vs_hits[count].hi, double(count));
  }
  EXPECT_EQ(t.eff_vs_hits[2].n, 1u);
  EXPECT_EQ(t.eff_vs_hits[2].n_fired, 1u);
  EXPECT_EQ(t.eff_vs_hits[7].n, 2u);
  EXPECT_DOUBLE_EQ(t.eff_vs_hits[7].efficiency, 0.5);
  EXPECT_EQ(t.eff_vs_hits[9].n, 1u);
  EXPECT_EQ(t.eff_vs_hits[9].n_fired, 0u);
  EXPECT_EQ(t.eff_vs_hits[0].n, 0u);
  EXPECT_TRUE(std::isnan(t.eff_vs_hits[0].efficiency));
  // Turn-on over 3..20 GeV in 1 GeV bins: 14.9 falls in [14, 15), 20 in the closed last bin.
  EXPECT_EQ(t.turn_on.size(), 17u);
  EXPECT_EQ(t.turn_on[11].n, 1u);
  EXPECT_EQ(t.turn_on[16].n, 1u);
  EXPECT_EQ(t.turn_on[16].n_fired, 0u);

  // At 12.5 GeV the plateau starts at 17.5: 18 (15 fires) and 20 (NaN).
  EXPECT_EQ(figures.thresholds[0].n_plateau, 2u);
  EXPECT_DOUBLE_EQ(figures.thresholds[0].plateau_eff, 0.5);
  EXPECT_DOUBLE_EQ(figures.thresholds[0].fake_rate, 0.0);

  const nlohmann::json json = figures.to_json();
  EXPECT_EQ(json["thresholds"][1]["eff_vs_hits"][0]["efficiency"], nullptr);
  EXPECT_EQ(json["thresholds"][1]["eff_vs_eta"][1]["n_fired"], 1);
  EXPECT_EQ(json["thresholds"][0]["threshold_gev"], 12.5);
  // The fit's json has every key, whatever the fit of six muons gives.
  for (const char* key : {"pt50", "pt50_error", "pt90", "pt90_error", "width", "width_error",
                          "plateau", "plateau_error", "chi2", "ndf", "converged"}) {
    EXPECT_TRUE(json["thresholds"][0]["fit"].contains(key)) << key;
  }
}

TEST(TriggerFigures, WithoutEtaOrHitsThoseFiguresAreEmpty) {
  TriggerInputs inputs = tiny_inputs();
  inputs.eta_pred.clear();
  inputs.eta_true.clear();
  inputs.n_hits.clear();
  const TriggerFigures figures = compute_trigger_figures(inputs, {});
  EXPECT_TRUE(figures.thresholds[0].eff_vs_eta.empty());
  EXPECT_TRUE(figures.thresholds[0].eff_vs_hits.empty());
  EXPECT_TRUE(figures.eta_resolution.empty());
  EXPECT_EQ(figures.eta_core.n, 0u);
  EXPECT_TRUE(std::isnan(figures.scalars().at("eta_resolution")));
  EXPECT_TRUE(figures.to_json()["resolution"]["eta_core"]["core_sigma"].is_null());
}

TEST(TriggerFigures, ScalarNames) {
  FigureOptions options;
  options.thresholds_gev = {10, 12.5};
  const std::map<std::string, double> scalars =
      compute_trigger_figures(tiny_inputs(), options).scalars();
  std::set<std::string> names;
  for (const auto& [name, value] : scalars) names.insert(name);
  std::set<std::string> expected = {"pt_resolution", "eta_resolution"};
  for (const char* t : {"10", "12.5"}) {
    for (const char* figure : {"pt50", "pt90", "width", "plateau", "plateau_eff", "fake_rate",
                               "rate_khz", "rate_error_khz"}) {
      expected.insert(std::string(figure) + "_thr" + t);
    }
  }
  EXPECT_EQ(names, expected);
  EXPECT_DOUBLE_EQ(scalars.at("plateau_eff_thr10"), 0.5);
  EXPECT_DOUBLE_EQ(scalars.at("fake_rate_thr10"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(scalars.at("fake_rate_thr12.5"), 0.0);
  // Six values are too few for a core fit.
  EXPECT_TRUE(std::isnan(scalars.at("pt_resolution")));
  options.thresholds_gev = {0.1, 7.25, 100};
  const auto more = compute_trigger_figures(tiny_inputs(), options).scalars();
  EXPECT_EQ(more.count("pt50_thr0.1"), 1u);
  EXPECT_EQ(more.count("pt50_thr7.25"), 1u);
  EXPECT_EQ(more.count("pt50_thr100"), 1u);
}

TEST(TriggerFigures, EmptySetsAreNaNAndNullInJson) {
  const TriggerFigures figures = compute_trigger_figures({}, {});
  const ThresholdFigures& t = figures.thresholds[0];
  EXPECT_EQ(t.n_plateau, 0u);
  EXPECT_TRUE(std::isnan(t.plateau_eff));
  EXPECT_TRUE(std::isnan(t.fake_rate));
  EXPECT_TRUE(std::isnan(t.rate.rate_khz));
  EXPECT_TRUE(std::isnan(t.fit.pt50));
  EXPECT_FALSE(t.fit.converged);
  const nlohmann::json json = figures.to_json();
  const nlohmann::json& thr = json["thresholds"][0];
  EXPECT_TRUE(thr["plateau_eff"].is_null());
  EXPECT_TRUE(thr["fake_rate"].is_null());
  EXPECT_TRUE(thr["rate"]["rate_khz"].is_null());
  EXPECT_TRUE(thr["rate"]["rate_error_khz"].is_null());
  EXPECT_TRUE(thr["fit"]["pt90"].is_null());
  EXPECT_TRUE(thr["turn_on"][0]["efficiency"].is_null());
  EXPECT_TRUE(json["resolution"]["pt_core"]["mean"].is_null());
  EXPECT_TRUE(json["resolution"]["pt"][0]["core_sigma"].is_null());
  EXPECT_EQ(json["resolution"]["pt"][0]["lo"], 3.0);
  EXPECT_EQ(json["resolution"]["pt"].size(), 17u);
  for (const auto& [name, value] : figures.scalars()) EXPECT_TRUE(std::isnan(value)) << name;

  // Muons but no noise: the rate is NaN, the efficiency is not.
  TriggerInputs muons_only = tiny_inputs();
  muons_only.noise_pt_pred.clear();
  const ThresholdFigures m = compute_trigger_figures(muons_only, {}).thresholds[0];
  EXPECT_TRUE(std::isnan(m.rate.rate_khz));
  EXPECT_TRUE(std::isnan(m.fake_rate));
  EXPECT_DOUBLE_EQ(m.plateau_eff, 0.5);
}

TEST(TriggerFigures, ResolutionPerBinAndOverall) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> pt(3.0, 20.0), eta(0.0, 1.0);
  std::normal_distribution<double> relative(0.0, 0.1), eta_error(0.0, 0.01);
  TriggerInputs inputs;
  for (int i = 0; i < 20000; ++i) {
    const double truth = pt(rng), eta_truth = eta(rng);
    inputs.pt_true.push_back(static_cast<float>(truth));
    inputs.pt_pred.push_back(static_cast<float>(truth * (1.0 + relative(rng))));
    inputs.eta_true.push_back(static_cast<float>(eta_truth));
    inputs.eta_pred.push_back(static_cast<float>(eta_truth + eta_error(rng)));
  }
  inputs.pt_true.push_back(0.0f);  // no relative residual
  inputs.pt_pred.push_back(5.0f);
  inputs.eta_true.push_back(0.0f);
  inputs.eta_pred.push_back(0.0f);
  FigureOptions options;
  options.resolution_edges = {3, 10, 20};
  const TriggerFigures figures = compute_trigger_figures(inputs, options);
  EXPECT_EQ(figures.pt_core.n, 20000u);
  EXPECT_EQ(figures.eta_core.n, 20001u);
  EXPECT_NEAR(figures.pt_core.core_sigma, 0.1, 3 * figures.pt_core.core_sigma_error);
  ASSERT_EQ(figures.pt_resolution.size(), 2u);
  ASSERT_EQ(figures.eta_resolution.size(), 2u);
  EXPECT_EQ(figures.pt_resolution[1].lo, 10.0);
  EXPECT_EQ(figures.pt_resolution[0].fit.n + figures.pt_resolution[1].fit.n, 20000u);
  for (const ResolutionBin& bin : figures.pt_resolution) {
    EXPECT_NEAR(bin.fit.core_sigma, 0.1, 3 * bin.fit.core_sigma_error);
  }
  for (const ResolutionBin& bin : figures.eta_resolution) {
    EXPECT_NEAR(bin.fit.core_sigma, 0.01, 3 * bin.fit.core_sigma_error);
  }
  EXPECT_NEAR(figures.scalars().at("pt_resolution"), 0.1, 3 * figures.pt_core.core_sigma_error);
}

TEST(TriggerFigures, InputErrors) {
  TriggerInputs inputs;
  inputs.pt_true = {1, 2};
  inputs.pt_pred = {1};
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, {}); }),
            "trigger figures: 1 pT predictions for 2 muon events");
  inputs.pt_pred = {1, 2};
  inputs.eta_pred = {0.1f};
  inputs.eta_true = {0.1f, 0.2f};
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, {}); }),
            "trigger figures: 1 eta predictions and 2 true eta values for 2 muon events");
  inputs.eta_pred.clear();
  inputs.eta_true.clear();
  inputs.n_hits = {3};
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, {}); }),
            "trigger figures: 1 hit counts for 2 muon events");
  inputs.n_hits.clear();
  FigureOptions options;
  options.thresholds_gev.clear();
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, options); }),
            "trigger figures: no threshold");
  options = {};
  options.turn_on_edges = {5};
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, options); }),
            "trigger figures: turn-on edges must be at least two strictly ascending values");
  options = {};
  options.resolution_edges = {1, 1, 2};
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, options); }),
            "trigger figures: resolution edges must be at least two strictly ascending values");
  options = {};
  options.eta_edges = {1, 0};
  EXPECT_EQ(error_of([&] { compute_trigger_figures(inputs, options); }),
            "trigger figures: eta edges must be at least two strictly ascending values");
}

TEST(TriggerFigures, TriggerInputsCarryHitCountsFromAStore) {
  EventStore with_hits(1, 2, {"pt", "n_hits", "is_noise"});
  const float a[] = {12, 7, 0}, b[] = {0, 0, 1}, c[] = {4, 3, 0};
  with_hits.add_event(nullptr, 0, a);
  with_hits.add_event(nullptr, 0, b);
  with_hits.add_event(nullptr, 0, c);
  const TriggerInputs inputs = make_trigger_inputs(with_hits, {2, 1, 0}, {5, 11, 13}, {});
  EXPECT_EQ(inputs.n_hits, (std::vector<float>{3, 7}));
  EXPECT_EQ(inputs.pt_true, (std::vector<float>{4, 12}));

  EventStore without(1, 2, {"pt"});
  without.add_event(nullptr, 0, a);
  EXPECT_TRUE(make_trigger_inputs(without, {0}, {5}, {}).n_hits.empty());
}

}  // namespace
}  // namespace hlslim::data
