#pragma once

// Small pieces shared by the figures of merit, the trigger figures and their fits (internal to
// hlslim_data).
#include <cmath>
#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>

namespace hlslim::data::figure_math {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A number for JSON: NaN (a figure over an empty set) is written as null.
inline nlohmann::json number_or_null(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

/// numerator / denominator; NaN when the denominator is 0.
inline double ratio(std::size_t numerator, std::size_t denominator) {
  return denominator == 0 ? kNaN
                          : static_cast<double>(numerator) / static_cast<double>(denominator);
}

/// The trigger decision. NaN compares false, so a NaN prediction never fires.
inline bool fires(float prediction, double threshold) {
  return prediction >= threshold;
}

/// Variance of the Beta(k + 1, n - k + 1) posterior of a fraction with k of n: never zero, so a
/// bin at 0 or 1 (and a rate without any fake) still has an uncertainty. `k` may be an
/// expected, non-integer count.
inline double beta_variance(double k, double n) {
  const double a = k + 1.0, b = n - k + 1.0;
  return a * b / ((a + b) * (a + b) * (a + b + 1.0));
}

}  // namespace hlslim::data::figure_math
