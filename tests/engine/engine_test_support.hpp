#pragma once

// Small builders for the engine tests: graphs of a few layers with given weights and types (the
// shared builders of support/fixed_graphs.hpp), and a runner of one event.

#include <cstdint>
#include <vector>

#include "hlslim/engine/fixed_engine.hpp"
#include "support/fixed_graphs.hpp"

namespace hlslim::engine_test {

// The shared builders, under this namespace too (engine_test::dense, ...).
using namespace testing::fixed;

/// One event through the engine on raws.
inline std::vector<std::int64_t> run_one(const FixedEngine& engine, std::vector<std::int64_t> x,
                                         EngineStats* stats = nullptr) {
  std::vector<std::int64_t> y(engine.output_size());
  engine.run_raw(x.data(), 1, y.data(), stats);
  return y;
}

}  // namespace hlslim::engine_test
