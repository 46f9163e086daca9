// The sweep report page: two Pareto scatter plots and the table of every point, as one HTML
// file with inline SVG and no script.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "hlslim/report/svg.hpp"
#include "hlslim/sweep/collect.hpp"
#include "hlslim/util/text.hpp"
#include "sweep_detail.hpp"

namespace hlslim {
namespace {

std::string point_label(const SweepTable& table, const SweepRow& row) {
  std::string label = "point " + std::to_string(row.index);
  for (std::size_t i = 0; i < table.keys.size(); ++i)
    label += "\n" + table.keys[i] + " = " + row.values[i];
  return label;
}

// One scatter plot of every completed point: x an estimate, y a figure; the Pareto front's
// points (`front`, row indices) are highlighted, labelled with their index and joined by a line.
std::string scatter_svg(const SweepTable& table, const std::string& figure, bool lower_better,
                        const std::string& x_key, const std::string& x_label,
                        const std::vector<std::size_t>& front) {
  std::vector<double> x, y;
  std::vector<std::string> labels, tooltips;
  std::vector<bool> highlighted;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const SweepRow& row = table.rows[r];
    if (row.status != PointStatus::kCompleted || !row.estimates.count(x_key) ||
        !row.figures.count(figure)) {
      continue;
    }
    x.push_back(row.estimates.at(x_key));
    y.push_back(row.figures.at(figure));
    labels.push_back(std::to_string(row.index));
    tooltips.push_back(point_label(table, row));
    highlighted.push_back(std::find(front.begin(), front.end(), r) != front.end());
  }
  std::vector<double> front_x, front_y;
  for (auto i : front) {
    front_x.push_back(table.rows[i].estimates.at(x_key));
    front_y.push_back(table.rows[i].figures.at(figure));
  }
  report::Chart chart(figure + " vs " + x_label);
  // A margin of 6 % of the range on every side, so no point sits on the frame.
  auto padded = [](const std::vector<double>& v, std::string label) {
    if (v.empty()) return report::Axis(std::move(label));
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const double pad = *hi > *lo ? 0.06 * (*hi - *lo) : std::max(std::abs(*lo) * 0.06, 1e-9);
    return report::Axis(std::move(label), report::AxisScale::linear, *lo - pad, *hi + pad);
  };
  chart.x_axis(padded(x, x_label));
  chart.y_axis(padded(y, figure + (lower_better ? " (lower is better)" : " (higher is better)")));
  chart.add(report::Series::scatter("points", x, y)
                .with_labels(labels)
                .with_tooltips(tooltips)
                .with_highlighted(highlighted)
                .with_color("#1f77b4"));
  if (front_x.size() > 1) {
    chart.add(report::Series::line("Pareto front", front_x, front_y).with_color("#d62728"));
  }
  return chart.svg() + "\n";
}

// "1.2 ± 0.2 over 3 seeds", "0.9 (1 seed)".
std::string spread_text(const Spread& s) {
  if (s.n == 0) return "n/a";
  if (std::isnan(s.std)) return report::format_number(s.mean) + " (1 seed)";
  return report::format_number(s.mean) + " ± " + report::format_number(s.std) + " over " +
         std::to_string(s.n) + " seeds";
}

// The seed groups' means of the physics figure against mean LUTs or latency (`x_key`: "lut",
// "latency_ns"), with error bars of one standard deviation over seeds both ways, the front of
// the means joined by a line, and the baseline's means at the same resources.
std::string seed_front_svg(const SweepTable& table, const std::string& x_key,
                           const std::string& x_label, const std::vector<std::size_t>& front) {
  const char* const kModel = "#0072B2";
  const char* const kBaseline = "#E69F00";
  std::vector<std::vector<std::string>> short_values;
  for (std::size_t k = 0; k < table.group_keys.size(); ++k)
    short_values.push_back(short_group_values(table, k));
  std::vector<double> x, y, y_err, bx, by, by_err, x_extent, y_extent;
  std::vector<std::string> labels, tooltips, baseline_tooltips;
  std::vector<bool> highlighted;
  std::vector<report::Series> x_bars;
  const std::string model = table.model_label.empty() ? "final model" : table.model_label;
  for (std::size_t g = 0; g < table.groups.size(); ++g) {
    const SweepGroup& group = table.groups[g];
    const Spread& xs = x_key == "lut" ? group.lut : group.latency;
    if (xs.n == 0 || group.physics.n == 0) continue;
    std::string label, tooltip;
    for (std::size_t k = 0; k < table.group_keys.size(); ++k) {
      label += (k ? ", " : "") + short_values[k][g];
      tooltip += table.group_keys[k] + " = " + group.values[k] + "\n";
    }
    const std::string resources =
        "LUT: " + spread_text(group.lut) + "\nlatency [ns]: " + spread_text(group.latency);
    x.push_back(xs.mean);
    y.push_back(group.physics.mean);
    y_err.push_back(group.physics.std);
    labels.push_back(label);
    highlighted.push_back(std::find(front.begin(), front.end(), g) != front.end());
    tooltips.push_back(tooltip + table.physics + " (" + model + "): " + spread_text(group.physics) +
                       "\n" + resources +
                       (highlighted.back() ? "\non the front of the means" : ""));
    x_extent.insert(x_extent.end(), {xs.mean, xs.mean});
    y_extent.insert(y_extent.end(), {group.physics.mean, group.physics.mean});
    if (std::isfinite(xs.std) && xs.std > 0) {
      x_bars.push_back(report::Series::line("", {xs.mean - xs.std, xs.mean + xs.std},
                                            {group.physics.mean, group.physics.mean})
                           .with_color(kModel));
      x_extent.insert(x_extent.end(), {xs.mean - xs.std, xs.mean + xs.std});
    }
    if (std::isfinite(group.physics.std))
      y_extent.insert(y_extent.end(), {group.physics.mean - group.physics.std,
                                       group.physics.mean + group.physics.std});
    if (group.baseline.n > 0) {
      bx.push_back(xs.mean);
      by.push_back(group.baseline.mean);
      by_err.push_back(group.baseline.std);
      baseline_tooltips.push_back(tooltip + table.physics + " (" + table.baseline_label +
                                  "): " + spread_text(group.baseline) + "\n" + resources +
                                  " (of the exported student)");
      y_extent.push_back(group.baseline.mean);
      if (std::isfinite(group.baseline.std))
        y_extent.insert(y_extent.end(), {group.baseline.mean - group.baseline.std,
                                         group.baseline.mean + group.baseline.std});
    }
  }
  std::vector<double> front_x, front_y;
  for (std::size_t g : front) {
    const SweepGroup& group = table.groups[g];
    front_x.push_back(x_key == "lut" ? group.lut.mean : group.latency.mean);
    front_y.push_back(group.physics.mean);
  }
  report::Chart chart(table.physics + " vs " + x_label + ", means over seeds");
  // 6 % of the range on every side but the right, which leaves 24 % for the labels.
  auto padded = [](const std::vector<double>& v, std::string label, double right) {
    if (v.empty()) return report::Axis(std::move(label));
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const double range = *hi > *lo ? *hi - *lo : std::max(std::abs(*lo), 1e-9);
    return report::Axis(std::move(label), report::AxisScale::linear, *lo - 0.06 * range,
                        *hi + right * range);
  };
  chart.x_axis(padded(x_extent, "mean " + x_label, 0.24));
  chart.y_axis(
      padded(y_extent,
             "mean " + table.physics +
                 (table.physics_lower_better ? " (lower is better)" : " (higher is better)"),
             0.06));
  for (auto& bar : x_bars) chart.add(std::move(bar));
  if (front_x.size() > 1) {
    chart.add(report::Series::line("front of the means", front_x, front_y).with_color("#d62728"));
  }
  chart.add(report::Series::markers(model, x, y, y_err)
                .with_labels(labels)
                .with_tooltips(tooltips)
                .with_highlighted(highlighted)
                .with_color(kModel));
  if (!bx.empty()) {
    chart.add(report::Series::markers(table.baseline_label + " (at the student's resources)", bx,
                                      by, by_err)
                  .with_tooltips(baseline_tooltips)
                  .with_color(kBaseline));
  }
  return chart.svg() + "\n";
}

}  // namespace

