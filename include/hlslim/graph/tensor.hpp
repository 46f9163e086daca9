#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hlslim {

/// A shape without the batch dimension: [features], [channels, length] or
/// [channels, height, width] (channels first, as LibTorch computes).
using Shape = std::vector<std::int64_t>;

/// "[8, 9, 16]"
std::string shape_str(const Shape& shape);

/// Product of the dimensions (1 for a scalar shape).
std::int64_t shape_numel(const Shape& shape);

/// A dense float32 tensor in row-major order, owned by the model graph. The graph keeps its
/// weights in this form so that everything except training works without LibTorch.
struct Tensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;

  Tensor() = default;
  explicit Tensor(std::vector<std::int64_t> shape_in, float fill = 0.0f);

  std::int64_t numel() const { return static_cast<std::int64_t>(values.size()); }
  bool operator==(const Tensor& other) const {
    return shape == other.shape && values == other.values;
  }
};

}  // namespace hlslim
