#pragma once

// Internal to the engine: one compiled layer ("step") and the functions that build them. The
// tests include this header to compare the fast and general paths of dense/conv layers.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim::engine_detail {

/// How a dense/conv step sums, fastest first (docs/engine.md, "Three ways to sum").
enum class LinearPath {
  kExactSum,         ///< int64 sum of exact products, one conversion at the end (the fast path)
  kPerOperation64,   ///< every product and every sum converted to the accumulator, on int64
  kPerOperation128,  ///< the same on 128 bits, for types too wide for int64
};

/// What a step is built from: the layer, the shapes and type of its input and its precisions.
struct StepInput {
  const Graph* graph = nullptr;
  const Layer* layer = nullptr;
  Shape in_shape;
  Shape out_shape;
  FixedType in_type;
  LayerPrecision precision;
  /// The fastest path a dense/conv step may take where it applies; tests force slower ones to
  /// compare them.
  LinearPath fastest_path = LinearPath::kExactSum;

  /// "model 'm', layer 'fc1'", the start of every message about this layer.
  std::string context() const;
  /// The precision of `role`; hlslim::Error "<context>: precision.<role> missing" without it.
  const FixedType& require(const char* role) const;
};

/// One layer compiled for integer inference. `in` holds raws of the input type, `out` receives
/// raws of out_type(); the two never overlap. Steps are immutable once built.
class Step {
 public:
  virtual ~Step() = default;

  virtual void run(const std::int64_t* in, std::int64_t* out) const = 0;
  /// The same, also counting into `stats` (see LayerStats).
  virtual void run_stats(const std::int64_t* in, std::int64_t* out, LayerStats& stats) const = 0;

  /// Flatten, reshape and dropout: the values and their type stay as they are (the engine skips
  /// the step instead of copying).
  virtual bool passthrough() const { return false; }
  /// How a dense/conv step sums; nullopt for other steps.
  virtual std::optional<LinearPath> linear_path() const { return std::nullopt; }
  /// Dense/conv steps whose sums cannot round or overflow (docs/engine.md, "Fast path").
  bool uses_fast_path() const { return linear_path() == LinearPath::kExactSum; }

  const FixedType& out_type() const { return out_type_; }
  std::size_t in_size() const { return in_size_; }
  std::size_t out_size() const { return out_size_; }

 protected:
  Step(const StepInput& input, const FixedType& out_type);

 private:
  FixedType out_type_;
  std::size_t in_size_ = 0;
  std::size_t out_size_ = 0;
};

/// Builds the step of any layer the engine supports; hlslim::Error naming the layer when a
/// precision or tensor is missing, the layer type is unsupported or its parameters cannot be
/// computed exactly.
std::unique_ptr<Step> make_step(const StepInput& input);

// One builder per family (linear_step.cpp, simple_steps.cpp, pool_step.cpp).
std::unique_ptr<Step> make_linear_step(const StepInput& input);
std::unique_ptr<Step> make_batch_norm_step(const StepInput& input);
std::unique_ptr<Step> make_activation_step(const StepInput& input);
std::unique_ptr<Step> make_pool_step(const StepInput& input);
std::unique_ptr<Step> make_passthrough_step(const StepInput& input);

/// The layer's tensor `name`, checked against the shape expected_tensors() gives; Error when
/// missing or of another shape.
const Tensor& layer_tensor(const StepInput& input, const std::string& name);
/// The tensor's values times its mask ("<name>_mask") when the layer has one, as the float
/// forward pass multiplies them.
std::vector<float> masked_values(const StepInput& input, const std::string& name);

}  // namespace hlslim::engine_detail
