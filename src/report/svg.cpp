// The SVG primitives the charts are made of: escaping, number formatting, axis ticks, the
// palette and data series. Chart (chart.cpp) draws them.
#include "hlslim/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace hlslim::report {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_number(double value, int significant) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  significant = std::max(1, significant);
  const double magnitude = std::abs(value);
  char buffer[64];
  std::string text;
  if (magnitude >= 1.0 && magnitude < 1e15 && value == std::floor(value)) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);  // counts in full: 1611024, not 1.611e+06
    text = buffer;
  } else if (magnitude == 0.0 || (magnitude >= 1e-4 && magnitude < 1e6)) {
    const int exponent = magnitude == 0.0 ? 0 : static_cast<int>(std::floor(std::log10(magnitude)));
    const int decimals = std::max(0, significant - 1 - exponent);
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    text = buffer;
    if (text.find('.') != std::string::npos) {
      while (text.back() == '0') text.pop_back();
      if (text.back() == '.') text.pop_back();
    }
  } else {
    std::snprintf(buffer, sizeof buffer, "%.*g", significant, value);
    text = buffer;
  }
  return text == "-0" ? "0" : text;
}

Ticks nice_ticks(double lo, double hi, int target) {
  Ticks ticks;
  if (!finite(lo) || !finite(hi)) lo = 0.0, hi = 1.0;
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    const double half =
        lo == 0.0 ? 0.5 : 0.5 * std::pow(10.0, std::floor(std::log10(std::abs(lo))));
    lo -= half;
    hi += half;
  }
  target = std::max(2, target);
  const double raw = (hi - lo) / static_cast<double>(target - 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  // Rounded to the nearest of 1, 2, 5, 10 so that about `target` ticks result.
  const double nice = fraction < 1.5 ? 1.0 : fraction < 3.0 ? 2.0 : fraction < 7.0 ? 5.0 : 10.0;
  ticks.step = nice * power;
  // Integer multiples of the step, so 0.1 + 0.2 never shows up as 0.30000000000000004.
  const double first = std::floor(lo / ticks.step + 1e-9);
  const double last = std::ceil(hi / ticks.step - 1e-9);
  ticks.lo = first * ticks.step;
  ticks.hi = last * ticks.step;
  for (double k = first; k <= last + 0.5; k += 1.0) {
    const double value = k * ticks.step;
    ticks.values.push_back(std::abs(value) < 1e-12 * ticks.step ? 0.0 : value);
  }
  return ticks;
}

Ticks log_ticks(double lo, double hi) {
  Ticks ticks;
  if (!(lo > 0.0) || !(hi > 0.0) || !finite(lo) || !finite(hi)) lo = 0.1, hi = 1.0;
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) lo /= 3.0, hi *= 3.0;  // a constant stays off the frame
  const double first = std::floor(std::log10(lo) + 1e-9);
  double last = std::ceil(std::log10(hi) - 1e-9);
  if (last <= first) last = first + 1.0;
  ticks.lo = std::pow(10.0, first);
  ticks.hi = std::pow(10.0, last);
  const bool few_decades = last - first < 2.0;
  for (double k = first; k <= last + 0.5; k += 1.0) {
    const double decade = std::pow(10.0, k);
    ticks.values.push_back(decade);
    if (few_decades && k < last - 0.5) {
      ticks.values.push_back(2.0 * decade);
      ticks.values.push_back(5.0 * decade);
    }
  }
  return ticks;
}

const char* palette_color(std::size_t index) {
  // Okabe-Ito, reordered so the first colours differ most.
  static const char* const kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                         "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

Series Series::line(std::string name, std::vector<double> x, std::vector<double> y) {
  Series s;
  s.kind = SeriesKind::line;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

Series Series::markers(std::string name, std::vector<double> x, std::vector<double> y,
                       std::vector<double> y_error) {
  Series s = line(std::move(name), std::move(x), std::move(y));
  s.kind = SeriesKind::markers;
  s.y_error = std::move(y_error);
  return s;
}

Series Series::step(std::string name, std::vector<double> edges, std::vector<double> values) {
  Series s = line(std::move(name), std::move(edges), std::move(values));
  s.kind = SeriesKind::step;
  return s;
}

Series Series::scatter(std::string name, std::vector<double> x, std::vector<double> y) {
  Series s = line(std::move(name), std::move(x), std::move(y));
  s.kind = SeriesKind::scatter;
  s.marker_radius = 4.0;
  return s;
}

Series& Series::with_color(std::string css_color) {
  color = std::move(css_color);
  return *this;
}
Series& Series::with_dashes(bool on) {
  dashed = on;
  return *this;
}
Series& Series::with_labels(std::vector<std::string> point_labels) {
  labels = std::move(point_labels);
  return *this;
}
Series& Series::with_tooltips(std::vector<std::string> point_tooltips) {
  tooltips = std::move(point_tooltips);
  return *this;
}
Series& Series::with_highlighted(std::vector<bool> point_highlighted) {
  highlighted = std::move(point_highlighted);
  return *this;
}

}  // namespace hlslim::report
