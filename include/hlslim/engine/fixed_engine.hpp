#pragma once

// The bit-accurate fixed-point inference engine: integer arithmetic only, no LibTorch. It
// computes what an HLS implementation of the graph with the declared ap_fixed types computes
// (docs/engine.md gives the rules: order of accumulation, where each rounding and overflow
// happens).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// What the engine saw in one layer over the events it ran, for calibration and reports.
struct LayerStats {
  std::string name;
  /// Smallest and largest exact value converted to the result type (the accumulator of
  /// dense/conv, max(0, x) of a ReLU, the pooled value, ...), over all values computed.
  double min_seen = std::numeric_limits<double>::infinity();
  double max_seen = -std::numeric_limits<double>::infinity();
  std::int64_t values = 0;            ///< result values computed
  std::int64_t result_overflows = 0;  ///< results outside the result type's range
  std::int64_t accum_overflows = 0;   ///< accumulator updates outside the accum type's range
};

struct EngineStats {
  std::int64_t input_values = 0;
  std::int64_t input_overflows = 0;  ///< inputs outside the input type's range
  double input_min_seen = std::numeric_limits<double>::infinity();
  double input_max_seen = -std::numeric_limits<double>::infinity();
  /// One per layer the engine computes: every graph layer but a trailing softmax.
  std::vector<LayerStats> layers;

  /// Adds another run's counts and ranges (same model).
  void merge(const EngineStats& other);
};

/// A graph compiled for fixed-point inference. Construction quantizes the weights and biases to
/// their types and checks that every layer is supported and every needed precision present
/// (hlslim::Error naming the layer otherwise). A trailing softmax is not computed: like the
/// firmware (engine/firmware.hpp), the engine outputs the logits before it. Running is const and
/// thread-safe.
class FixedEngine {
 public:
  FixedEngine(const Graph& graph, const ModelPrecision& precision);
  /// Uses the precisions the graph carries (read_precision()).
  explicit FixedEngine(const Graph& graph);
  ~FixedEngine();
  FixedEngine(FixedEngine&&) noexcept;
  FixedEngine& operator=(FixedEngine&&) noexcept;

  std::size_t input_size() const;
  std::size_t output_size() const;
  /// The type of the model's input and of each layer's output (size layers + 1: the input
  /// first). Pass-through layers keep their input's type.
  const std::vector<FixedType>& value_types() const;

  /// Runs n events: x is n x input_size floats (quantized to the input type as ap_fixed
  /// assignment does), y receives n x output_size outputs (exact values of the output raws).
  /// Adds to `stats` when given.
  void run(const float* x, std::size_t n, float* y, EngineStats* stats = nullptr) const;

  /// The same on raw integers: x_raw in the input type, y_raw in the last value type.
  void run_raw(const std::int64_t* x_raw, std::size_t n, std::int64_t* y_raw,
               EngineStats* stats = nullptr) const;

  /// One event, the raw output of every layer (value_types()[i + 1]), for tests and reports.
  std::vector<std::vector<std::int64_t>> trace_raw(const std::int64_t* x_raw) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hlslim
