// The trigger figures section of the run report (docs/report.md, docs/trigger-figures.md):
// turn-on curves with their erf fits at every threshold, the fit and rate table, resolution
// against true pT, efficiency against eta and hits, and rates, for every model whose final
// evaluation carries distributions["trigger"].

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "hlslim/data/trigger_figures.hpp"
#include "hlslim/report/svg.hpp"
#include "sections.hpp"

namespace hlslim::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return kNaN;
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : kNaN;
}

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// A list member, or an empty list when absent or not a list.
const nlohmann::json& list(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json& value = member(object, key);
  return value.is_array() ? value : kEmpty;
}

// A value with its error for a table cell: "n/a" without a value, the value alone without an
// error.
std::string with_error(double value, double error) {
  if (std::isnan(value)) return "n/a";
  if (std::isnan(error)) return cell(value);
  return cell(value) + " \u00b1 " + cell(error);
}

// A model with trigger figures, and its colour.
struct Model {
  const Evaluation* evaluation;
  const nlohmann::json* trigger;
  std::string color;
};

// The figures of `model` at threshold `threshold` (null when it has none there).
const nlohmann::json* at_threshold(const Model& model, double threshold) {
  for (const nlohmann::json& t : list(*model.trigger, "thresholds")) {
    if (std::abs(number(t, "threshold_gev") - threshold) <= 1e-9 * std::max(1.0, threshold))
      return &t;
  }
  return nullptr;
}

// Neighbouring error bars would hide each other: each model is shifted a little within the
// bin, by this fraction of the bin width.
double shift(std::size_t k, std::size_t models) {
  return (static_cast<double>(k) - 0.5 * static_cast<double>(models - 1)) * 0.08;
}

// Efficiency bins (lo, hi, n, n_fired, efficiency, error) as markers at the bin centres.
Series efficiency_markers(const Model& model, const nlohmann::json& bins, double offset,
                          const std::string& unit) {
  std::vector<double> x, y, err;
  std::vector<std::string> tips;
  for (const nlohmann::json& bin : bins) {
    const double lo = number(bin, "lo"), hi = number(bin, "hi");
    const double width = hi > lo ? hi - lo : 1.0;
    x.push_back(0.5 * (lo + hi) + offset * width);
    y.push_back(number(bin, "efficiency"));
    err.push_back(number(bin, "error"));
    const std::string range =
        lo == hi ? unit + " = " + format_number(lo)
                 : format_number(lo) + " \u2264 " + unit + " < " + format_number(hi);
    tips.push_back(model.evaluation->label + ": " + format_number(y.back()) + " \u00b1 " +
                   format_number(err.back()) + " (" + format_number(number(bin, "n_fired")) + "/" +
                   format_number(number(bin, "n")) + ") for " + range);
  }
  return Series::markers(model.evaluation->label, x, y, err)
      .with_color(model.color)
      .with_tooltips(tips);
}

// The fitted erf on a fine grid over the bins; nothing for a fit that did not converge.
std::optional<Series> fit_curve(const Model& model, const nlohmann::json& figures) {
  const nlohmann::json& fit = member(figures, "fit");
  const nlohmann::json& converged = member(fit, "converged");
  const double pt50 = number(fit, "pt50"), width = number(fit, "width");
  const double plateau = number(fit, "plateau");
  if (!converged.is_boolean() || !converged.get<bool>() || !std::isfinite(pt50) ||
      !std::isfinite(width) || !std::isfinite(plateau) || width <= 0.0)
    return std::nullopt;
  double lo = kNaN, hi = kNaN;
  for (const nlohmann::json& bin : list(figures, "turn_on")) {
    lo = std::isnan(lo) ? number(bin, "lo") : std::min(lo, number(bin, "lo"));
    hi = std::isnan(hi) ? number(bin, "hi") : std::max(hi, number(bin, "hi"));
  }
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo) return std::nullopt;
  constexpr int kPoints = 161;
  std::vector<double> x, y;
  for (int i = 0; i < kPoints; ++i) {
    const double pt = lo + (hi - lo) * i / (kPoints - 1);
    x.push_back(pt);
    y.push_back(plateau / 2.0 * (1.0 + std::erf((pt - pt50) / (std::sqrt(2.0) * width))));
  }
  return Series::line("", x, y).with_color(model.color);
}

