#include "hlslim/report/svg.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

namespace hlslim::report {
namespace {

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(Svg, EscapesMarkup) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_EQ(xml_escape("plain"), "plain");
  const std::string svg = Chart("<script>").x_axis({"x & y"}).svg();
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("x &amp; y"), std::string::npos);
}

TEST(Svg, FormatsNumbers) {
  EXPECT_EQ(format_number(0.25), "0.25");
  EXPECT_EQ(format_number(1200), "1200");
  EXPECT_EQ(format_number(27471), "27471");
  EXPECT_EQ(format_number(0.30000000000000004), "0.3");
  EXPECT_EQ(format_number(0.8518518518518519), "0.8519");
  EXPECT_EQ(format_number(-0.0), "0");
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(3e-6), "3e-06");
  EXPECT_EQ(format_number(1611024), "1611024");  // counts in full
  EXPECT_EQ(format_number(2.5e7 + 0.5), "2.5e+07");
  EXPECT_EQ(format_number(1234.5678), "1235");
  EXPECT_EQ(format_number(NAN), "n/a");
  EXPECT_EQ(format_number(INFINITY), "inf");
}

TEST(Svg, NiceTicksUseOneTwoFiveSteps) {
  Ticks t = nice_ticks(3.0, 20.0, 6);
  EXPECT_DOUBLE_EQ(t.step, 5.0);
  EXPECT_EQ(t.values, (std::vector<double>{0, 5, 10, 15, 20}));
  EXPECT_DOUBLE_EQ(t.lo, 0.0);
  EXPECT_DOUBLE_EQ(t.hi, 20.0);
  t = nice_ticks(0.0, 1.05, 6);
  EXPECT_DOUBLE_EQ(t.step, 0.2);  // 1.05 / 5 = 0.21 -> 0.2
  EXPECT_DOUBLE_EQ(t.values.back(), 1.2);
  t = nice_ticks(-0.1, 0.1, 5);
  EXPECT_DOUBLE_EQ(t.step, 0.05);
  ASSERT_EQ(t.values.size(), 5u);
  EXPECT_EQ(t.values[2], 0.0);  // exactly zero, not 1e-17
  EXPECT_DOUBLE_EQ(t.values[3], 0.05);
  t = nice_ticks(0.1, 0.7, 7);
  for (double v : t.values) EXPECT_EQ(format_number(v).size() <= 3, true) << v;
  t = nice_ticks(5.0, 5.0);  // degenerate range widens around the value
  EXPECT_LT(t.lo, 5.0);
  EXPECT_GT(t.hi, 5.0);
  t = nice_ticks(NAN, 1.0);
  EXPECT_DOUBLE_EQ(t.lo, 0.0);
  EXPECT_DOUBLE_EQ(t.hi, 1.0);
}

TEST(Svg, LogTicksAtDecades) {
  Ticks t = log_ticks(2e-5, 3e-2);
  EXPECT_EQ(t.values, (std::vector<double>{1e-5, 1e-4, 1e-3, 1e-2, 1e-1}));
  t = log_ticks(1e-3, 5e-3);  // under two decades: 2 and 5 added
  EXPECT_EQ(t.values.size(), 4u);
  EXPECT_DOUBLE_EQ(t.values[1], 2e-3);
  EXPECT_DOUBLE_EQ(t.values[2], 5e-3);
}

// Pixel positions follow the axis: with a fixed x range 0..10 over the plot area
// [64, 560 - 18], x = 5 lands in the middle.
TEST(Svg, ScalesDataToThePlotArea) {
  Chart chart;
  chart.size(560, 340)
      .x_axis({"x", AxisScale::linear, 0.0, 10.0})
      .y_axis({"y", AxisScale::linear, 0.0, 1.0});
  chart.add(Series::markers("m", {5.0}, {0.5}));
  const std::string svg = chart.svg();
  // Top margin 12 without a title, bottom margin 46: y = 0.5 lands at (12 + 294) / 2 = 153.
  EXPECT_NE(svg.find("<circle cx=\"303\" cy=\"153\""), std::string::npos) << svg;
}

TEST(Svg, LogAxisMapsDecadesEvenly) {
  Chart chart;
  chart.size(560, 340).x_axis({"x", AxisScale::log, 1.0, 100.0});
  chart.add(Series::markers("", {10.0, -1.0}, {0.0, 0.0}));  // -1 cannot be drawn on a log axis
  const std::string svg = chart.svg();
  EXPECT_EQ(count(svg, "<circle"), 1);
  EXPECT_NE(svg.find("cx=\"303\""), std::string::npos);
}

TEST(Svg, SeriesKindsAndLegend) {
  Chart chart("All kinds");
  chart.id("all");
  chart.add(Series::line("line", {0, 1, NAN, 3, 4}, {0, 1, 2, 3, 4}));  // NaN splits the line
  chart.add(Series::markers("markers", {1, 2}, {1, 2}, {0.5, 0.0}).with_tooltips({"first", ""}));
  chart.add(Series::step("step", {0, 1, 2}, {3, 4}).with_color("#123456").with_dashes());
  chart.add(Series::scatter("points", {1, 2, 3}, {3, 2, 1})
                .with_labels({"a", "b<c", ""})
                .with_highlighted({false, true, false})
                .with_tooltips({"tip a", "tip b", "tip c"}));
  chart.add_vline(2.5, "threshold");
  const std::string svg = chart.svg();
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"all\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_EQ(count(svg, "<polyline"), 3);        // two runs of the line, one step outline
  EXPECT_EQ(count(svg, "<circle"), 2 + 3 + 2);  // markers, scatter, legend samples
  EXPECT_EQ(count(svg, "<path"), 1);            // one error bar (the zero error draws none)
  EXPECT_NE(svg.find("<title>first</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>tip b</title>"), std::string::npos);
  EXPECT_NE(svg.find(">b&lt;c</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "stroke=\"#000000\" stroke-width=\"1.5\""), 1);  // the highlighted point
  EXPECT_NE(svg.find("stroke=\"#123456\""), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"6 4\""), std::string::npos);
  for (const char* name : {">line<", ">markers<", ">step<", ">points<", ">threshold<"}) {
    EXPECT_NE(svg.find(name), std::string::npos) << name;
  }
  EXPECT_FALSE(chart.empty());
}

TEST(Svg, EmptyChartSaysNoData) {
  Chart chart("Nothing");
  chart.add(Series::line("nan", {NAN}, {1.0}));
  EXPECT_TRUE(chart.empty());
  EXPECT_NE(chart.svg().find(">no data<"), std::string::npos);
}

TEST(Svg, EveryNumberInTheOutputIsFinite) {
  Chart chart;
  chart.add(Series::line("a", {1, 1}, {2, 2}));  // zero-width ranges
  chart.add(Series::step("h", {0, 1}, {0}));
  const std::string svg = chart.svg();
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

}  // namespace
}  // namespace hlslim::report
