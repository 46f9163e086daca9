#include "hlslim/data/split.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "hlslim/data/simulation.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

TEST(Split, PartitionsMuonsAndKeepsNoiseApart) {
  const EventStore store = simulate(SimulationParams(), 1000, 200, 3, 1);
  const Split split = split_events(store, {0.7, 0.2, 0.1}, 42);
  EXPECT_EQ(split.train.size(), 700u);
  EXPECT_EQ(split.validation.size(), 200u);
  EXPECT_EQ(split.test.size(), 100u);
  ASSERT_EQ(split.noise.size(), 200u);
  EXPECT_EQ(split.noise.front(), 1000u);
  EXPECT_EQ(split.noise.back(), 1199u);

  std::vector<std::size_t> all;
  for (const auto* set : {&split.train, &split.validation, &split.test}) {
    EXPECT_TRUE(std::is_sorted(set->begin(), set->end()));
    all.insert(all.end(), set->begin(), set->end());
  }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i);
  // Shuffled, not cut in blocks: the test set reaches into the whole range.
  EXPECT_LT(split.test.front(), 100u);
  EXPECT_GT(split.test.back(), 900u);
}

TEST(Split, DeterministicForASeed) {
  const EventStore store = simulate(SimulationParams(), 500, 0, 3, 1);
  const Split a = split_events(store, {}, 1);
  const Split b = split_events(store, {}, 1);
  const Split c = split_events(store, {}, 2);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.test, c.test);
  EXPECT_TRUE(a.noise.empty());
}

TEST(Split, StoreWithoutNoiseFlag) {
  EventStore store(1, 4, {"pt"});
  const float label[] = {1.0f};
  for (int i = 0; i < 10; ++i) store.add_event(nullptr, 0, label);
  const Split split = split_events(store, {0.5, 0.5, 0.0}, 9);
  EXPECT_EQ(split.train.size(), 5u);
  EXPECT_EQ(split.validation.size(), 5u);
  EXPECT_TRUE(split.test.empty());
}

TEST(Split, RejectsBadFractions) {
  const EventStore store(1, 4, {});
  EXPECT_EQ(error_of([&] {
              split_events(store, {0.7, 0.1, 0.1}, 1);
            }),
            "split fractions must sum to 1, got 0.9");
  EXPECT_EQ(error_of([&] {
              split_events(store, {1.2, -0.1, -0.1}, 1);
            }),
            "split fractions must each be in [0, 1], got train 1.2, validation -0.1, test -0.1");
}

}  // namespace
}  // namespace hlslim::data