std::string turn_on_charts(const std::vector<Model>& models,
                           const std::vector<double>& thresholds) {
  std::string out;
  for (const double threshold : thresholds) {
    const std::string name = format_number(threshold);
    Chart chart("Turn-on at " + name + " GeV");
    chart.id("trigger-turn-on-thr" + data::threshold_text(threshold))
        .size(560, 340)
        .legend(LegendPosition::kBottomRight);
    chart.x_axis({"true pT [GeV]"})
        .y_axis({"efficiency (fraction of muons that fire)", AxisScale::linear, 0.0, 1.05});
    for (std::size_t k = 0; k < models.size(); ++k) {
      const nlohmann::json* figures = at_threshold(models[k], threshold);
      if (!figures) continue;
      chart.add(efficiency_markers(models[k], list(*figures, "turn_on"), shift(k, models.size()),
                                   "true pT [GeV]"));
      if (auto curve = fit_curve(models[k], *figures)) chart.add(std::move(*curve));
    }
    chart.add_vline(threshold, "threshold " + name + " GeV");
    out += chart.svg();
  }
  return out;
}

std::string fit_table(const std::vector<Model>& models, const std::vector<double>& thresholds) {
  HtmlTable table({"model", "threshold [GeV]", "pT50 [GeV]", "pT90 [GeV]", "width [GeV]",
                   "plateau (fit)", "\u03c7\u00b2 / ndf", "plateau_eff", "fake_rate", "rate [kHz]"},
                  "trigger-fits");
  for (const Model& model : models) {
    for (const double threshold : thresholds) {
      const nlohmann::json* t = at_threshold(model, threshold);
      if (!t) continue;
      const nlohmann::json& fit = member(*t, "fit");
      const nlohmann::json& rate = member(*t, "rate");
      const nlohmann::json& converged = member(fit, "converged");
      std::string quality = "not converged";
      if (converged.is_boolean() && converged.get<bool>()) {
        quality = cell(number(fit, "chi2")) + " / " + cell(number(fit, "ndf"));
      }
      table.raw_row({"<span class=\"swatch\" style=\"background:" + model.color + "\"></span>" +
                         xml_escape(model.evaluation->label),
                     cell(threshold), with_error(number(fit, "pt50"), number(fit, "pt50_error")),
                     with_error(number(fit, "pt90"), number(fit, "pt90_error")),
                     with_error(number(fit, "width"), number(fit, "width_error")),
                     with_error(number(fit, "plateau"), number(fit, "plateau_error")), quality,
                     cell(number(*t, "plateau_eff")), cell(number(*t, "fake_rate")),
                     with_error(number(rate, "rate_khz"), number(rate, "rate_error_khz"))});
    }
  }
  // Many thresholds or long numbers must not push the rate column off the page.
  return "<div style=\"overflow-x:auto\">" + table.html() + "</div>";
}

// Core sigma per bin of true pT as markers, the RMS as a dashed line, for `key` ("pt", "eta").
std::string resolution_chart(const std::vector<Model>& models, const char* key,
                             const std::string& title, const std::string& axis) {
  Chart chart(title);
  chart.id(std::string("trigger-resolution-") + key).size(560, 340);
  chart.x_axis({"true pT [GeV]"}).y_axis({axis, AxisScale::linear, 0.0});
  for (std::size_t k = 0; k < models.size(); ++k) {
    const Model& model = models[k];
    std::vector<double> x, sigma, err, rms;
    std::vector<std::string> tips;
    for (const nlohmann::json& bin : list(member(*model.trigger, "resolution"), key)) {
      const double lo = number(bin, "lo"), hi = number(bin, "hi");
      x.push_back(0.5 * (lo + hi) + shift(k, models.size()) * (hi - lo));
      sigma.push_back(number(bin, "core_sigma"));
      err.push_back(number(bin, "core_sigma_error"));
      rms.push_back(number(bin, "rms"));
      tips.push_back(model.evaluation->label + ": core \u03c3 " + format_number(sigma.back()) +
                     " \u00b1 " + format_number(err.back()) + ", RMS " + format_number(rms.back()) +
                     " (" + format_number(number(bin, "n")) + " muons) for " + format_number(lo) +
                     " \u2264 true pT < " + format_number(hi) + " GeV");
    }
    if (x.empty()) continue;
    chart.add(Series::markers(model.evaluation->label, x, sigma, err)
                  .with_color(model.color)
                  .with_tooltips(tips));
    chart.add(Series::line("", x, rms).with_color(model.color).with_dashes());
  }
  return chart.empty() ? "" : chart.svg();
}

std::string resolution_table(const std::vector<Model>& models) {
  HtmlTable table({"model", "pT core \u03c3", "pT RMS", "eta core \u03c3", "eta RMS", "muons"},
                  "trigger-resolution");
  for (const Model& model : models) {
    const nlohmann::json& resolution = member(*model.trigger, "resolution");
    const nlohmann::json& pt = member(resolution, "pt_core");
    const nlohmann::json& eta = member(resolution, "eta_core");
    const bool has_eta = number(eta, "n") > 0;
    table.raw_row({"<span class=\"swatch\" style=\"background:" + model.color + "\"></span>" +
                       xml_escape(model.evaluation->label),
                   with_error(number(pt, "core_sigma"), number(pt, "core_sigma_error")),
                   cell(number(pt, "rms")),
                   has_eta ? with_error(number(eta, "core_sigma"), number(eta, "core_sigma_error"))
                           : "&ndash;",
                   has_eta ? cell(number(eta, "rms")) : "&ndash;", cell(number(pt, "n"))});
  }
  return table.html();
}