std::string sweep_html(const SweepTable& table) {
  std::ostringstream out;
  std::size_t completed = 0;
  for (const auto& row : table.rows) completed += row.status == PointStatus::kCompleted;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sweep "
      << report::xml_escape(table.name) << "</title>\n<style>\n"
      << "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
         "font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}"
         "th{background:#f2f2f2}td.text{text-align:left}tr.front{background:#fde8e8}"
         "tr.failed{background:#fff3cd}tr.missing{background:#eeeeee;color:#666}"
         ".plots{display:flex;flex-wrap:wrap;gap:16px}\n"
      << "</style>\n</head>\n<body>\n";
  out << "<h1>Sweep " << report::xml_escape(table.name) << "</h1>\n<p>"
      << report::xml_escape(table.method) << " sweep of " << table.rows.size() << " point(s), "
      << completed << " completed. Swept keys: " << report::xml_escape(join(table.keys, ", "))
      << ".";
  if (!table.shared_stages.empty())
    out << " Shared stages (run once): " << report::xml_escape(join(table.shared_stages, ", "))
        << ".";
  out << "</p>\n";

  std::vector<const SweepRow*> not_done;
  for (const auto& row : table.rows)
    if (row.status != PointStatus::kCompleted) not_done.push_back(&row);
  if (!not_done.empty()) {
    out << "<h2>Points not completed (" << not_done.size() << ")</h2>\n<ul>\n";
    for (const auto* row : not_done) {
      out << "<li>point " << row->index << ": <b>" << point_status_name(row->status) << "</b>";
      if (!row->failed_stage.empty())
        out << " in stage '" << report::xml_escape(row->failed_stage) << "'";
      if (!row->error.empty()) out << ": " << report::xml_escape(row->error);
      out << "</li>\n";
    }
    out << "</ul>\n";
  }

  if (!table.physics.empty()) {
    out << "<h2>Pareto fronts</h2>\n<p>Large, outlined points are Pareto-optimal (joined by "
           "the red line): no other completed point has both a better "
        << report::xml_escape(table.physics)
        << " and fewer resources. Hover a point for its values.</p>\n<div class=\"plots\">\n";
    out << scatter_svg(table, table.physics, table.physics_lower_better, "lut", "estimated LUTs",
                       table.front_lut);
    out << scatter_svg(table, table.physics, table.physics_lower_better, "latency_ns",
                       "estimated latency [ns]", table.front_latency);
    out << "</div>\n";
  }
  if (!table.trigger_fronts.empty()) {
    out << "<h2>Trigger figures against resources</h2>\n<p>The core pT resolution "
           "(docs/trigger-figures.md) against the estimated LUTs, with its Pareto front.</p>\n"
           "<div class=\"plots\">\n";
    for (const ParetoFront& front : table.trigger_fronts) {
      out << scatter_svg(table, front.figure, true, front.resource, "estimated LUTs", front.rows);
    }
    out << "</div>\n";
  }

  const sweep_detail::SeedFrontTable seed_table = sweep_detail::seed_front_table(table);
  if (!seed_table.rows.empty()) {
    out << "<h2>Pareto fronts over seeds</h2>\n<p>One marker per group of points that differ "
           "only in <code>seed</code>, at the group's mean over its completed seeds; error bars "
           "are one sample standard deviation over seeds of "
        << report::xml_escape(table.physics)
        << " (vertical) and of the resources (horizontal). The red line joins the groups on "
           "the front of the means: no other group has a mean "
        << report::xml_escape(table.physics)
        << " at least as good and mean resources at most as large, better in one. It is a front "
           "of means: groups whose means differ by less than their spreads are not told apart "
           "by it.";
    if (!table.baseline_label.empty()) {
      out << " The baseline (" << report::xml_escape(table.baseline_label)
          << ", trained on the truth alone) is not exported: it has the student's architecture "
             "and compression and is drawn at the student's estimated resources.";
    }
    out << " Hover a marker for its values.</p>\n<div class=\"plots\">\n";
    out << seed_front_svg(table, "lut", "estimated LUTs", table.group_front_lut);
    out << seed_front_svg(table, "latency_ns", "estimated latency [ns]", table.group_front_latency);
    out << "</div>\n<table>\n<tr>";
    for (const auto& name : seed_table.header) out << "<th>" << report::xml_escape(name) << "</th>";
    out << "</tr>\n";
    for (const auto& row : seed_table.rows) {
      out << "<tr" << (row.back().empty() ? "" : " class=\"front\"") << ">";
      for (std::size_t i = 0; i < row.size(); ++i) {
        const bool text = i < table.group_keys.size() || i + 1 == row.size();
        out << "<td" << (text ? " class=\"text\"" : "") << ">" << report::xml_escape(row[i])
            << "</td>";
      }
      out << "</tr>\n";
    }
    out << "</table>\n";
    const std::vector<std::string> legend = sweep_detail::group_value_legend(table);
    if (!legend.empty()) {
      out << "<ul class=\"legend\">\n";
      for (const std::string& line : legend) out << "<li>" << report::xml_escape(line) << "</li>\n";
      out << "</ul>\n";
    }
  }

  if (!table.groups.empty()) {
    out << "<h2>Mean and spread over seeds</h2>\n<p>Every model's test figures (and the "
           "export's estimates) as mean &plusmn; sample standard deviation over the completed "
           "points that differ only in <code>seed</code>; also in seeds.csv.</p>\n";
    for (const SweepGroup& group : table.groups) {
      std::string title;
      for (std::size_t k = 0; k < table.group_keys.size(); ++k)
        title += (k ? ", " : "") + table.group_keys[k] + " = " + group.values[k];
      out << "<h3>" << report::xml_escape(title.empty() ? "All points" : title) << " ("
          << group.seeds.size() << " seed(s): " << report::xml_escape(join(group.seeds, ", "))
          << ")</h3>\n<table>\n<tr><th>stage</th>";
      std::vector<std::string> names;
      for (const auto& stage : group.figures)
        for (const auto& entry : stage.second)
          if (std::find(names.begin(), names.end(), entry.first) == names.end())
            names.push_back(entry.first);
      for (const auto& name : names) out << "<th>" << report::xml_escape(name) << "</th>";
      out << "</tr>\n";
      for (const auto& [label, spreads] : group.figures) {
        out << "<tr><td class=\"text\">" << report::xml_escape(label) << "</td>";
        for (const auto& name : names) {
          auto it = spreads.find(name);
          out << "<td>";
          if (it != spreads.end()) {
            out << report::format_number(it->second.mean);
            if (!std::isnan(it->second.std))
              out << " &plusmn; " << report::format_number(it->second.std);
          }
          out << "</td>";
        }
        out << "</tr>\n";
      }
      out << "</table>\n";
    }
  }

  out << "<h2>Every point</h2>\n<table>\n<tr><th>point</th><th>status</th>";
  for (const auto& key : table.keys) out << "<th>" << report::xml_escape(key) << "</th>";
  for (const auto& name : table.figure_columns)
    out << "<th>" << report::xml_escape(name) << "</th>";
  for (const auto& name : table.estimate_columns)
    out << "<th>" << report::xml_escape(name) << "</th>";
  out << "<th>Pareto (LUT / latency)</th><th>error</th></tr>\n";
  for (const auto& row : table.rows) {
    const char* cls = row.status == PointStatus::kCompleted
                          ? (row.front_lut || row.front_latency ? "front" : "")
                          : (row.status == PointStatus::kMissing ? "missing" : "failed");
    out << "<tr class=\"" << cls << "\"><td>" << row.index << "</td><td class=\"text\">"
        << point_status_name(row.status) << "</td>";
    for (const auto& value : row.values) out << "<td>" << report::xml_escape(value) << "</td>";
    for (const auto& name : table.figure_columns) {
      auto it = row.figures.find(name);
      out << "<td>" << (it == row.figures.end() ? "" : report::format_number(it->second))
          << "</td>";
    }
    for (const auto& name : table.estimate_columns) {
      auto it = row.estimates.find(name);
      out << "<td>" << (it == row.estimates.end() ? "" : report::format_number(it->second))
          << "</td>";
    }
    out << "<td class=\"text\">" << (row.front_lut ? "LUT " : "")
        << (row.front_latency ? "latency" : "") << "</td><td class=\"text\">"
        << report::xml_escape(row.failed_stage.empty() ? row.error
                                                       : row.failed_stage + ": " + row.error)
        << "</td></tr>\n";
  }
  out << "</table>\n</body>\n</html>\n";
  return out.str();
}

}  // namespace hlslim
