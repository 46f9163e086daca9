// Chart: a 2-D chart drawn as one self-contained <svg> element, step by step: ranges and scales,
// axes, reference lines, each series, the legend.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "hlslim/report/svg.hpp"

namespace hlslim::report {
namespace {

constexpr double kMarginLeft = 64.0;
constexpr double kMarginRight = 18.0;
constexpr double kMarginBottom = 46.0;
constexpr double kFontSize = 11.0;
const char* const kFont = "font-family=\"Helvetica,Arial,sans-serif\"";

// Coordinates in the SVG: one decimal is below a pixel and keeps the files small.
std::string px(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  std::string text = buffer;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text == "-0" ? "0" : text;
}

bool finite(double value) {
  return std::isfinite(value);
}

// The range one axis has to show, from the data and fixed limits.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double value, bool log) {
    if (!finite(value) || (log && value <= 0.0)) return;
    lo = std::min(lo, value);
    hi = std::max(hi, value);
  }
  bool empty() const { return lo > hi; }
};

// A resolved axis: its scale, limits and ticks.
struct Scale {
  AxisScale kind = AxisScale::linear;
  Ticks ticks;
  double pixel_lo = 0.0, pixel_hi = 1.0;

  double transform(double value) const {
    return kind == AxisScale::log ? std::log10(value) : value;
  }
  bool drawable(double value) const {
    return finite(value) && (kind == AxisScale::linear || value > 0.0);
  }
  double map(double value) const {
    const double a = transform(ticks.lo), b = transform(ticks.hi);
    const double t = b == a ? 0.5 : (transform(value) - a) / (b - a);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
};

Scale resolve_scale(const Axis& axis, Range range) {
  Scale scale;
  scale.kind = axis.scale;
  const bool log = axis.scale == AxisScale::log;
  if (axis.min && (!log || *axis.min > 0.0)) range.add(*axis.min, log);
  if (axis.max && (!log || *axis.max > 0.0)) range.add(*axis.max, log);
  if (range.empty()) range = log ? Range{0.1, 1.0} : Range{0.0, 1.0};
  double lo = range.lo, hi = range.hi;
  if (axis.min && (!log || *axis.min > 0.0)) lo = *axis.min;
  if (axis.max && (!log || *axis.max > 0.0)) hi = *axis.max;
  scale.ticks = log ? log_ticks(lo, hi) : nice_ticks(lo, hi);
  // Fixed limits win over the rounded-out ones; ticks outside them are dropped.
  if (axis.min || axis.max) {
    if (axis.min && (!log || *axis.min > 0.0)) scale.ticks.lo = *axis.min;
    if (axis.max && (!log || *axis.max > 0.0)) scale.ticks.hi = *axis.max;
    if (scale.ticks.hi <= scale.ticks.lo) scale.ticks.hi = scale.ticks.lo + 1.0;
    auto& values = scale.ticks.values;
    const double slack = 1e-9 * (scale.ticks.hi - scale.ticks.lo);
    values.erase(std::remove_if(values.begin(), values.end(),
                                [&](double v) {
                                  return v < scale.ticks.lo - slack || v > scale.ticks.hi + slack;
                                }),
                 values.end());
  }
  return scale;
}

std::string title_element(const std::vector<std::string>& tooltips, std::size_t i) {
  if (i >= tooltips.size() || tooltips[i].empty()) return "";
  return "<title>" + xml_escape(tooltips[i]) + "</title>";
}

std::string dash_attr(bool dashed) {
  return dashed ? " stroke-dasharray=\"6 4\"" : "";
}

// Polylines of consecutive drawable points; a NaN or undrawable point breaks the line.
std::vector<std::vector<std::pair<double, double>>> split_runs(
    const std::vector<std::pair<double, double>>& points, const Scale& sx, const Scale& sy) {
  std::vector<std::vector<std::pair<double, double>>> runs(1);
  for (const auto& [x, y] : points) {
    if (sx.drawable(x) && sy.drawable(y)) {
      runs.back().emplace_back(sx.map(x), sy.map(y));
    } else if (!runs.back().empty()) {
      runs.emplace_back();
    }
  }
  return runs;
}

std::string polyline(const std::vector<std::pair<double, double>>& run, const std::string& color,
                     double width, bool dashed) {
  std::string points;
  for (const auto& [x, y] : run) points += (points.empty() ? "" : " ") + px(x) + "," + px(y);
  return "<polyline fill=\"none\" stroke=\"" + xml_escape(color) + "\" stroke-width=\"" +
         px(width) + "\"" + dash_attr(dashed) + " points=\"" + points + "\"/>";
}

std::atomic<unsigned> clip_counter{0};

}  // namespace

