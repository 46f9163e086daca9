// The section of the run report for classifiers over several softmax classes: per final model,
// its confusion matrix as a heat-map table and the ROC curve of each class against the rest.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hlslim/report/svg.hpp"
#include "sections.hpp"

namespace hlslim::report {
namespace {

// A cell of the confusion matrix: the count and its share of the true class's events, shaded
// by that share (blue on the diagonal, vermillion off it).
std::string confusion_cell(std::size_t count, std::size_t row_total, bool diagonal) {
  const double share =
      row_total ? static_cast<double>(count) / static_cast<double>(row_total) : 0.0;
  char style[96];
  std::snprintf(style, sizeof(style), " style=\"background: rgba(%s, %.3f)\"",
                diagonal ? "0, 114, 178" : "213, 94, 0", std::min(1.0, share) * 0.85);
  char text[64];
  std::snprintf(text, sizeof(text), "%zu<br><small>%.1f %%</small>", count, 100.0 * share);
  return "<td class=\"num\"" + std::string(style) + ">" + text + "</td>";
}

std::string confusion_table(const nlohmann::json& classes, const nlohmann::json& confusion) {
  std::string html = "<table class=\"confusion\"><thead><tr><th>true \\ predicted</th>";
  for (const auto& name : classes) html += "<th>" + xml_escape(name.get<std::string>()) + "</th>";
  html += "<th>events</th></tr></thead><tbody>";
  for (std::size_t r = 0; r < confusion.size() && r < classes.size(); ++r) {
    std::size_t total = 0;
    for (const auto& count : confusion[r]) total += count.get<std::size_t>();
    html += "<tr><th>" + xml_escape(classes[r].get<std::string>()) + "</th>";
    for (std::size_t c = 0; c < confusion[r].size(); ++c) {
      html += confusion_cell(confusion[r][c].get<std::size_t>(), total, r == c);
    }
    html += "<td class=\"num\">" + std::to_string(total) + "</td></tr>";
  }
  return html + "</tbody></table>";
}

std::string roc_chart(const Evaluation& e, std::size_t index) {
  Chart chart("ROC curves, one class against the rest: " + e.label);
  chart.id("roc-" + std::to_string(index)).size(480, 360);
  chart.x_axis({"false-positive rate", AxisScale::linear, 0.0, 1.0})
      .y_axis({"true-positive rate", AxisScale::linear, 0.0, 1.0})
      .legend(LegendPosition::kBottomRight);
  const nlohmann::json& curves = e.test["roc_curves"];
  const nlohmann::json aucs = e.test.value("class_roc_auc", nlohmann::json::object());
  std::size_t k = 0;
  for (const auto& name_json : e.test["classes"]) {
    const std::string name = name_json.get<std::string>();
    if (!curves.contains(name) || !curves[name].is_object()) continue;
    const auto fpr = curves[name].value("fpr", std::vector<double>());
    const auto tpr = curves[name].value("tpr", std::vector<double>());
    const double auc =
        aucs.contains(name) && aucs[name].is_number() ? aucs[name].get<double>() : NAN;
    chart.add(Series::line(name + " (AUC " + format_number(auc, 3) + ")", fpr, tpr)
                  .with_color(palette_color(k++)));
  }
  chart.add(Series::line("", {0.0, 1.0}, {0.0, 1.0}).with_color("#bbbbbb").with_dashes());
  return chart.svg();
}

}  // namespace

std::string classes_section(const RunSummary& summary) {
  std::string body;
  std::size_t index = 0;
  for (const Evaluation& e : summary.finals) {
    if (!e.test.contains("confusion") || !e.test.contains("classes") ||
        !e.test["classes"].is_array() || !e.test["confusion"].is_array()) {
      continue;
    }
    body += "<h3>" + xml_escape(e.label + " (" + e.stage + ")") + "</h3>";
    body += "<p>top-1 accuracy <b>" + cell(figure(e.test, "accuracy")) +
            "</b> &middot; macro ROC AUC <b>" + cell(figure(e.test, "roc_auc")) + "</b></p>";
    body += confusion_table(e.test["classes"], e.test["confusion"]);
    if (e.test.contains("roc_curves") && e.test["roc_curves"].is_object()) {
      body += roc_chart(e, index);
    }
    ++index;
  }
  if (body.empty()) return "";
  return section("classes", "Classes",
                 note("Test set. Rows of each confusion matrix are the true classes, columns the "
                      "most probable class; the shade is the share of the row. Figures are "
                      "computed from the softmax of the logits (a trailing softmax layer is "
                      "left out, as in the firmware).") +
                     body);
}

}  // namespace hlslim::report
