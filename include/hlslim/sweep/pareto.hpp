#pragma once

#include <cstddef>
#include <vector>

namespace hlslim {

/// Indices of the Pareto-optimal points when both coordinates are minimised: those that no
/// other point dominates (at least as good in both coordinates and better in one). Equal points
/// are all on the front; a point with a NaN coordinate is never on it. Sorted by x, then y.
/// Throws std::invalid_argument when the sizes differ.
std::vector<std::size_t> pareto_front(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace hlslim
