// Seed groups: the points of a sweep that differ only in `seed`, with every figure's mean and
// spread over seeds, as CSV, JSON and Markdown.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "hlslim/sweep/collect.hpp"
#include "hlslim/util/text.hpp"
#include "sweep_detail.hpp"

namespace hlslim {
namespace sweep_detail {

using json = nlohmann::json;

void group_by_seed(SweepTable& table) {
  const auto seed_it = std::find(table.keys.begin(), table.keys.end(), "seed");
  if (seed_it == table.keys.end()) return;
  const std::size_t seed_index = static_cast<std::size_t>(seed_it - table.keys.begin());
  for (std::size_t k = 0; k < table.keys.size(); ++k)
    if (k != seed_index) table.group_keys.push_back(table.keys[k]);
  std::map<std::vector<std::string>, std::size_t> index;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const SweepRow& row = table.rows[r];
    std::vector<std::string> values;
    for (std::size_t k = 0; k < row.values.size(); ++k)
      if (k != seed_index) values.push_back(row.values[k]);
    auto [it, fresh] = index.emplace(values, table.groups.size());
    if (fresh) {
      table.groups.emplace_back();
      table.groups.back().values = values;
    }
    SweepGroup& group = table.groups[it->second];
    group.points.push_back(r);
    if (row.status == PointStatus::kCompleted) group.seeds.push_back(row.values[seed_index]);
  }
  for (SweepGroup& group : table.groups) {
    // Samples per label and figure, labels in the order the points' stages ran.
    std::vector<std::pair<std::string, std::map<std::string, std::vector<double>>>> samples;
    for (std::size_t r : group.points) {
      if (table.rows[r].status != PointStatus::kCompleted) continue;
      for (const StageFigures& stage : table.rows[r].stages) {
        auto it = std::find_if(samples.begin(), samples.end(),
                               [&](const auto& s) { return s.first == stage.label; });
        if (it == samples.end()) it = samples.insert(samples.end(), {stage.label, {}});
        for (const auto& [figure, value] : stage.values) {
          if (std::isfinite(value)) it->second[figure].push_back(value);
        }
      }
    }
    for (const auto& [label, figures] : samples) {
      std::map<std::string, Spread> spreads;
      for (const auto& [figure, values] : figures) spreads[figure] = spread_of(values);
      group.figures.emplace_back(label, std::move(spreads));
    }
  }
}

Spread spread_of(const std::vector<double>& values) {
  Spread spread;
  spread.n = values.size();
  for (double v : values) spread.mean += v;
  spread.mean /= static_cast<double>(spread.n);  // NaN for no value
  double squares = 0;
  for (double v : values) squares += (v - spread.mean) * (v - spread.mean);
  spread.std = spread.n > 1 ? std::sqrt(squares / static_cast<double>(spread.n - 1))
                            : std::numeric_limits<double>::quiet_NaN();
  return spread;
}

std::string spread_cell(const Spread& s) {
  if (s.n == 0) return "";
  char text[96];
  if (std::isnan(s.std)) {  // one seed: no spread to give
    std::snprintf(text, sizeof(text), "%.4g (1 seed)", s.mean);
    return std::string(text);
  }
  const double scale = std::max(std::abs(s.mean), s.std);
  if (scale > 0 && scale < 0.01) {  // rates: significant digits, not decimals
    std::snprintf(text, sizeof(text), "%.3g ± %.2g", s.mean, s.std);
  } else {
    const int digits = scale >= 1000 ? 0 : scale >= 10 ? 1 : scale >= 1 ? 3 : 4;
    std::snprintf(text, sizeof(text), "%.*f ± %.*f", digits, s.mean, digits, s.std);
  }
  return std::string(text);
}

json seed_groups_json(const SweepTable& table) {
  json groups = json::array();
  for (const SweepGroup& group : table.groups) {
    json values = json::object();
    for (std::size_t k = 0; k < table.group_keys.size(); ++k)
      values[table.group_keys[k]] = value_json(group.values[k]);
    json points_of = json::array();
    for (std::size_t r : group.points) points_of.push_back(table.rows[r].index);
    json stages = json::array();
    for (const auto& [label, spreads] : group.figures) {
      json figures = json::object();
      for (const auto& [figure, spread] : spreads)
        figures[figure] = {{"n", spread.n}, {"mean", spread.mean}, {"std", spread.std}};
      stages.push_back({{"stage", label}, {"figures", figures}});
    }
    groups.push_back({{"values", values},
                      {"points", points_of},
                      {"seeds", group.seeds},
                      {"stages", stages},
                      {"pareto_lut", group.front_lut},
                      {"pareto_latency", group.front_latency}});
  }
  return groups;
}

}  // namespace sweep_detail

using sweep_detail::csv_field;
using sweep_detail::number_cell;

std::string seed_groups_csv(const SweepTable& table) {
  if (table.groups.empty()) return "";
  std::ostringstream out;
  std::vector<std::string> header = table.group_keys;
  header.insert(header.end(), {"stage", "figure", "n", "mean", "std"});
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_field(header[i]);
  out << "\n";
  for (const SweepGroup& group : table.groups) {
    for (const auto& [label, spreads] : group.figures) {
      for (const auto& [figure, spread] : spreads) {
        std::vector<std::string> cells = group.values;
        cells.insert(cells.end(),
                     {label, figure, std::to_string(spread.n), number_cell(spread.mean),
                      std::isnan(spread.std) ? "" : number_cell(spread.std)});
        for (std::size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_field(cells[i]);
        out << "\n";
      }
    }
  }
  return out.str();
}

std::string seed_groups_markdown(const SweepTable& table) {
  // The headline figures: physics of every model, resources of the export.
  const std::vector<std::string> columns = {"pt_spread", "plateau_eff", "fake_rate", "roc_auc",
                                            "accuracy",  "lut",         "latency_ns"};
  std::ostringstream out;
  for (const SweepGroup& group : table.groups) {
    std::string title;
    for (std::size_t k = 0; k < table.group_keys.size(); ++k)
      title += (k ? ", " : "") + table.group_keys[k] + " = " + group.values[k];
    out << (title.empty() ? std::string("All points") : title) << ": mean ± std over "
        << group.seeds.size() << " seed(s) (" << join(group.seeds, ", ") << ")\n\n";
    std::vector<std::string> used;
    for (const auto& name : columns) {
      for (const auto& stage : group.figures) {
        if (stage.second.count(name)) {
          used.push_back(name);
          break;
        }
      }
    }
    out << "| stage |";
    for (const auto& name : used) out << " " << name << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < used.size(); ++i) out << "---|";
    out << "\n";
    for (const auto& [label, spreads] : group.figures) {
      out << "| " << label << " |";
      for (const auto& name : used) {
        auto it = spreads.find(name);
        out << " " << (it == spreads.end() ? std::string() : sweep_detail::spread_cell(it->second))
            << " |";
      }
      out << "\n";
    }
    out << "\n";
  }
  out << seed_fronts_markdown(table);
  return out.str();
}

}  // namespace hlslim
