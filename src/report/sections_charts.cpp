// The chart sections of the run report: training curves, turn-on curves, residuals, and the
// table of every evaluation.

#include <cmath>
#include <limits>

#include "hlslim/report/svg.hpp"
#include "sections.hpp"

namespace hlslim::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : kNaN;
}

bool any_has(const std::vector<History>& histories, const std::string& key) {
  for (const History& h : histories) {
    for (const nlohmann::json& e : h.epochs) {
      if (e.contains(key) && e[key].is_number()) return true;
    }
  }
  return false;
}

std::vector<double> column(const History& history, const std::string& key) {
  std::vector<double> values;
  for (const nlohmann::json& e : history.epochs) values.push_back(number(e, key.c_str()));
  return values;
}

std::vector<double> epochs(const History& history) {
  std::vector<double> values;
  for (std::size_t i = 0; i < history.epochs.size(); ++i) {
    const double epoch = number(history.epochs[i], "epoch");
    values.push_back(std::isnan(epoch) ? static_cast<double>(i + 1) : epoch);
  }
  return values;
}

// The colour of a history's curves: the student's for the distilled one, the baseline's,
// otherwise the role of the stage's model.
std::string history_color(const History& history, const StageData& stage, const RunSummary& summary,
                          std::size_t index) {
  if (history.label == "distilled") return role_color(Role::student);
  if (history.label == "baseline") return role_color(Role::baseline);
  std::string model;
  if (stage.metrics && stage.metrics->contains("model") && (*stage.metrics)["model"].is_string()) {
    model = (*stage.metrics)["model"].get<std::string>();
  }
  return role_color(role_of(summary, model), index);
}

std::string unit_label(const std::string& key) {
  if (key == "pt_spread" || key == "pt_mae") return "validation " + key + " [GeV]";
  return "validation " + key;
}

}  // namespace

std::string training_section(const RunData& run, const RunSummary& summary) {
  std::string body;
  for (const StageData& stage : run.stages) {
    if (stage.histories.empty()) continue;
    bool has_epochs = false;
    for (const History& h : stage.histories) has_epochs |= !h.epochs.empty();
    body += "<h3>" + xml_escape(stage.dir + " (" + stage.type + ")") + "</h3>";
    if (!has_epochs) {
      body += note("The history files of this stage hold no epochs.");
      continue;
    }
    const bool single = stage.histories.size() == 1;
    Chart loss("Loss");
    loss.id("loss-" + stage.name).size(370, 270);
    loss.x_axis({"epoch"}).y_axis({"loss"});
    std::string monitor;
    for (const char* key : {"pt_spread", "roc_auc", "accuracy", "pt_mae", "eta_mae"}) {
      if (monitor.empty() && any_has(stage.histories, key)) monitor = key;
    }
    Chart metric("Validation " + monitor);
    metric.id("metric-" + stage.name).size(370, 270);
    metric.x_axis({"epoch"}).y_axis({unit_label(monitor)});
    Chart rate("Learning rate");
    rate.id("lr-" + stage.name).size(350, 270);
    rate.x_axis({"epoch"}).y_axis({"learning rate", AxisScale::log});
    for (std::size_t i = 0; i < stage.histories.size(); ++i) {
      const History& h = stage.histories[i];
      const std::string color = history_color(h, stage, summary, i);
      const std::string prefix = single ? "" : h.label + " ";
      const auto x = epochs(h);
      loss.add(Series::line(prefix + "train", x, column(h, "loss")).with_color(color));
      loss.add(Series::line(prefix + "validation", x, column(h, "val_loss"))
                   .with_color(color)
                   .with_dashes());
      if (!monitor.empty()) {
        metric.add(
            Series::line(single ? monitor : h.label, x, column(h, monitor)).with_color(color));
      }
      rate.add(
          Series::line(single ? "" : h.label, x, column(h, "learning_rate")).with_color(color));
    }
    if (single && stage.metrics) {
      const double best = number(*stage.metrics, "best_epoch");
      if (!std::isnan(best)) {
        loss.add_vline(best, "best epoch");
        metric.add_vline(best, "best epoch");
      }
    }
    body += "<div class=\"charts\">" + loss.svg();
    if (!monitor.empty()) body += metric.svg();
    if (any_has(stage.histories, "learning_rate")) body += rate.svg();
    body += "</div><p class=\"caption\">From ";
    for (std::size_t i = 0; i < stage.histories.size(); ++i) {
      body += (i ? ", <code>" : "<code>") + xml_escape(stage.histories[i].file) + "</code>";
    }
    body += " (one line per epoch; solid: training loss, dashed: validation loss).</p>";
  }
  if (body.empty()) body = note("No stage of this run wrote a training history.");
  return section("training", "Training and validation curves", body);
}

