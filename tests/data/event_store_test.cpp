#include "hlslim/data/event_store.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

// Three 3 x 10 events with labels (pt, eta).
EventStore small_store() {
  EventStore store(3, 10, {"pt", "eta"}, R"({"origin": "hand"})");
  const std::uint32_t a[] = {12, 3, 25, 3};
  const float la[] = {5.0f, 0.1f};
  store.add_event(a, 4, la);
  const float lb[] = {0.0f, 0.0f};
  store.add_event(nullptr, 0, lb);
  const std::uint32_t c[] = {29, 0};
  const float lc[] = {17.5f, -0.2f};
  store.add_event(c, 2, lc);
  return store;
}

TEST(EventStore, AddEventSortsAndMergesPixels) {
  const EventStore store = small_store();
  ASSERT_EQ(store.size(), 3u);
  EXPECT_EQ(store.hit_count(), 5u);
  EXPECT_EQ(store.offsets(), (std::vector<std::uint64_t>{0, 3, 3, 5}));
  EXPECT_EQ(store.pixels(), (std::vector<std::uint32_t>{3, 12, 25, 0, 29}));
  EXPECT_TRUE(store.hits(1).empty());
  EXPECT_EQ(store.label(2, 0), 17.5f);
  EXPECT_EQ(store.label_column("eta"), (std::vector<float>{0.1f, 0.0f, -0.2f}));
  EXPECT_EQ(store.image_shape().layers, 3u);
  EXPECT_EQ(store.image_shape().columns, 10u);
  EXPECT_EQ(store.metadata_json(), R"({"origin": "hand"})");
}

TEST(EventStore, RejectsPixelsOutsideTheImage) {
  EventStore store = small_store();
  const std::uint32_t bad[] = {4, 30};
  const float labels[] = {0.0f, 0.0f};
  EXPECT_EQ(error_of([&] { store.add_event(bad, 2, labels); }),
            "event 3: pixel 30 outside the 3 x 10 image");
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.hit_count(), 5u);
}

TEST(EventStore, ConstructorChecks) {
  EXPECT_EQ(error_of([] { EventStore(0, 10, {}); }),
            "invalid image shape 0 x 10 (each side must be positive, at most 2^32 pixels)");
  EXPECT_EQ(error_of([] { EventStore(1, 10, {"pt", "pt"}); }), "duplicate label column name 'pt'");
  EXPECT_EQ(error_of([] { EventStore(1, 10, {"pt", ""}); }), "label column 1 has an empty name");
}

TEST(EventStore, LabelIndexListsAvailableNames) {
  const EventStore store = small_store();
  EXPECT_EQ(store.label_index("eta"), 1u);
  EXPECT_TRUE(store.has_label("pt"));
  EXPECT_FALSE(store.has_label("phi"));
  EXPECT_EQ(error_of([&] { store.label_index("ptt"); }),
            "no label column 'ptt' (available: pt, eta)");
}

TEST(EventStore, FillDenseWritesZeroOneImages) {
  const EventStore store = small_store();
  const std::size_t indices[] = {2, 0};
  std::vector<float> dense(2 * 30, -1.0f);
  store.fill_dense(indices, 2, dense.data());
  for (std::size_t i = 0; i < dense.size(); ++i) {
    const bool hit = i == 0 || i == 29 || i == 30 + 3 || i == 30 + 12 || i == 30 + 25;
    EXPECT_EQ(dense[i], hit ? 1.0f : 0.0f) << "at " << i;
  }
  const std::size_t bad[] = {0, 3};
  EXPECT_EQ(error_of([&] { store.fill_dense(bad, 2, dense.data()); }),
            "event index 3 out of range (the store has 3 events)");
}

TEST(EventStore, GatherKeepsOrderAndRepeats) {
  const EventStore store = small_store();
  const EventStore picked = store.gather({2, 0, 2});
  ASSERT_EQ(picked.size(), 3u);
  EXPECT_EQ(picked.pixels(), (std::vector<std::uint32_t>{0, 29, 3, 12, 25, 0, 29}));
  EXPECT_EQ(picked.label_column("pt"), (std::vector<float>{17.5f, 5.0f, 17.5f}));
  EXPECT_EQ(picked.metadata_json(), store.metadata_json());
  EXPECT_EQ(error_of([&] { store.gather({7}); }),
            "event index 7 out of range (the store has 3 events)");
  EXPECT_EQ(error_of([&] {
              store.label_column("pt", {0, 9});
            }),
            "event index 9 out of range (the store has 3 events)");
}

TEST(EventStore, MemoryBytesCoversTheArrays) {
  const EventStore store = small_store();
  EXPECT_GE(store.memory_bytes(),
            4 * sizeof(std::uint64_t) + 5 * sizeof(std::uint32_t) + 6 * sizeof(float));
}

