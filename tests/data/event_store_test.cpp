#include "hlslim/data/event_store.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hlslim::data