std::string turn_on_section(const RunSummary& summary) {
  std::vector<const Evaluation*> curves;
  for (const Evaluation& e : summary.finals) {
    if (e.test.contains("turn_on") && e.test["turn_on"].is_array() && !e.test["turn_on"].empty()) {
      curves.push_back(&e);
    }
  }
  if (curves.empty()) {
    return section("turn-on", "Trigger turn-on",
                   note("No turn-on curves: no stage evaluated trigger figures (a classification "
                        "run, or no evaluating stage has completed)."));
  }
  Chart chart("Trigger efficiency vs true pT");
  chart.id("turn-on-chart").size(780, 420).legend(LegendPosition::kBottomRight);
  chart.x_axis({"true pT [GeV]"})
      .y_axis({"efficiency (fraction of muons that fire)", AxisScale::linear, 0.0, 1.05});
  double threshold = kNaN;
  std::string caption;
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const Evaluation& e = *curves[k];
    std::vector<double> x, y, err;
    std::vector<std::string> tips;
    // Neighbouring error bars would hide each other: shift each model a little within the bin.
    const double shift =
        (static_cast<double>(k) - 0.5 * static_cast<double>(curves.size() - 1)) * 0.08;
    for (const nlohmann::json& bin : e.test["turn_on"]) {
      const double lo = number(bin, "lo"), hi = number(bin, "hi");
      x.push_back(0.5 * (lo + hi) + shift * (hi - lo));
      y.push_back(number(bin, "efficiency"));
      err.push_back(number(bin, "error"));
      tips.push_back(e.label + ": " + format_number(y.back()) + " \u00b1 " +
                     format_number(err.back()) + " (" + format_number(number(bin, "n_fired")) +
                     "/" + format_number(number(bin, "n")) + ") for " + format_number(lo) +
                     " \u2264 pT < " + format_number(hi) + " GeV");
    }
    chart.add(
        Series::markers(e.label, x, y, err).with_color(role_color(e.role, k)).with_tooltips(tips));
    chart.add(Series::line("", x, y).with_color(role_color(e.role, k)));
    if (std::isnan(threshold)) threshold = number(e.test, "threshold_gev");
    caption += (caption.empty() ? "" : "; ") + e.label + ": <code>" + xml_escape(e.source) +
               ".turn_on</code>";
  }
  if (!std::isnan(threshold))
    chart.add_vline(threshold, "threshold " + format_number(threshold) + " GeV");
  return section("turn-on", "Trigger turn-on",
                 "<div class=\"charts\">" + chart.svg() +
                     "</div><p class=\"caption\">Fraction of test muons with predicted pT at or "
                     "above the threshold, per bin of true pT; error bars: binomial standard "
                     "error. From " +
                     caption + ".</p>");
}

std::string residuals_section(const RunSummary& summary) {
  struct Kind {
    const char* key;
    const char* title;
    const char* axis;
  };
  std::string charts, caption;
  for (const Kind kind : {Kind{"pt", "Relative pT residual", "(pT pred \u2212 pT true) / pT true"},
                          Kind{"eta", "eta residual", "eta pred \u2212 eta true"}}) {
    Chart chart(kind.title);
    chart.id(std::string("residual-") + kind.key).size(560, 340);
    chart.x_axis({kind.axis}).y_axis({"test muons per bin"});
    std::size_t index = 0;
    for (const Evaluation& e : summary.finals) {
      const auto residuals = e.test.find("residuals");
      if (residuals == e.test.end() || !residuals->is_object()) continue;
      const auto h = residuals->find(kind.key);
      if (h == residuals->end() || !h->is_object() || !h->contains("edges") ||
          !h->contains("counts"))
        continue;
      std::vector<double> edges, counts;
      for (const auto& v : (*h)["edges"]) edges.push_back(v.is_number() ? v.get<double>() : kNaN);
      for (const auto& v : (*h)["counts"]) counts.push_back(v.is_number() ? v.get<double>() : kNaN);
      if (edges.size() != counts.size() + 1) continue;
      chart.add(Series::step(e.label, edges, counts).with_color(role_color(e.role, index++)));
      caption += "<li>" + xml_escape(e.label) + ", " + kind.key + ": underflow " +
                 format_number(number(*h, "underflow")) + ", overflow " +
                 format_number(number(*h, "overflow")) + " (<code>" + xml_escape(e.source) +
                 ".residuals." + kind.key + "</code>)</li>";
    }
    if (!chart.empty()) charts += chart.svg();
  }
  if (charts.empty()) {
    return section("residuals", "Residuals",
                   note("No residual histograms: the metrics of this run have no \"residuals\" "
                        "(a classification run, or one written before they were recorded)."));
  }
  return section("residuals", "pT and eta residuals",
                 "<div class=\"charts\">" + charts +
                     "</div><p class=\"caption\">Test muons per residual bin; values outside the "
                     "bins:</p><ul class=\"caption\">" +
                     caption + "</ul>");
}

std::string figures_section(const RunSummary& summary) {
  if (summary.evaluations.empty()) {
    return section("figures", "Figures of merit", note("No stage wrote test figures of merit."));
  }
  const std::vector<std::string> columns = figure_columns(summary.evaluations);
  std::vector<std::string> header = {"stage", "model"};
  header.insert(header.end(), columns.begin(), columns.end());
  header.push_back("source");
  HtmlTable table(header);
  for (const Evaluation& e : summary.evaluations) {
    std::vector<std::string> cells = {xml_escape(e.stage), xml_escape(e.label)};
    for (const auto& c : columns) cells.push_back(cell(figure(e.test, c)));
    cells.push_back("<code>" + xml_escape(e.source) + "</code>");
    table.raw_row(cells);
  }
  return section("figures", "Figures of merit of every evaluation",
                 table.html() +
                     "<p class=\"caption\">Test set figures (docs/muon-trigger.md): "
                     "pT figures in GeV, efficiencies and rates as fractions.</p>");
}

}  // namespace hlslim::report
