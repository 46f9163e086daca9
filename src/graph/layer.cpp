#include "hlslim/graph/layer.hpp"

#include "hlslim/graph/tensor.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {

std::string shape_str(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) {
    // Checked: shapes come from configs and model files, and a wrapped product is undefined.
    if (__builtin_mul_overflow(n, d, &n)) {
      throw Error("shape " + shape_str(shape) + " has more than 2^63 elements");
    }
  }
  return n;
}

Tensor::Tensor(std::vector<std::int64_t> shape_in, float fill)
    : shape(std::move(shape_in)), values(static_cast<std::size_t>(shape_numel(shape)), fill) {}

}  // namespace hlslim
