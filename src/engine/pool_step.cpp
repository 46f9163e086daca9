// Max and average pooling, windowed (stride = window) and global (docs/engine.md, "Pooling").

#include <algorithm>

#include "convert.hpp"
#include "hlslim/util/errors.hpp"
#include "steps.hpp"

namespace hlslim::engine_detail {
namespace {

bool is_average(LayerKind kind) {
  return kind == LayerKind::kAvgPool1d || kind == LayerKind::kAvgPool2d ||
         kind == LayerKind::kGlobalAvgPool;
}

bool is_global(LayerKind kind) {
  return kind == LayerKind::kGlobalMaxPool || kind == LayerKind::kGlobalAvgPool;
}

// Where the windows lie in one channel's plane: the flat offset of each window's first value,
// and the offsets of the window's values from it, row-major.
struct Windows {
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> offsets;
};

Windows make_windows(const StepInput& input) {
  const Shape& in = input.in_shape;
  const std::size_t dims = in.size() - 1;
  Windows w;
  if (is_global(input.layer->kind)) {
    w.starts = {0};
    for (std::int64_t i = 0; i < shape_numel(in) / in[0]; ++i) w.offsets.push_back(i);
    return w;
  }
  const std::vector<std::int64_t>& pool = input.layer->params.pool;
  std::vector<std::int64_t> stride(dims, 1);  // of each spatial dimension in the plane
  for (std::size_t d = dims - 1; d > 0; --d) stride[d - 1] = stride[d] * in[d + 1];
  // Row-major walk over a box of `sizes`, giving the flat offsets of its points scaled by
  // `step` per dimension.
  auto walk = [&](const Shape& sizes, const Shape& step) {
    std::vector<std::int64_t> out;
    for (std::int64_t flat = 0; flat < shape_numel(sizes); ++flat) {
      std::int64_t rest = flat;
      std::int64_t offset = 0;
      for (std::size_t d = dims; d-- > 0;) {
        offset += (rest % sizes[d]) * step[d] * stride[d];
        rest /= sizes[d];
      }
      out.push_back(offset);
    }
    return out;
  };
  const Shape out_sizes(input.out_shape.begin() + 1, input.out_shape.end());
  w.starts = walk(out_sizes, pool);
  w.offsets = walk(pool, Shape(dims, 1));
  return w;
}

class PoolStep final : public Step {
 public:
  explicit PoolStep(const StepInput& input);

  void run(const std::int64_t* in, std::int64_t* out) const override {
    if (average_) {
      run_average<false>(in, out, nullptr);
    } else {
      run_max<false>(in, out, nullptr);
    }
  }
  void run_stats(const std::int64_t* in, std::int64_t* out, LayerStats& stats) const override {
    if (average_) {
      run_average<true>(in, out, &stats);
    } else {
      run_max<true>(in, out, &stats);
    }
    stats.values += static_cast<std::int64_t>(out_size());
  }

 private:
  template <bool kStats>
  void run_max(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const;
  template <bool kStats>
  void run_average(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const;

  bool average_;
  std::size_t channels_;
  std::int64_t plane_;
  Windows windows_;
  int in_fraction_bits_;
  int log2_window_ = 0;
  Converter to_accum_;  // a value (F_x) into the accumulator
  Converter accum_;     // accumulator + value (F_acc): overflow only
  Converter result_;    // max: F_x -> result; average: sum / 2^k, F_acc + k -> result
};

PoolStep::PoolStep(const StepInput& input)
    : Step(input, input.require("result")),
      average_(is_average(input.layer->kind)),
      channels_(static_cast<std::size_t>(input.in_shape.at(0))),
      plane_(shape_numel(input.in_shape) / input.in_shape.at(0)),
      windows_(make_windows(input)),
      in_fraction_bits_(input.in_type.fraction_bits()) {
  if (!average_) {
    result_ = Converter(input.in_type.fraction_bits(), out_type());
    return;
  }
  const std::size_t size = windows_.offsets.size();
  while ((std::size_t{1} << log2_window_) < size) ++log2_window_;
  if ((std::size_t{1} << log2_window_) != size) {
    throw Error(input.context() + ": average over " + std::to_string(size) +
                " values, not a power of two: the engine divides exactly by a shift only");
  }
  const FixedType& accum = input.require("accum");
  to_accum_ = Converter(input.in_type.fraction_bits(), accum);
  accum_ = Converter(accum.fraction_bits(), accum);
  result_ = Converter(accum.fraction_bits() + log2_window_, out_type());
}

template <bool kStats>
void PoolStep::run_max(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const {
  for (std::size_t c = 0; c < channels_; ++c) {
    const std::int64_t* plane = in + c * plane_;
    for (const std::int64_t start : windows_.starts) {
      std::int64_t m = plane[start + windows_.offsets[0]];
      for (const std::int64_t offset : windows_.offsets) m = std::max(m, plane[start + offset]);
      if constexpr (kStats) {
        observe(*stats, value_of(m, in_fraction_bits_));
        *out++ = result_(m, stats->result_overflows);
      } else {
        *out++ = result_(m);
      }
    }
  }
}

// Each value is assigned to the accumulator and added with its overflow, in window order; the
// sum is divided by the window size 2^k exactly (k more fraction bits) before the result.
template <bool kStats>
void PoolStep::run_average(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const {
  std::int64_t unused = 0;
  std::int64_t& overflows = kStats ? stats->accum_overflows : unused;
  for (std::size_t c = 0; c < channels_; ++c) {
    const std::int64_t* plane = in + c * plane_;
    for (const std::int64_t start : windows_.starts) {
      Int128 sum = 0;
      for (const std::int64_t offset : windows_.offsets) {
        if constexpr (kStats) {
          sum = accum_(sum + to_accum_(plane[start + offset], overflows), overflows);
        } else {
          sum = accum_(sum + to_accum_(plane[start + offset]));
        }
      }
      if constexpr (kStats) {
        observe(*stats, value_of(sum, accum_.type().fraction_bits() + log2_window_));
        *out++ = result_(sum, stats->result_overflows);
      } else {
        *out++ = result_(sum);
      }
    }
  }
}

}  // namespace

std::unique_ptr<Step> make_pool_step(const StepInput& input) {
  return std::make_unique<PoolStep>(input);
}

}  // namespace hlslim::engine_detail