// Efficiency against `key` ("eff_vs_eta", "eff_vs_hits") at the first threshold.
std::string efficiency_chart(const std::vector<Model>& models, double threshold, const char* key,
                             const std::string& id, const std::string& axis) {
  Chart chart("Plateau efficiency vs " + axis + " at " + format_number(threshold) + " GeV");
  chart.id(id).size(560, 340).legend(LegendPosition::kBottomRight);
  chart.x_axis({axis}).y_axis({"efficiency (plateau muons)", AxisScale::linear, 0.0, 1.05});
  for (std::size_t k = 0; k < models.size(); ++k) {
    const nlohmann::json* figures = at_threshold(models[k], threshold);
    if (!figures || list(*figures, key).empty()) continue;
    chart.add(efficiency_markers(models[k], list(*figures, key), shift(k, models.size()), axis));
  }
  return chart.empty() ? "" : chart.svg();
}

std::string rate_charts(const std::vector<Model>& models, const std::vector<double>& thresholds) {
  std::vector<double> sorted = thresholds;
  std::sort(sorted.begin(), sorted.end());
  // Markers at the first and last threshold would sit on the frame, half hidden.
  const double pad = sorted.size() > 1 ? 0.06 * (sorted.back() - sorted.front()) : 1.0;
  Chart by_threshold("Trigger rate vs threshold");
  by_threshold.id("trigger-rate").size(560, 340);
  by_threshold
      .x_axis({"threshold on predicted pT [GeV]", AxisScale::linear, sorted.front() - pad,
               sorted.back() + pad})
      .y_axis({"trigger rate [kHz] (log scale)", AxisScale::log});
  Chart by_efficiency("Trigger rate vs plateau efficiency");
  by_efficiency.id("trigger-rate-vs-efficiency").size(560, 340).legend(LegendPosition::kTopLeft);
  by_efficiency.x_axis({"plateau efficiency"})
      .y_axis({"trigger rate [kHz] (log scale)", AxisScale::log});
  for (const Model& model : models) {
    std::vector<double> x, rate, err, eff;
    std::vector<std::string> labels, tips;
    for (const double threshold : sorted) {
      const nlohmann::json* t = at_threshold(model, threshold);
      if (!t) continue;
      const nlohmann::json& r = member(*t, "rate");
      x.push_back(threshold);
      rate.push_back(number(r, "rate_khz"));
      err.push_back(number(r, "rate_error_khz"));
      eff.push_back(number(*t, "plateau_eff"));
      labels.push_back(format_number(threshold) + " GeV");
      tips.push_back(model.evaluation->label + " at " + labels.back() + ": " +
                     format_number(rate.back()) + " \u00b1 " + format_number(err.back()) +
                     " kHz (muons " + format_number(number(r, "muon_khz")) + ", noise " +
                     format_number(number(r, "noise_khz")) + "), plateau efficiency " +
                     format_number(eff.back()));
    }
    if (x.empty()) continue;
    by_threshold.add(Series::markers(model.evaluation->label, x, rate, err)
                         .with_color(model.color)
                         .with_tooltips(tips));
    by_threshold.add(Series::line("", x, rate).with_color(model.color));
    by_efficiency.add(Series::scatter(model.evaluation->label, eff, rate)
                          .with_color(model.color)
                          .with_labels(labels)
                          .with_tooltips(tips));
  }
  if (by_threshold.empty()) return "";
  return by_threshold.svg() + by_efficiency.svg();
}

// The rate model's assumptions, from the run's evaluation settings.
std::string assumptions_note(const nlohmann::json& settings) {
  const double crossing = number(settings, "crossing_rate_mhz");
  const double muons = number(settings, "muons_per_crossing");
  const double index = number(settings, "spectrum_index");
  std::string text =
      "Rates of a toy: compare models, not absolute values. The rate model "
      "(<code>docs/trigger-figures.md</code>) ";
  if (std::isnan(crossing) || std::isnan(muons) || std::isnan(index)) {
    text +=
        "assumes a bunch-crossing rate, a mean number of muons per crossing in the trigger's "
        "sector and a falling muon spectrum dN/dpT \u221d pT<sup>\u2212k</sup>; this run "
        "records no evaluation settings (no <code>evaluation.json</code>), so the values its "
        "stages used are not shown.";
  } else {
    text += "assumes " + xml_escape(format_number(crossing)) + " MHz bunch crossings, a mean of " +
            xml_escape(format_number(muons)) +
            " muons per crossing in the simulated pT range in the trigger's sector (Poisson), "
            "muon pT reweighted from the flat simulated spectrum to dN/dpT \u221d pT<sup>\u2212" +
            xml_escape(format_number(index)) +
            "</sup>, and noise alone in the other crossings (<code>evaluation.json</code> "
            "settings).";
  }
  text += " Error bars are statistical only.";
  return "<p class=\"caption\" id=\"trigger-rate-assumptions\">" + text + "</p>";
}

}  // namespace