Chart::Chart(std::string title) : title_(std::move(title)) {}

Chart& Chart::size(int width, int height) {
  width_ = std::max(160, width);
  height_ = std::max(120, height);
  return *this;
}
Chart& Chart::x_axis(Axis axis) {
  x_axis_ = std::move(axis);
  return *this;
}
Chart& Chart::y_axis(Axis axis) {
  y_axis_ = std::move(axis);
  return *this;
}
Chart& Chart::add(Series series) {
  series_.push_back(std::move(series));
  return *this;
}
Chart& Chart::add_vline(double x, std::string label, std::string color) {
  lines_.push_back({true, x, std::move(label), std::move(color)});
  return *this;
}
Chart& Chart::add_hline(double y, std::string label, std::string color) {
  lines_.push_back({false, y, std::move(label), std::move(color)});
  return *this;
}
Chart& Chart::id(std::string element_id) {
  id_ = std::move(element_id);
  return *this;
}
Chart& Chart::legend(LegendPosition position) {
  legend_ = position;
  return *this;
}

bool Chart::empty() const {
  for (const Series& s : series_) {
    const std::size_t n = s.kind == SeriesKind::step
                              ? std::min(s.y.size(), s.x.size() ? s.x.size() - 1 : 0)
                              : std::min(s.x.size(), s.y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (finite(s.x[i]) && finite(s.y[i])) return false;
    }
  }
  return true;
}

namespace {

// The ranges the axes have to show: every drawable point (with its error bar) and every
// reference line.
std::pair<Range, Range> data_ranges(const std::vector<Series>& series,
                                    const std::vector<ReferenceLine>& lines, bool x_log,
                                    bool y_log) {
  Range xr, yr;
  for (const Series& s : series) {
    if (s.kind == SeriesKind::step) {
      if (s.x.size() < 2) continue;
      const std::size_t n = std::min(s.y.size(), s.x.size() - 1);
      for (std::size_t i = 0; i < n; ++i) {
        if (!finite(s.y[i])) continue;
        xr.add(s.x[i], x_log);
        xr.add(s.x[i + 1], x_log);
        yr.add(s.y[i], y_log);
      }
      if (!y_log && n > 0) yr.add(0.0, false);  // histograms start at zero
      continue;
    }
    const std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (!finite(s.x[i]) || !finite(s.y[i])) continue;
      xr.add(s.x[i], x_log);
      yr.add(s.y[i], y_log);
      if (i < s.y_error.size() && finite(s.y_error[i])) {
        yr.add(s.y[i] - s.y_error[i], y_log);
        yr.add(s.y[i] + s.y_error[i], y_log);
      }
    }
  }
  for (const ReferenceLine& line : lines)
    (line.vertical ? xr : yr).add(line.value, line.vertical ? x_log : y_log);
  return {xr, yr};
}

