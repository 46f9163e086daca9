// Pareto fronts over seeds: each seed group's means of the final model's physics figure, LUTs
// and latency, the fronts of those means, and the table of every group by mean LUTs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "hlslim/sweep/collect.hpp"
#include "hlslim/sweep/pareto.hpp"
#include "sweep_detail.hpp"

namespace hlslim {
namespace {

constexpr std::size_t kShortValue = 24;  // bytes of a value label
const std::string kEllipsis = "…";

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

// At most `size` bytes of `text`, not ending inside a UTF-8 sequence.
std::string utf8_prefix(const std::string& text, std::size_t size) {
  if (text.size() <= size) return text;
  while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xC0) == 0x80) --size;
  return text.substr(0, size);
}

// The figure's order: lower is better, or -value for a figure where higher is.
double ordered(const SweepTable& table, const Spread& spread) {
  if (spread.n == 0) return std::numeric_limits<double>::quiet_NaN();
  return table.physics_lower_better ? spread.mean : -spread.mean;
}

double mean_or_nan(const Spread& spread) {
  return spread.n == 0 ? std::numeric_limits<double>::quiet_NaN() : spread.mean;
}

}  // namespace

namespace sweep_detail {

void seed_fronts(SweepTable& table) {
  if (table.groups.empty() || table.physics.empty()) return;
  for (const SweepRow& row : table.rows) {
    if (row.status == PointStatus::kCompleted && !row.model_label.empty()) {
      table.model_label = row.model_label;
      break;
    }
  }
  // The baseline is comparable at the student's LUTs only when the student is the final
  // model: it has the student's architecture and compression, and is not exported itself.
  const std::string student = ".student";
  if (ends_with(table.model_label, student)) {
    const std::string baseline =
        table.model_label.substr(0, table.model_label.size() - student.size()) + ".baseline";
    for (const SweepGroup& group : table.groups) {
      for (const auto& stage : group.figures)
        if (stage.first == baseline) table.baseline_label = baseline;
    }
  }
  std::vector<double> figure, lut, latency;
  for (SweepGroup& group : table.groups) {
    std::vector<double> f, l, t;
    for (std::size_t r : group.points) {
      const SweepRow& row = table.rows[r];
      if (row.status != PointStatus::kCompleted) continue;
      const auto take = [](const std::map<std::string, double>& values, const std::string& key,
                           std::vector<double>& into) {
        auto it = values.find(key);
        if (it != values.end() && std::isfinite(it->second)) into.push_back(it->second);
      };
      take(row.figures, table.physics, f);
      take(row.estimates, "lut", l);
      take(row.estimates, "latency_ns", t);
    }
    group.physics = spread_of(f);
    group.lut = spread_of(l);
    group.latency = spread_of(t);
    for (const auto& [label, spreads] : group.figures) {
      auto it = spreads.find(table.physics);
      if (label == table.baseline_label && it != spreads.end()) group.baseline = it->second;
    }
    figure.push_back(ordered(table, group.physics));
    lut.push_back(mean_or_nan(group.lut));
    latency.push_back(mean_or_nan(group.latency));
  }
  table.group_front_lut = pareto_front(lut, figure);
  table.group_front_latency = pareto_front(latency, figure);
  for (std::size_t g : table.group_front_lut) table.groups[g].front_lut = true;
  for (std::size_t g : table.group_front_latency) table.groups[g].front_latency = true;
}

SeedFrontTable seed_front_table(const SweepTable& table) {
  SeedFrontTable out;
  if (table.groups.size() < 2 || table.physics.empty()) return out;
  out.header = table.group_keys;
  out.header.push_back("seeds");
  const std::string model = table.model_label.empty() ? "final model" : table.model_label;
  out.header.push_back(table.physics + " (" + model + ")");
  if (!table.baseline_label.empty())
    out.header.push_back(table.physics + " (" + table.baseline_label + ")");
  out.header.insert(out.header.end(), {"LUT", "latency [ns]", "Pareto (means)"});
  std::vector<std::vector<std::string>> labels;
  for (std::size_t k = 0; k < table.group_keys.size(); ++k)
    labels.push_back(short_group_values(table, k));
  std::vector<std::size_t> order(table.groups.size());
  for (std::size_t g = 0; g < order.size(); ++g) order[g] = g;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Spread &la = table.groups[a].lut, &lb = table.groups[b].lut;
    if ((la.n == 0) != (lb.n == 0)) return lb.n == 0;  // groups without LUTs last
    return la.n != 0 && la.mean < lb.mean;
  });
  for (std::size_t g : order) {
    const SweepGroup& group = table.groups[g];
    std::vector<std::string> cells;
    for (const auto& values : labels) cells.push_back(values[g]);
    cells.push_back(std::to_string(group.seeds.size()));
    cells.push_back(spread_cell(group.physics));
    if (!table.baseline_label.empty()) cells.push_back(spread_cell(group.baseline));
    cells.push_back(spread_cell(group.lut));
    cells.push_back(spread_cell(group.latency));
    cells.push_back(group.front_lut && group.front_latency ? "LUT, latency"
                    : group.front_lut                      ? "LUT"
                    : group.front_latency                  ? "latency"
                                                           : "");
    out.rows.push_back(std::move(cells));
  }
  return out;
}

}  // namespace sweep_detail

