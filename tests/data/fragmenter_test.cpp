#include "hlslim/data/fragmenter.hpp"

#include <gtest/gtest.h>

#include "hlslim/data/simulation.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

constexpr std::size_t kColumns = 384;

std::uint32_t pixel(std::size_t layer, std::size_t column) {
  return static_cast<std::uint32_t>(layer * kColumns + column);
}

// Hand-made 9 x 384 events labelled (pt, eta, is_noise).
EventStore hand_made_events() {
  EventStore store(9, kColumns, {"pt", "eta", "is_noise"});
  const float muon[] = {10.0f, 0.5f, 0.0f};
  // 0: a muon in BM around columns 100-103 plus a noise strip at 300 in BM.
  const std::uint32_t a[] = {pixel(3, 100), pixel(4, 101), pixel(5, 102), pixel(6, 103),
                             pixel(3, 300), pixel(0, 98),  pixel(8, 110)};
  store.add_event(a, 7, muon);
  // 1: nothing in BM; BI has a two-layer cluster at 20-21 and BO a lone strip.
  const std::uint32_t b[] = {pixel(0, 20), pixel(1, 21), pixel(8, 200)};
  store.add_event(b, 3, muon);
  // 2: only BO hits, near the right edge.
  const std::uint32_t c[] = {pixel(7, 382), pixel(8, 383)};
  store.add_event(c, 2, muon);
  // 3: an empty noise event.
  const float noise[] = {0.0f, 0.0f, 1.0f};
  store.add_event(nullptr, 0, noise);
  // 4: BM hits near the left edge.
  const std::uint32_t e[] = {pixel(4, 2), pixel(5, 3)};
  store.add_event(e, 2, muon);
  return store;
}

TEST(Fragmenter, SeedRuleAndEdgeShifts) {
  const EventStore store = hand_made_events();
  const Fragmenter fragmenter;
  // Median of the best BM cluster (100, 101, 102, 103): lower median 101; noise at 300 ignored.
  EXPECT_EQ(fragmenter.place(store, 0).seed_column, 101u);
  EXPECT_EQ(fragmenter.place(store, 0).start_column, 93u);
  // No BM hit: BI's cluster (20, 21) gives 20.
  EXPECT_EQ(fragmenter.place(store, 1).seed_column, 20u);
  EXPECT_EQ(fragmenter.place(store, 1).start_column, 12u);
  // Only BO: seed 382, window shifted left to end at the last column.
  EXPECT_EQ(fragmenter.place(store, 2).seed_column, 382u);
  EXPECT_EQ(fragmenter.place(store, 2).start_column, 368u);
  // No hit at all: the image centre.
  EXPECT_EQ(fragmenter.place(store, 3).seed_column, 192u);
  EXPECT_EQ(fragmenter.place(store, 3).start_column, 184u);
  // Near the left edge the window starts at column 0.
  EXPECT_EQ(fragmenter.place(store, 4).seed_column, 2u);
  EXPECT_EQ(fragmenter.place(store, 4).start_column, 0u);
  // The window centre of event 0 lies between its columns 8 and 9, i.e. at image column 101.
  EXPECT_NEAR(fragmenter.place(store, 0).eta_offset, 101.0 * 1.05 / 384, 1e-6);
}

TEST(Fragmenter, CutWritesDenseWindows) {
  const EventStore store = hand_made_events();
  const Fragmenter fragmenter;
  const std::size_t indices[] = {0, 2};
  const Windows windows = fragmenter.cut(store, indices, 2);
  ASSERT_EQ(windows.images.size(), 2u * 9 * 16);
  auto at = [&](std::size_t window, std::size_t layer, std::size_t column) {
    return windows.images[(window * 9 + layer) * 16 + column];
  };
  // Event 0 window starts at 93: BM hits at 7..10, BI hit at 5, BO hit (110) outside.
  EXPECT_EQ(at(0, 3, 7), 1.0f);
  EXPECT_EQ(at(0, 6, 10), 1.0f);
  EXPECT_EQ(at(0, 0, 5), 1.0f);
  float total = 0.0f;
  for (std::size_t i = 0; i < 9 * 16; ++i) total += windows.images[i];
  EXPECT_EQ(total, 5.0f);
  EXPECT_EQ(at(1, 7, 14), 1.0f);
  EXPECT_EQ(at(1, 8, 15), 1.0f);
  EXPECT_EQ(windows.placements[1].start_column, 368u);
}