// Grid, ticks, tick labels and axis labels.
std::string axes_svg(const Scale& sx, const Scale& sy, const Axis& x_axis, const Axis& y_axis,
                     int height) {
  const double plot_w = sx.pixel_hi - sx.pixel_lo, plot_h = sy.pixel_lo - sy.pixel_hi;
  std::string out = "<g stroke=\"#e3e3e3\" stroke-width=\"1\">";
  for (double v : sx.ticks.values) {
    out += "<line x1=\"" + px(sx.map(v)) + "\" x2=\"" + px(sx.map(v)) + "\" y1=\"" +
           px(sy.pixel_hi) + "\" y2=\"" + px(sy.pixel_lo) + "\"/>";
  }
  for (double v : sy.ticks.values) {
    out += "<line x1=\"" + px(sx.pixel_lo) + "\" x2=\"" + px(sx.pixel_hi) + "\" y1=\"" +
           px(sy.map(v)) + "\" y2=\"" + px(sy.map(v)) + "\"/>";
  }
  out += "</g><g fill=\"#333333\">";
  for (double v : sx.ticks.values) {
    out += "<text x=\"" + px(sx.map(v)) + "\" y=\"" + px(sy.pixel_lo + 15) +
           "\" text-anchor=\"middle\">" + xml_escape(format_number(v)) + "</text>";
  }
  for (double v : sy.ticks.values) {
    out += "<text x=\"" + px(sx.pixel_lo - 5) + "\" y=\"" + px(sy.map(v) + 4) +
           "\" text-anchor=\"end\">" + xml_escape(format_number(v)) + "</text>";
  }
  out += "</g>";
  out += "<text x=\"" + px(sx.pixel_lo + plot_w / 2) + "\" y=\"" + px(height - 10.0) +
         "\" text-anchor=\"middle\" font-size=\"12\">" + xml_escape(x_axis.label) + "</text>";
  out += "<text transform=\"translate(15," + px(sy.pixel_hi + plot_h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" + xml_escape(y_axis.label) +
         "</text>";
  return out;
}

// Dashed reference lines with their labels.
std::string reference_lines_svg(const std::vector<ReferenceLine>& lines, const Scale& sx,
                                const Scale& sy) {
  std::string out;
  for (const ReferenceLine& line : lines) {
    const Scale& s = line.vertical ? sx : sy;
    if (!s.drawable(line.value)) continue;
    const double p = s.map(line.value);
    out += line.vertical ? "<line x1=\"" + px(p) + "\" x2=\"" + px(p) + "\" y1=\"" +
                               px(sy.pixel_hi) + "\" y2=\"" + px(sy.pixel_lo) + "\""
                         : "<line x1=\"" + px(sx.pixel_lo) + "\" x2=\"" + px(sx.pixel_hi) +
                               "\" y1=\"" + px(p) + "\" y2=\"" + px(p) + "\"";
    out += " stroke=\"" + xml_escape(line.color) +
           "\" stroke-width=\"1.2\" stroke-dasharray=\"3 3\"/>";
    if (!line.label.empty()) {
      out += line.vertical ? "<text x=\"" + px(p + 4) + "\" y=\"" + px(sy.pixel_lo - 6) + "\""
                           : "<text x=\"" + px(sx.pixel_hi - 4) + "\" y=\"" + px(p - 4) +
                                 "\" text-anchor=\"end\"";
      out += " fill=\"" + xml_escape(line.color) + "\" font-size=\"10\">" + xml_escape(line.label) +
             "</text>";
    }
  }
  return out;
}

std::string line_svg(const Series& s, const std::string& color, const Scale& sx, const Scale& sy) {
  std::string out;
  std::vector<std::pair<double, double>> points;
  for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
    points.emplace_back(s.x[i], s.y[i]);
  for (const auto& run : split_runs(points, sx, sy)) {
    if (run.size() >= 2) out += polyline(run, color, 1.8, s.dashed);
    // A lone point (a one-epoch history) would otherwise not show at all.
    if (run.size() == 1) {
      out += "<circle cx=\"" + px(run[0].first) + "\" cy=\"" + px(run[0].second) +
             "\" r=\"2.5\" fill=\"" + xml_escape(color) + "\"/>";
    }
  }
  return out;
}

// Outline of the bars: up at each left edge, across, down at the right edge.
std::string step_svg(const Series& s, const std::string& color, const Scale& sx, const Scale& sy,
                     bool y_log) {
  std::string out;
  std::vector<std::pair<double, double>> points;
  const double base = y_log ? std::numeric_limits<double>::quiet_NaN() : 0.0;
  const std::size_t n = s.x.size() < 2 ? 0 : std::min(s.y.size(), s.x.size() - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double y = y_log && s.y[i] <= 0.0 ? std::numeric_limits<double>::quiet_NaN() : s.y[i];
    if (i == 0 || !finite(s.y[i - 1])) points.emplace_back(s.x[i], y_log ? sy.ticks.lo : base);
    points.emplace_back(s.x[i], y_log && !finite(y) ? sy.ticks.lo : y);
    points.emplace_back(s.x[i + 1], y_log && !finite(y) ? sy.ticks.lo : y);
  }
  if (n > 0) points.emplace_back(s.x[n], y_log ? sy.ticks.lo : base);
  for (const auto& run : split_runs(points, sx, sy)) {
    if (run.size() >= 2) out += polyline(run, color, 1.6, s.dashed);
  }
  return out;
}

// Markers (with error bars) and scatter points (with labels, tooltips and highlighting).
std::string points_svg(const Series& s, const std::string& color, const Scale& sx,
                       const Scale& sy) {
  std::string out;
  const bool scatter = s.kind == SeriesKind::scatter;
  for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
    if (!sx.drawable(s.x[i]) || !sy.drawable(s.y[i])) continue;
    const double cx = sx.map(s.x[i]), cy = sy.map(s.y[i]);
    const bool high = i < s.highlighted.size() && s.highlighted[i];
    out += "<g>" + title_element(s.tooltips, i);
    if (i < s.y_error.size() && finite(s.y_error[i]) && s.y_error[i] > 0.0) {
      const double lo = s.y[i] - s.y_error[i], hi = s.y[i] + s.y_error[i];
      const double py_lo = sy.drawable(lo) ? sy.map(lo) : sy.pixel_lo;
      const double py_hi = sy.map(hi);
      out += "<path stroke=\"" + xml_escape(color) + "\" stroke-width=\"1.2\" d=\"M" + px(cx) +
             " " + px(py_lo) + "V" + px(py_hi) + "M" + px(cx - 3) + " " + px(py_lo) + "h6M" +
             px(cx - 3) + " " + px(py_hi) + "h6\"/>";
    }
    const double r = high ? s.marker_radius * 1.5 : s.marker_radius;
    out += "<circle cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"" + px(r) + "\" fill=\"" +
           xml_escape(color) + "\"";
    if (scatter && !high) out += " fill-opacity=\"0.45\"";
    if (high) out += " stroke=\"#000000\" stroke-width=\"1.5\"";
    out += "/>";
    if (i < s.labels.size() && !s.labels[i].empty()) {
      out += "<text x=\"" + px(cx + r + 3) + "\" y=\"" + px(cy - r - 1) + "\" font-size=\"10\"" +
             (high ? " font-weight=\"bold\"" : "") + ">" + xml_escape(s.labels[i]) + "</text>";
    }
    out += "</g>";
  }
  return out;
}

