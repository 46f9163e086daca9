#pragma once

#include <cstddef>
#include <cstdint>
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
  /// Softmax classes of a cross-entropy ("ce") task, 0 for every other task. `names` then holds
  /// one label column of class indices 0..classes-1, or `classes` one-hot columns; `mean` and
  /// `scale` hold 0 and 1 per class, and the network's outputs are the class logits.
  std::int64_t classes = 0;

  /// A cross-entropy task over `classes` classes whose labels are `targets` (one column of
  /// class indices, or one one-hot column per class).
  static TargetNormalization for_classes(const std::vector<std::string>& targets,
                                         std::int64_t classes);

  /// Mean and standard deviation of each target over `indices` of `store` (scale 1 where the
  /// spread is zero, and for classification targets when `standardize` is false).
  static TargetNormalization fit(const data::EventStore& store,
                                 const std::vector<std::string>& targets,
                                 const std::vector<std::size_t>& indices, bool standardize);

  /// Writes the normalization into the model's attributes (target_names, target_mean,
  /// target_scale, and target_classes for a cross-entropy task).
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
  /// Values per target row: the target columns, or the classes of a cross-entropy task.
  std::size_t target_count() const {
    return normalization_.classes > 0 ? static_cast<std::size_t>(normalization_.classes)
                                      : columns_.size();
  }
  const TargetNormalization& normalization() const { return normalization_; }

  /// Writes n inputs to `x` (n x input_size) and, when `y` is not null, n normalized target
  /// rows to `y` (n x target_count). A cross-entropy task's rows are one-hot: from the class
  /// index of its label column (which must be valid: see check_class_labels()), or its one-hot
  /// columns as they are.
  void fill(const std::size_t* indices, std::size_t n, float* x, float* y) const;

 private:
  const data::EventStore& inputs_;
  TargetNormalization normalization_;
  std::vector<std::size_t> columns_;
};

}  // namespace hlslim
