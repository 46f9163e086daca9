#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hlslim/data/event_store.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// Affine map between physical targets and what the network is trained on:
/// trained = (physical - mean) / scale. Stored with the model (graph attributes) so that
/// predictions always come out in physical units.
struct TargetNormalization {
  std::vector<std::string> names;
  std::vector<double> mean;
  std::vector<double> scale;

  /// Mean and standard deviation of each target over `indices` of `store` (scale 1 where the
  /// spread is zero, and for classification targets when `standardize` is false).
  static TargetNormalization fit(const data::EventStore& store,
                                 const std::vector<std::string>& targets,
                                 const std::vector<std::size_t>& indices, bool standardize);

  /// Writes the normalization into the model's attributes (target_names, target_mean,
  /// target_scale).
  void store(Graph& graph) const;

  /// Reads it back; nullopt when the model has none.
  static std::optional<TargetNormalization> from(const Graph& graph);
};

/// Fills training batches from a sparse event store without per-sample allocations: dense
/// inputs (0/1) and normalized targets, in the order of the given indices.
class BatchSource {
 public:
  BatchSource(const data::EventStore& inputs, TargetNormalization normalization);

  /// Values per sample of the input (layers x columns).
  std::size_t input_size() const { return inputs_.pixels_per_image(); }
  std::size_t target_count() const { return columns_.size(); }
  const TargetNormalization& normalization() const { return normalization_; }

  /// Writes n inputs to `x` (n x input_size) and, when `y` is not null, n normalized target
  /// rows to `y` (n x target_count).
  void fill(const std::size_t* indices, std::size_t n, float* x, float* y) const;

 private:
  const data::EventStore& inputs_;
  TargetNormalization normalization_;
  std::vector<std::size_t> columns_;
};

}  // namespace hlslim