std::string series_svg(const Series& s, const std::string& color, const Scale& sx, const Scale& sy,
                       bool y_log) {
  switch (s.kind) {
    case SeriesKind::line:
      return line_svg(s, color, sx, sy);
    case SeriesKind::step:
      return step_svg(s, color, sx, sy, y_log);
    case SeriesKind::markers:
    case SeriesKind::scatter:
      return points_svg(s, color, sx, sy);
  }
  return "";
}

// A sample of each named series' mark, then its name, in a box in one corner of the plot.
std::string legend_svg(const std::vector<Series>& series, LegendPosition position, const Scale& sx,
                       const Scale& sy) {
  std::vector<std::size_t> named;
  std::size_t longest = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (series[i].name.empty()) continue;
    named.push_back(i);
    longest = std::max(longest, series[i].name.size());
  }
  bool left = false, bottom = false;
  switch (position) {
    case LegendPosition::kNone:
      return "";
    case LegendPosition::kTopRight:
      break;
    case LegendPosition::kTopLeft:
      left = true;
      break;
    case LegendPosition::kBottomRight:
      bottom = true;
      break;
    case LegendPosition::kBottomLeft:
      left = bottom = true;
      break;
  }
  if (named.empty()) return "";
  const double row = 16.0;
  const double box_w = 34.0 + 6.2 * static_cast<double>(longest);
  const double box_h = 8.0 + row * static_cast<double>(named.size());
  const double x0 = left ? sx.pixel_lo + 8 : sx.pixel_hi - 8 - box_w;
  const double y0 = bottom ? sy.pixel_lo - 8 - box_h : sy.pixel_hi + 8;
  std::string out = "<g><rect x=\"" + px(x0) + "\" y=\"" + px(y0) + "\" width=\"" + px(box_w) +
                    "\" height=\"" + px(box_h) +
                    "\" fill=\"#ffffff\" fill-opacity=\"0.88\" stroke=\"#bbbbbb\" rx=\"3\"/>";
  for (std::size_t k = 0; k < named.size(); ++k) {
    const Series& s = series[named[k]];
    const std::string color = s.color.empty() ? palette_color(named[k]) : s.color;
    const double y = y0 + 4 + row * (static_cast<double>(k) + 0.5);
    if (s.kind == SeriesKind::markers || s.kind == SeriesKind::scatter) {
      out += "<circle cx=\"" + px(x0 + 15) + "\" cy=\"" + px(y) + "\" r=\"3.5\" fill=\"" +
             xml_escape(color) + "\"/>";
    } else {
      out += "<line x1=\"" + px(x0 + 6) + "\" x2=\"" + px(x0 + 24) + "\" y1=\"" + px(y) +
             "\" y2=\"" + px(y) + "\" stroke=\"" + xml_escape(color) + "\" stroke-width=\"2\"" +
             dash_attr(s.dashed) + "/>";
    }
    out +=
        "<text x=\"" + px(x0 + 30) + "\" y=\"" + px(y + 4) + "\">" + xml_escape(s.name) + "</text>";
  }
  return out + "</g>";
}

}  // namespace

