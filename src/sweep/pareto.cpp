#include "hlslim/sweep/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hlslim {

std::vector<std::size_t> pareto_front(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("pareto_front: x and y differ in size");
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < x.size() && !dominated; ++j) {
      if (j == i || std::isnan(x[j]) || std::isnan(y[j])) continue;
      dominated = x[j] <= x[i] && y[j] <= y[i] && (x[j] < x[i] || y[j] < y[i]);
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) {
    return x[a] != x[b] ? x[a] < x[b] : (y[a] != y[b] ? y[a] < y[b] : a < b);
  });
  return front;
}

}  // namespace hlslim
