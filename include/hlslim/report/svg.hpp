#pragma once

// Small, dependency-free SVG charts for self-contained HTML reports: axes with "nice" ticks
// (linear or log), lines, markers with error bars, step histograms, scatter points with labels,
// tooltips and highlighting, reference lines and a legend. Output is one <svg> element with
// inline presentation attributes only (no CSS classes it depends on, no script), so it renders
// the same anywhere it is pasted.
//
//   Chart chart("Turn-on");
//   chart.x_axis({"true pT [GeV]"}).y_axis({"efficiency", AxisScale::linear, 0.0, 1.05});
//   chart.add(Series::markers("student", x, eff, err).with_color("#d62728"));
//   chart.add_vline(10.0, "threshold");
//   std::string svg = chart.svg();

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hlslim::report {

/// Escapes &, <, >, " and ' so that `text` is safe as XML/HTML text and attribute value.
std::string xml_escape(std::string_view text);

/// A number for labels and tables: integers below 1e15 in full ("1611024"), others with at most
/// `significant` significant digits, no trailing zeros, and no exponent between 1e-4 and 1e6
/// ("0.25", "3e-06", "2.5e+07" for 2.5e7 + 0.5); NaN gives "n/a", infinities "inf"/"-inf", -0
/// gives "0".
std::string format_number(double value, int significant = 4);

/// Tick positions of an axis.
struct Ticks {
  double lo = 0.0;             ///< axis start (a multiple of step for linear ticks)
  double hi = 1.0;             ///< axis end
  double step = 0.0;           ///< spacing of linear ticks (0 for log ticks)
  std::vector<double> values;  ///< ticks, ascending, all within [lo, hi]
};

/// Linear ticks at multiples of 1, 2 or 5 x 10^k, about `target` of them (at least 2), with the
/// axis widened outwards to the nearest multiples covering [lo, hi]. lo == hi (or lo > hi after
/// swapping) gives a unit range around the value; non-finite inputs give [0, 1].
Ticks nice_ticks(double lo, double hi, int target = 6);

/// Log ticks at the decades 10^k covering [lo, hi] (lo, hi > 0; otherwise [0.1, 1]); when the
/// range spans less than two decades, 2 x and 5 x 10^k are added.
Ticks log_ticks(double lo, double hi);

/// Axis scale.
enum class AxisScale { linear, log };

/// One axis: its label (with the unit, e.g. "true pT [GeV]"), scale and optional fixed limits.
/// Unset limits come from the data (all series, error bars and reference lines), rounded out to
/// nice ticks. On a log axis values <= 0 are not drawn.
struct Axis {
  Axis(std::string label_text = "", AxisScale axis_scale = AxisScale::linear,
       std::optional<double> fixed_min = std::nullopt,
       std::optional<double> fixed_max = std::nullopt)
      : label(std::move(label_text)), scale(axis_scale), min(fixed_min), max(fixed_max) {}

  std::string label;
  AxisScale scale = AxisScale::linear;
  std::optional<double> min;
  std::optional<double> max;
};

/// How a series is drawn.
enum class SeriesKind {
  line,     ///< polyline through (x, y); NaN values break the line
  markers,  ///< circles at (x, y), with vertical error bars when y_error is given
  step,     ///< step histogram: x holds the n + 1 bin edges of the n values in y
  scatter,  ///< points with optional text labels, <title> tooltips and highlighting
};

/// One data series. Build with the factories; the with_* setters return *this for chaining.
/// Points with a NaN coordinate are skipped.
struct Series {
  SeriesKind kind = SeriesKind::line;
  std::string name;   ///< legend entry; empty: not in the legend
  std::string color;  ///< any CSS colour; empty: the palette colour of the series' index
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> y_error;        ///< markers: symmetric error of each y (empty: none)
  std::vector<std::string> labels;    ///< scatter: text drawn next to each point (may be empty)
  std::vector<std::string> tooltips;  ///< markers/scatter: <title> of each point (may be empty)
  std::vector<bool> highlighted;      ///< scatter: drawn larger, filled, outlined (may be empty)
  bool dashed = false;                ///< line/step: dashed stroke
  double marker_radius = 3.5;

  static Series line(std::string name, std::vector<double> x, std::vector<double> y);
  static Series markers(std::string name, std::vector<double> x, std::vector<double> y,
                        std::vector<double> y_error = {});
  /// `edges` has values.size() + 1 ascending entries.
  static Series step(std::string name, std::vector<double> edges, std::vector<double> values);
  static Series scatter(std::string name, std::vector<double> x, std::vector<double> y);

  Series& with_color(std::string css_color);
  Series& with_dashes(bool on = true);
  Series& with_labels(std::vector<std::string> point_labels);
  Series& with_tooltips(std::vector<std::string> point_tooltips);
  Series& with_highlighted(std::vector<bool> point_highlighted);
};

/// A horizontal or vertical reference line (a threshold, a target), labelled at its end.
struct ReferenceLine {
  bool vertical = true;
  double value = 0.0;
  std::string label;
  std::string color = "#888888";
};

/// The i-th colour of the default palette (colour-blind-safe, cycles after 8).
const char* palette_color(std::size_t index);

/// Where the legend sits inside the plot area.
enum class LegendPosition { kTopRight, kTopLeft, kBottomRight, kBottomLeft, kNone };

/// A 2-D chart: axes, series, reference lines, legend, optional title; svg() renders it.
class Chart {
 public:
  explicit Chart(std::string title = "");

  Chart& size(int width, int height);  ///< pixels of the whole <svg> (default 560 x 340)
  Chart& x_axis(Axis axis);
  Chart& y_axis(Axis axis);
  Chart& add(Series series);
  Chart& add_vline(double x, std::string label = "", std::string color = "#888888");
  Chart& add_hline(double y, std::string label = "", std::string color = "#888888");
  Chart& id(std::string element_id);  ///< id attribute of the <svg> element
  /// Legend placement (default: top right).
  Chart& legend(LegendPosition position);

  const std::vector<Series>& series() const { return series_; }
  bool empty() const;  ///< no series has a drawable point

  /// One <svg> element with width, height, viewBox, role="img" and an aria-label (the title).
  /// A chart without drawable points shows its axes and the note "no data".
  std::string svg() const;

 private:
  std::string title_;
  int width_ = 560;
  int height_ = 340;
  Axis x_axis_;
  Axis y_axis_;
  std::vector<Series> series_;
  std::vector<ReferenceLine> lines_;
  std::string id_;
  LegendPosition legend_ = LegendPosition::kTopRight;
};

}  // namespace hlslim::report
