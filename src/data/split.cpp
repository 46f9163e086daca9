#include "hlslim/data/split.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "hlslim/data/error.hpp"
#include "hlslim/data/random.hpp"

namespace hlslim::data {

Split split_events(const EventStore& store, const SplitFractions& fractions, std::uint64_t seed) {
  const double sum = fractions.train + fractions.validation + fractions.test;
  for (double fraction : {fractions.train, fractions.validation, fractions.test}) {
    if (!(fraction >= 0.0 && fraction <= 1.0)) {
      std::ostringstream message;
      message << "split fractions must each be in [0, 1], got train " << fractions.train
              << ", validation " << fractions.validation << ", test " << fractions.test;
      throw DataError(message.str());
    }
  }
  if (std::abs(sum - 1.0) > 1e-9) {
    std::ostringstream message;
    message << "split fractions must sum to 1, got " << sum;
    throw DataError(message.str());
  }

  Split split;
  std::vector<std::size_t> muons;
  const bool has_flag = store.has_label("is_noise");
  const std::size_t flag = has_flag ? store.label_index("is_noise") : 0;
  for (std::size_t event = 0; event < store.size(); ++event) {
    if (has_flag && store.label(event, flag) != 0.0f) {
      split.noise.push_back(event);
    } else {
      muons.push_back(event);
    }
  }
  Rng rng(mix64(seed ^ 0x5EED5EED5EED5EEDULL));
  rng.shuffle(muons);
  const auto n = static_cast<double>(muons.size());
  const auto n_train = static_cast<std::size_t>(std::floor(fractions.train * n));
  const auto n_validation = std::min(
      muons.size() - n_train, static_cast<std::size_t>(std::floor(fractions.validation * n)));
  const auto begin = muons.begin();
  split.train.assign(begin, begin + static_cast<std::ptrdiff_t>(n_train));
  split.validation.assign(begin + static_cast<std::ptrdiff_t>(n_train),
                          begin + static_cast<std::ptrdiff_t>(n_train + n_validation));
  split.test.assign(begin + static_cast<std::ptrdiff_t>(n_train + n_validation), muons.end());
  for (auto* set : {&split.train, &split.validation, &split.test})
    std::sort(set->begin(), set->end());
  return split;
}

}  // namespace hlslim::data
