#pragma once

// What collect.cpp and seed_groups.cpp share (internal to hlslim_sweep).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hlslim/sweep/collect.hpp"

namespace hlslim::sweep_detail {

/// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);

/// Integers without a fraction ("1100"), other numbers in their shortest exact form.
std::string number_cell(double value);

/// A value as JSON: a number when the text is one, else the text.
nlohmann::json value_json(const std::string& text);

/// Groups the points by every swept key but `seed` (nothing when seed is not swept), with each
/// figure's mean and spread over the completed points of a group.
void group_by_seed(SweepTable& table);

/// The `seed_groups` array of sweep.json.
nlohmann::json seed_groups_json(const SweepTable& table);

/// Mean and sample standard deviation of `values` (n = 0: both NaN; n = 1: std NaN).
Spread spread_of(const std::vector<double>& values);

/// "1.200 ± 0.200", "0.00198 ± 4.5e-05" (significant digits below 0.01), "0.9 (1 seed)"; ""
/// when n = 0.
std::string spread_cell(const Spread& spread);

/// Each group's means of the final model's physics figure, LUTs and latency, its baseline's
/// figure, and the fronts of the group means (SweepTable::group_front_lut/_latency and the
/// groups' flags). Needs the physics figure and the groups.
void seed_fronts(SweepTable& table);

/// The table of seed_fronts_markdown(): a header and one row of plain-text cells per group,
/// by increasing mean LUTs; no rows with fewer than two groups or without a physics figure.
struct SeedFrontTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
SeedFrontTable seed_front_table(const SweepTable& table);

/// The labels of one group key's values (SweepTable::group_keys[key]), one per group: the
/// values themselves when none is longer than 24 bytes; else each value's 1-based position
/// among the key's distinct values ("#2"), in the order the plan's points first take them (for
/// a grid, the order of the config's list), with a legend line per value
/// ("models.student.layers #2: VALUE"); no legend when the labels are the values.
struct GroupValueLabels {
  std::vector<std::string> labels;
  std::vector<std::string> legend;
};
GroupValueLabels group_value_labels(const SweepTable& table, std::size_t key);

/// The legend lines of every group key whose labels are positions, in key order.
std::vector<std::string> group_value_legend(const SweepTable& table);

}  // namespace hlslim::sweep_detail
