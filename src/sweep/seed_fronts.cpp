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
bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
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

namespace sweep_detail {

GroupValueLabels group_value_labels(const SweepTable& table, std::size_t key) {
  GroupValueLabels out;
  // The key's distinct values in the order the plan's points first take them (for a grid, the
  // order of the config's list), then any group's value that no point has.
  std::vector<std::string> distinct;
  const auto add = [&](const std::string& value) {
    if (std::find(distinct.begin(), distinct.end(), value) == distinct.end())
      distinct.push_back(value);
  };
  const auto column = std::find(table.keys.begin(), table.keys.end(), table.group_keys.at(key));
  if (column != table.keys.end()) {
    const std::size_t k = static_cast<std::size_t>(column - table.keys.begin());
    for (const SweepRow& row : table.rows)
      if (k < row.values.size()) add(row.values[k]);
  }
  for (const SweepGroup& group : table.groups) add(group.values.at(key));
  // Distinct values are distinct labels as long as none is shortened (and none could be taken
  // for a position).
  const bool positions = std::any_of(distinct.begin(), distinct.end(), [](const std::string& v) {
    return v.size() > kShortValue || (!v.empty() && v[0] == '#');
  });
  for (const SweepGroup& group : table.groups) {
    const std::string& value = group.values.at(key);
    if (!positions) {
      out.labels.push_back(value);
      continue;
    }
    const auto at = std::find(distinct.begin(), distinct.end(), value) - distinct.begin();
    out.labels.push_back("#" + std::to_string(at + 1));
  }
  if (positions) {
    for (std::size_t i = 0; i < distinct.size(); ++i)
      out.legend.push_back(table.group_keys[key] + " #" + std::to_string(i + 1) + ": " +
                           distinct[i]);
  }
  return out;
}

std::vector<std::string> group_value_legend(const SweepTable& table) {
  std::vector<std::string> legend;
  for (std::size_t k = 0; k < table.group_keys.size(); ++k) {
    auto lines = group_value_labels(table, k).legend;
    legend.insert(legend.end(), lines.begin(), lines.end());
  }
  return legend;
}

}  // namespace sweep_detail

std::vector<std::string> short_group_values(const SweepTable& table, std::size_t key) {
  return sweep_detail::group_value_labels(table, key).labels;
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
  const std::vector<std::string> legend = sweep_detail::group_value_legend(table);
  if (!legend.empty()) out << "\n";
  for (const std::string& line : legend) out << "- " << line << "\n";
  return out.str() + "\n";
}

}  // namespace hlslim