TEST(EventStore, FromArraysChecksEveryInvariant) {
  auto make = [](std::vector<std::uint64_t> offsets, std::vector<std::uint32_t> pixels,
                 std::vector<float> labels) {
    return EventStore::from_arrays("x.hlsd", 2, 4, {"pt"}, "{}", std::move(offsets),
                                   std::move(pixels), std::move(labels));
  };
  EXPECT_EQ(make({0, 2, 3}, {1, 5, 7}, {1.0f, 2.0f}).size(), 2u);
  EXPECT_EQ(error_of([&] {
              make({0, 2, 4}, {1, 5, 7}, {1.0f, 2.0f});
            }),
            "x.hlsd: offsets must start at 0 and end at the hit count 3");
  EXPECT_EQ(error_of([&] {
              make({0, 2, 3}, {5, 1, 7}, {1.0f, 2.0f});
            }),
            "x.hlsd: event 0: pixels are not strictly ascending");
  EXPECT_EQ(error_of([&] {
              make({0, 2, 3}, {1, 5, 8}, {1.0f, 2.0f});
            }),
            "x.hlsd: event 1: pixel 8 outside the 2 x 4 image");
  EXPECT_EQ(error_of([&] {
              make({0, 3, 2, 3}, {1, 5, 7}, {1.0f, 2.0f, 3.0f});
            }),
            "x.hlsd: offsets decrease at event 1");
  EXPECT_EQ(error_of([&] {
              make({0, 2, 3}, {1, 5, 7}, {1.0f});
            }),
            "x.hlsd: expected 2 label values (2 events x 1 columns), found 1");
}

// Hit values: real-valued images (tabular features) next to binary ones.

TEST(EventStore, ValuesFollowTheirPixelsAndReachDenseImages) {
  EventStore store(2, 3, {"y"});
  const std::uint32_t a[] = {4, 0, 2};
  const float va[] = {-2.5f, 7.25f, 0.0f};
  const float la[] = {1.0f};
  store.add_event(a, 3, la, va);
  EXPECT_TRUE(store.has_values());
  EXPECT_EQ(store.pixels(), (std::vector<std::uint32_t>{0, 2, 4}));
  EXPECT_EQ(store.values(), (std::vector<float>{7.25f, 0.0f, -2.5f}));
  // An event without values has hits of value 1.
  const std::uint32_t b[] = {5, 1};
  store.add_event(b, 2, la);
  EXPECT_EQ(store.values(), (std::vector<float>{7.25f, 0.0f, -2.5f, 1.0f, 1.0f}));
  EXPECT_EQ(store.hit_values(1)[0], 1.0f);

  const std::size_t indices[] = {1, 0};
  std::vector<float> dense(2 * 6, -1.0f);
  store.fill_dense(indices, 2, dense.data());
  EXPECT_EQ(dense, (std::vector<float>{0, 1, 0, 0, 0, 1, 7.25f, 0, 0, 0, -2.5f, 0}));
}

TEST(EventStore, BinaryImagesStoreNoValues) {
  EventStore store = small_store();
  const std::size_t before = store.memory_bytes();
  const std::uint32_t pixels[] = {1, 2};
  const float ones[] = {1.0f, 1.0f};
  const float labels[] = {1.0f, 2.0f};
  store.add_event(pixels, 2, labels, ones);
  EXPECT_FALSE(store.has_values());
  EXPECT_EQ(store.hit_values(0), nullptr);
  EXPECT_GE(store.memory_bytes(), before);
  // Values that are all 1 are dropped by from_arrays and gather as well.
  const EventStore adopted =
      EventStore::from_arrays("x", 1, 4, {}, "{}", {0, 2}, {0, 3}, {}, {1.0f, 1.0f});
  EXPECT_FALSE(adopted.has_values());
  EventStore mixed(1, 4, {});
  const std::uint32_t p[] = {1, 3};
  const float v[] = {1.0f, 0.5f};
  mixed.add_event(p, 2, nullptr);
  mixed.add_event(p, 2, nullptr, v);
  EXPECT_TRUE(mixed.has_values());
  EXPECT_FALSE(mixed.gather({0}).has_values());
  EXPECT_EQ(mixed.gather({1, 0}).values(), (std::vector<float>{1.0f, 0.5f, 1.0f, 1.0f}));
  EXPECT_GT(mixed.memory_bytes(), mixed.gather({0}).memory_bytes());
}

TEST(EventStore, ValueErrorsLeaveTheStoreUnchanged) {
  EventStore store(1, 4, {});
  const std::uint32_t twice[] = {2, 1, 2};
  const float values[] = {0.5f, 2.0f, 3.0f};
  EXPECT_EQ(error_of([&] { store.add_event(twice, 3, nullptr, values); }),
            "event 0: pixel 2 is given twice with values");
  const std::uint32_t p[] = {0, 1};
  const float nan[] = {0.5f, NAN};
  EXPECT_EQ(error_of([&] { store.add_event(p, 2, nullptr, nan); }),
            "event 0: pixel 1 has the value NaN");
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.has_values());
  // Without values a repeated pixel is simply on.
  store.add_event(twice, 3, nullptr);
  EXPECT_EQ(store.pixels(), (std::vector<std::uint32_t>{1, 2}));

  EXPECT_EQ(error_of([&] {
              EventStore::from_arrays("x.hlsd", 1, 4, {}, "{}", {0, 2}, {0, 3}, {}, {1.0f});
            }),
            "x.hlsd: expected 2 hit values (one per hit), found 1");
  EXPECT_EQ(
      error_of([&] {
        EventStore::from_arrays("x.hlsd", 1, 4, {}, "{}", {0, 2}, {0, 3}, {}, {1.0f, INFINITY});
      }),
      "x.hlsd: event 0: pixel 3 has the value infinity");
}

}  // namespace
}  // namespace hlslim::data
