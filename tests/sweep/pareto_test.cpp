// Pareto fronts: both coordinates minimised.
#include "hlslim/sweep/pareto.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace hlslim {
namespace {

const double kNaN = std::nan("");

TEST(Pareto, KeepsOnlyUndominatedPointsSortedByX) {
  //            0    1    2    3    4    5
  const std::vector<double> x = {5, 1, 3, 4, 2, 6};
  const std::vector<double> y = {1, 5, 2, 3, 4, 1};
  // 3 is dominated by 2; 5 by 0 (same y, larger x).
  EXPECT_EQ(pareto_front(x, y), (std::vector<std::size_t>{1, 4, 2, 0}));
}

TEST(Pareto, EqualPointsAreBothOnTheFrontAndNaNNever) {
  EXPECT_EQ(pareto_front({1, 1, 2}, {1, 1, 0.5}), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(pareto_front({kNaN, 1, 0}, {0, 1, kNaN}), (std::vector<std::size_t>{1}));
  EXPECT_TRUE(pareto_front({}, {}).empty());
  EXPECT_EQ(pareto_front({3}, {3}), (std::vector<std::size_t>{0}));
}

TEST(Pareto, SizesMustAgree) {
  EXPECT_THROW(pareto_front({1, 2}, {1}), std::invalid_argument);
}

}  // namespace
}  // namespace hlslim