std::string Chart::svg() const {
  const bool x_log = x_axis_.scale == AxisScale::log;
  const bool y_log = y_axis_.scale == AxisScale::log;
  const auto [xr, yr] = data_ranges(series_, lines_, x_log, y_log);

  const double top = title_.empty() ? 12.0 : 30.0;
  Scale sx = resolve_scale(x_axis_, xr);
  Scale sy = resolve_scale(y_axis_, yr);
  sx.pixel_lo = kMarginLeft;
  sx.pixel_hi = width_ - kMarginRight;
  sy.pixel_lo = height_ - kMarginBottom;  // y grows upwards
  sy.pixel_hi = top;
  const double plot_w = sx.pixel_hi - sx.pixel_lo, plot_h = sy.pixel_lo - sy.pixel_hi;

  const std::string clip = "clip-" + (id_.empty() ? std::to_string(clip_counter++) : id_);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\"";
  if (!id_.empty()) out += " id=\"" + xml_escape(id_) + "\"";
  out += " width=\"" + std::to_string(width_) + "\" height=\"" + std::to_string(height_) +
         "\" viewBox=\"0 0 " + std::to_string(width_) + " " + std::to_string(height_) +
         "\" role=\"img\" aria-label=\"" + xml_escape(title_) + "\" " + kFont + " font-size=\"" +
         px(kFontSize) + "\">";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>";
  out += "<defs><clipPath id=\"" + xml_escape(clip) + "\"><rect x=\"" + px(sx.pixel_lo) +
         "\" y=\"" + px(sy.pixel_hi) + "\" width=\"" + px(plot_w) + "\" height=\"" + px(plot_h) +
         "\"/></clipPath></defs>";
  if (!title_.empty()) {
    out += "<text x=\"" + px(kMarginLeft) + "\" y=\"19\" font-size=\"13\" font-weight=\"bold\">" +
           xml_escape(title_) + "</text>";
  }
  out += axes_svg(sx, sy, x_axis_, y_axis_, height_);

  // Data, clipped to the plot area.
  out += "<g clip-path=\"url(#" + xml_escape(clip) + ")\">";
  out += reference_lines_svg(lines_, sx, sy);
  for (std::size_t index = 0; index < series_.size(); ++index) {
    const Series& s = series_[index];
    const std::string color = s.color.empty() ? palette_color(index) : s.color;
    out += "<g>" + series_svg(s, color, sx, sy, y_log) + "</g>";
  }
  out += "</g>";
  out += "<rect x=\"" + px(sx.pixel_lo) + "\" y=\"" + px(sy.pixel_hi) + "\" width=\"" + px(plot_w) +
         "\" height=\"" + px(plot_h) + "\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1\"/>";
  if (empty()) {
    out += "<text x=\"" + px(sx.pixel_lo + plot_w / 2) + "\" y=\"" + px(sy.pixel_hi + plot_h / 2) +
           "\" text-anchor=\"middle\" fill=\"#888888\" font-size=\"14\">no data</text>";
  }
  out += legend_svg(series_, legend_, sx, sy);
  out += "</svg>";
  return out;
}

}  // namespace hlslim::report