std::vector<std::string> short_group_values(const SweepTable& table, std::size_t key) {
  std::vector<std::string> values;
  for (const SweepGroup& group : table.groups) values.push_back(group.values.at(key));
  if (values.empty()) return values;
  // What every value begins and ends with.
  std::size_t shortest = values[0].size(), prefix = values[0].size(), suffix = values[0].size();
  for (const std::string& value : values) {
    shortest = std::min(shortest, value.size());
    std::size_t p = 0;
    while (p < prefix && p < value.size() && value[p] == values[0][p]) ++p;
    prefix = p;
    std::size_t s = 0;
    while (s < suffix && s < value.size() &&
           value[value.size() - 1 - s] == values[0][values[0].size() - 1 - s])
      ++s;
    suffix = s;
  }
  suffix = std::min(suffix, shortest - std::min(prefix, shortest));
  if (std::all_of(values.begin(), values.end(), [&](const auto& v) { return v == values[0]; }))
    prefix = suffix = 0;  // nothing tells them apart: only shortened
  // Cut the beginning after an item's start ("[", "{", ", ") and the end before an item's end
  // (",", "]", "}"), so that "units: 16" stays whole; the same places in every value.
  const std::string& first = values[0];
  while (prefix > 0 && !(first[prefix - 1] == '[' || first[prefix - 1] == '{' ||
                         (prefix >= 2 && first.compare(prefix - 2, 2, ", ") == 0)))
    --prefix;
  while (suffix > 0) {
    const char c = first[first.size() - suffix];
    if (c == ',' || c == ']' || c == '}') break;
    --suffix;
  }
  for (std::string& value : values) {
    if (value.size() <= kShortValue) continue;
    std::string label = value;
    if (prefix + suffix < value.size() && prefix + suffix > 0) {
      label = (prefix > 0 ? kEllipsis : "") + value.substr(prefix, value.size() - prefix - suffix) +
              (suffix > 0 ? kEllipsis : "");
    }
    if (label.size() > kShortValue)
      label = utf8_prefix(label, kShortValue - kEllipsis.size()) + kEllipsis;
    value = label;
  }
  return values;
}

std::string seed_fronts_markdown(const SweepTable& table) {
  const sweep_detail::SeedFrontTable front = sweep_detail::seed_front_table(table);
  if (front.rows.empty()) return "";
  std::ostringstream out;
  out << "Seed groups by mean estimated LUTs (mean ± std over seeds; Pareto: on the front of the "
         "group means of "
      << table.physics << " against LUTs, latency)\n\n|";
  for (const auto& name : front.header) out << " " << name << " |";
  out << "\n|";
  for (std::size_t i = 0; i < front.header.size(); ++i) out << "---|";
  out << "\n";
  for (const auto& row : front.rows) {
    out << "|";
    for (const auto& cell : row) {
      std::string text;  // a '|' would end the cell
      for (char c : cell) text += c == '|' ? std::string("\\|") : std::string(1, c);
      out << " " << text << " |";
    }
    out << "\n";
  }
  return out.str() + "\n";
}

}  // namespace hlslim