std::string trigger_section(const RunData& run, const RunSummary& summary) {
  std::vector<Model> models;
  for (const Evaluation& e : summary.finals) {
    const nlohmann::json& trigger = member(e.test, "trigger");
    if (list(trigger, "thresholds").empty()) continue;
    models.push_back({&e, &trigger, role_color(e.role, models.size())});
  }
  if (models.empty()) return "";
  // Every threshold of any model, in the order of the first that has it (the first is the
  // threshold of the figures of merit).
  std::vector<double> thresholds;
  for (const Model& model : models) {
    for (const nlohmann::json& t : list(*model.trigger, "thresholds")) {
      const double threshold = number(t, "threshold_gev");
      if (!std::isfinite(threshold)) continue;
      const bool seen = std::any_of(thresholds.begin(), thresholds.end(), [&](double known) {
        return std::abs(known - threshold) <= 1e-9 * std::max(1.0, threshold);
      });
      if (!seen) thresholds.push_back(threshold);
    }
  }
  if (thresholds.empty()) return "";
  const nlohmann::json& settings = run.evaluation_settings;
  const double offset = number(settings, "plateau_offset");
  const std::string plateau =
      std::isnan(offset) ? "true pT \u2265 T + plateau_offset"
                         : "true pT \u2265 T + " + xml_escape(format_number(offset)) + " GeV";

  std::string body = "<h3>Turn-on curves</h3><div class=\"charts\">" +
                     turn_on_charts(models, thresholds) +
                     "</div><p class=\"caption\">Fraction of test muons with predicted pT at or "
                     "above the threshold T, per bin of true pT (error bars: binomial standard "
                     "error), and the fitted curve plateau / 2 (1 + erf((pT \u2212 pT50) / "
                     "(\u221a2 width))); a fit that did not converge is not drawn.</p>";
  body += fit_table(models, thresholds);
  body +=
      "<p class=\"caption\">Fit parameters with their standard errors (pT90 = pT50 + 1.28 "
      "width); plateau_eff: fraction of the plateau muons (" +
      plateau +
      ") that fire; fake_rate: fraction of noise-only events that fire; rate: see below. "
      "n/a: not computable (a fit that did not converge, no noise events).</p>";

  std::string resolution = resolution_chart(models, "pt", "pT resolution vs true pT",
                                            "core \u03c3 of (pT pred \u2212 pT true) / pT true") +
                           resolution_chart(models, "eta", "eta resolution vs true pT",
                                            "core \u03c3 of eta pred \u2212 eta true");
  if (!resolution.empty()) {
    body += "<h3>Resolution</h3><div class=\"charts\">" + resolution + "</div>";
    body +=
        "<p class=\"caption\">Markers: sigma of a Gaussian fitted to the core of the residuals "
        "in each bin of true pT, with its error (none where a bin has too few muons for the "
        "fit); dashed: their RMS (tails included).</p>";
  }
  body += resolution_table(models);

  const double first = thresholds.front();
  const std::string efficiency =
      efficiency_chart(models, first, "eff_vs_eta", "trigger-eff-eta", "true eta") +
      efficiency_chart(models, first, "eff_vs_hits", "trigger-eff-hits", "muon hits");
  if (!efficiency.empty()) {
    body += "<h3>Efficiency against eta and hits</h3><div class=\"charts\">" + efficiency +
            "</div><p class=\"caption\">Plateau muons (" + plateau +
            ") at T = " + xml_escape(format_number(first)) +
            " GeV that fire, per bin; error bars: binomial standard error.</p>";
  }

  const std::string rates = rate_charts(models, thresholds);
  if (!rates.empty()) {
    body += "<h3>Rates</h3><div class=\"charts\">" + rates +
            "</div><p class=\"caption\">A rate of zero has no place on the log axis: the table "
            "above gives it.</p>";
  }
  body += assumptions_note(settings);

  std::string sources;
  for (const Model& model : models) {
    sources += (sources.empty() ? "" : "; ") + xml_escape(model.evaluation->label) + ": <code>" +
               xml_escape(model.evaluation->source) + ".distributions.trigger</code>";
  }
  body += "<p class=\"caption\">From " + sources + ".</p>";
  return section("trigger", "Trigger figures", body);
}

}  // namespace hlslim::report