TEST(Fragmenter, WindowsKeepHitValues) {
  EventStore store(9, kColumns, {"pt", "eta", "is_noise"});
  const float muon[] = {10.0f, 0.5f, 0.0f};
  const std::uint32_t pixels[] = {pixel(3, 100), pixel(4, 101), pixel(8, 300)};
  const float values[] = {2.5f, -0.75f, 4.0f};
  store.add_event(pixels, 3, muon, values);
  const Fragmenter fragmenter;
  const std::size_t first = 0;
  const Windows windows = fragmenter.cut(store, &first, 1);
  const std::size_t start = windows.placements[0].start_column;
  EXPECT_EQ(windows.images[3 * 16 + (100 - start)], 2.5f);
  EXPECT_EQ(windows.images[4 * 16 + (101 - start)], -0.75f);

  const EventStore fragments = fragmenter.fragment(store);
  ASSERT_TRUE(fragments.has_values());
  EXPECT_EQ(fragments.values(), (std::vector<float>{2.5f, -0.75f}));  // 300 is outside
  std::vector<float> dense(9 * 16);
  fragments.fill_dense(&first, 1, dense.data());
  EXPECT_EQ(dense, std::vector<float>(windows.images.begin(), windows.images.end()));
}

TEST(Fragmenter, FragmentRelabelsEtaAndMapsBack) {
  const EventStore store = hand_made_events();
  const Fragmenter fragmenter;
  const EventStore windows = fragmenter.fragment(store);
  ASSERT_EQ(windows.size(), store.size());
  EXPECT_EQ(windows.columns(), 16u);
  EXPECT_EQ(windows.label_names(),
            (std::vector<std::string>{"pt", "eta", "is_noise", "window_start", "eta_offset"}));
  const float offset = fragmenter.place(store, 0).eta_offset;
  EXPECT_FLOAT_EQ(windows.label(0, 1), 0.5f - offset);
  EXPECT_EQ(windows.label(0, 3), 93.0f);
  EXPECT_EQ(windows.label(3, 1), 0.0f);  // noise events keep their zero eta
  EXPECT_EQ(windows.hits(0).size(), 5u);
  const std::vector<float> global = global_eta(windows, {0, 4}, {0.0f, 0.01f});
  EXPECT_FLOAT_EQ(global[0], offset);
  EXPECT_FLOAT_EQ(global[1], fragmenter.place(store, 4).eta_offset + 0.01f);
  EXPECT_EQ(error_of([&] { fragmenter.fragment(windows); }),
            "fragmenter: the store already has a 'window_start' label column (is it fragmented "
            "already?)");
}

TEST(Fragmenter, SimulatedMuonsStayInTheirWindow) {
  SimulationParams params;
  params.noise_probability = 0.0;
  params.pt_min_gev = 15.0;
  const EventStore store = simulate(params, 2000, 0, 5, 1);
  const EventStore windows = Fragmenter(FragmenterOptions::for_simulation(params)).fragment(store);
  // Stiff muons bend by a few columns only: most of their hits fall into the 16-column window,
  // and the local eta label is small.
  EXPECT_GT(static_cast<double>(windows.hit_count()) / static_cast<double>(store.hit_count()), 0.9);
  const std::vector<float> local = windows.label_column("eta");
  std::size_t near = 0;
  for (float eta : local) near += std::abs(eta) < 8 * 1.05 / 384;
  EXPECT_GT(near, 1900u);
}

TEST(Fragmenter, Errors) {
  const EventStore store = hand_made_events();
  FragmenterOptions wide;
  wide.width = 400;
  EXPECT_EQ(error_of([&] { Fragmenter(wide).place(store, 0); }),
            "fragmenter: window width 400 exceeds the image width 384");
  FragmenterOptions zero;
  zero.width = 0;
  EXPECT_EQ(error_of([&] { Fragmenter{zero}; }), "fragmenter: the window width must be positive");
  EXPECT_EQ(error_of([&] { Fragmenter().place(store, 9); }),
            "event index 9 out of range (the store has 5 events)");
}

}  // namespace
}  // namespace hlslim::data
