#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hlslim/data/event_store.hpp"

namespace hlslim::data {

/// Fractions of the muon events that go to each set; each in [0, 1], summing to 1.
struct SplitFractions {
  /// Fraction for training.
  double train = 0.8;
  /// Fraction for validation (early stopping, model selection).
  double validation = 0.1;
  /// Fraction for the final test.
  double test = 0.1;
};

/// Event indices of each set, ascending within a set.
struct Split {
  /// Muon events for training.
  std::vector<std::size_t> train;
  /// Muon events for validation.
  std::vector<std::size_t> validation;
  /// Muon events for the final test.
  std::vector<std::size_t> test;
  /// Every noise-only event (is_noise = 1): the fake-rate sample, never split or trained on.
  std::vector<std::size_t> noise;
};

/// Splits the events of `store`: noise-only events (label is_noise != 0; none when the store has
/// no is_noise column) all go to `noise`; the muon events are shuffled with a generator seeded
/// by `seed` and cut into floor(train * n) training and floor(validation * n) validation events,
/// the rest being test events. Deterministic for a seed and a store. Throws DataError for
/// fractions outside [0, 1] or not summing to 1 (within 1e-9).
Split split_events(const EventStore& store, const SplitFractions& fractions, std::uint64_t seed);

}  // namespace hlslim::data
