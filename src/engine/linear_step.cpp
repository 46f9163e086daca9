// Dense and convolution layers: sparse lists of nonzero weights per output channel, summed in
// the accumulator type (docs/engine.md, "Dense and convolution").

#include <algorithm>
#include <limits>

#include "convert.hpp"
#include "hlslim/engine/exact_sum.hpp"
#include "hlslim/util/errors.hpp"
#include "steps.hpp"

namespace hlslim::engine_detail {
namespace {

constexpr int kMaxSpatialDims = 2;

// A nonzero weight: its raw, where its input lies relative to the window's origin, and its
// kernel coordinates (to skip zero padding at the borders).
struct Tap {
  std::int64_t w;
  std::int32_t offset;
  std::int16_t k[kMaxSpatialDims];
};

// An output position: the flat input index of its window's origin (negative or past the end
// when the window hangs over zero padding) and whether the whole window lies inside the input.
struct Position {
  std::int64_t offset;
  std::int32_t origin[kMaxSpatialDims];
  bool interior;
};

// Geometry of a dense layer (no spatial dimension) or a 1-d/2-d convolution, channels first.
struct Geometry {
  int dims = 0;
  std::int64_t channels_in = 0;
  std::int64_t filters = 0;
  std::int64_t in_size[kMaxSpatialDims] = {1, 1};
  std::int64_t in_stride[kMaxSpatialDims] = {1, 1};
  std::int64_t kernel[kMaxSpatialDims] = {1, 1};
  std::int64_t out_size[kMaxSpatialDims] = {1, 1};
  std::int64_t stride[kMaxSpatialDims] = {1, 1};
  std::int64_t pad_before[kMaxSpatialDims] = {0, 0};
  std::int64_t in_plane = 1;
  std::int64_t out_plane = 1;
  std::int64_t kernel_size = 1;
};

// The output positions (row-major, per spatial dimension [lo, hi)) whose window holds a tap
// inside the input rather than in the zero padding. 1-d layers use dimension 0 only.
struct TapRange {
  std::int32_t lo[kMaxSpatialDims];
  std::int32_t hi[kMaxSpatialDims];
};

Geometry make_geometry(const StepInput& input) {
  const Layer& layer = *input.layer;
  Geometry g;
  if (layer.kind == LayerKind::kDense) {
    g.channels_in = input.in_shape.at(0);
    g.filters = layer.params.units;
    return g;
  }
  g.dims = static_cast<int>(input.in_shape.size()) - 1;
  g.channels_in = input.in_shape[0];
  g.filters = layer.params.filters;
  // torch's padding: "same" pads k-1 in total, (k-1)/2 before and the rest after.
  const bool same = layer.params.padding == Padding::kSame;
  for (int d = g.dims - 1; d >= 0; --d) {
    g.in_size[d] = input.in_shape[d + 1];
    g.in_stride[d] = g.in_plane;
    g.in_plane *= g.in_size[d];
    g.kernel[d] = layer.params.kernel.at(d);
    g.kernel_size *= g.kernel[d];
    g.out_size[d] = input.out_shape.at(d + 1);
    g.out_plane *= g.out_size[d];
    g.stride[d] = layer.params.stride.at(d);
    g.pad_before[d] = same ? (g.kernel[d] - 1) / 2 : 0;
  }
  return g;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Output o reads input o * stride - pad + k, which must lie in [0, in_size).
TapRange tap_range(const Geometry& g, const std::int16_t* k) {
  TapRange r{{0, 0}, {1, 1}};
  for (int d = 0; d < g.dims; ++d) {
    const std::int64_t first = -floor_div(k[d] - g.pad_before[d], g.stride[d]);
    const std::int64_t last = floor_div(g.in_size[d] - 1 + g.pad_before[d] - k[d], g.stride[d]);
    r.lo[d] = static_cast<std::int32_t>(std::max<std::int64_t>(first, 0));
    r.hi[d] = static_cast<std::int32_t>(std::min(last + 1, g.out_size[d]));
  }
  return r;
}

// Every output position in row-major order.
std::vector<Position> make_positions(const Geometry& g) {
  std::vector<Position> positions;
  positions.reserve(static_cast<std::size_t>(g.out_plane));
  for (std::int64_t flat = 0; flat < g.out_plane; ++flat) {
    Position pos{0, {0, 0}, true};
    std::int64_t rest = flat;
    for (int d = g.dims - 1; d >= 0; --d) {
      const std::int64_t o = rest % g.out_size[d];
      rest /= g.out_size[d];
      const std::int64_t origin = o * g.stride[d] - g.pad_before[d];
      pos.origin[d] = static_cast<std::int32_t>(origin);
      pos.offset += origin * g.in_stride[d];
      if (origin < 0 || origin + g.kernel[d] > g.in_size[d]) pos.interior = false;
    }
    positions.push_back(pos);
  }
  return positions;
}

class LinearStep final : public Step {
 public:
  explicit LinearStep(const StepInput& input);

  void run(const std::int64_t* in, std::int64_t* out) const override {
    switch (path_) {
      case LinearPath::kExactSum:
        return run_exact<false>(in, out, nullptr);
      case LinearPath::kPerOperation64:
        return run_per_operation<false, std::int64_t>(in, out, nullptr);
      case LinearPath::kPerOperation128:
        return run_per_operation<false, Int128>(in, out, nullptr);
    }
  }
  void run_stats(const std::int64_t* in, std::int64_t* out, LayerStats& stats) const override {
    switch (path_) {
      case LinearPath::kExactSum:
        return run_exact<true>(in, out, &stats);
      case LinearPath::kPerOperation64:
        return run_per_operation<true, std::int64_t>(in, out, &stats);
      case LinearPath::kPerOperation128:
        return run_per_operation<true, Int128>(in, out, &stats);
    }
  }
  std::optional<LinearPath> linear_path() const override { return path_; }

 private:
  void quantize_weights(const StepInput& input);
  void quantize_biases(const StepInput& input);
  bool exact_sum_applies(const StepInput& input) const;
  bool int64_applies(const StepInput& input) const;

  bool inside(const Position& pos, const Tap& tap) const {
    for (int d = 0; d < geometry_.dims; ++d) {
      const std::int64_t i = pos.origin[d] + tap.k[d];
      if (i < 0 || i >= geometry_.in_size[d]) return false;
    }
    return true;
  }

  // A product (F_w + F_x fraction bits) assigned to the accumulator type.
  std::int64_t product_to_accum(Int128 product) const { return product_(product); }
  std::int64_t product_to_accum(Int128 product, std::int64_t& overflows) const {
    return product_(product, overflows);
  }
  std::int64_t product_to_accum(std::int64_t product) const {
    const std::int64_t q = product_shift_ > 0 ? rounder_(product) : product * product_factor_;
    return q >= accum_lo_ && q <= accum_hi_ ? q : fixed_detail::apply_overflow(q, accum_.type());
  }
  std::int64_t product_to_accum(std::int64_t product, std::int64_t& overflows) const {
    const std::int64_t q = product_shift_ > 0 ? rounder_(product) : product * product_factor_;
    if (q >= accum_lo_ && q <= accum_hi_) return q;
    ++overflows;
    return fixed_detail::apply_overflow(q, accum_.type());
  }

  // The last step of every output: the exact accumulator, in accum steps, to the result type.
  template <bool kStats>
  void finish(Int128 acc, std::int64_t* out, LayerStats* stats) const {
    if constexpr (kStats) {
      observe(*stats, value_of(acc, accum_.type().fraction_bits()));
      ++stats->values;
      *out = result_(acc, stats->result_overflows);
    } else {
      *out = result_(acc);
    }
  }

  template <bool kStats>
  void run_exact(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const;
  static std::int64_t dense_sum(const Tap* begin, const Tap* end, const std::int64_t* in);
  void add_tap(const Tap& tap, const TapRange& range, const std::int64_t* in,
               std::int64_t* sums) const;
  template <bool kStats, class Acc>
  void run_per_operation(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const;

  Geometry geometry_;
  std::vector<Position> positions_;
  std::vector<Tap> taps_;
  std::vector<TapRange> tap_ranges_;    // one per tap
  std::vector<std::size_t> tap_begin_;  // taps of filter f: [tap_begin_[f], tap_begin_[f+1])
  std::vector<std::int64_t> bias_acc_;  // bias raws in the accum type (0 without bias)
  std::vector<bool> bias_overflowed_;   // the bias did not fit the accum type
  Converter product_;                   // product (F_w + F_x) -> accum
  Converter accum_;                     // F_acc -> accum: its range, and sums' overflow
  Converter result_;                    // accum -> result
  LinearPath path_ = LinearPath::kPerOperation128;
  // kExactSum: 2^(F_acc - F_w - F_x). kPerOperation64: the product's shift into the
  // accumulator, as a rounding right shift (product_shift_ > 0) or a factor.
  std::int64_t product_factor_ = 1;
  int product_shift_ = 0;
  ShiftRounder rounder_;
  std::int64_t accum_lo_ = 0;
  std::int64_t accum_hi_ = 0;
};

LinearStep::LinearStep(const StepInput& input)
    : Step(input, input.require("result")), geometry_(make_geometry(input)) {
  const FixedType& weight = input.require("weight");
  const FixedType& accum = input.require("accum");
  const int product_bits = weight.fraction_bits() + input.in_type.fraction_bits();
  product_ = Converter(product_bits, accum);
  accum_ = Converter(accum.fraction_bits(), accum);
  result_ = Converter(accum.fraction_bits(), out_type());
  positions_ = make_positions(geometry_);
  quantize_weights(input);
  quantize_biases(input);
  product_shift_ = product_bits - accum.fraction_bits();
  accum_lo_ = static_cast<std::int64_t>(accum_.lo());  // any type's limits fit in int64
  accum_hi_ = static_cast<std::int64_t>(accum_.hi());
  if (input.fastest_path == LinearPath::kExactSum && exact_sum_applies(input)) {
    path_ = LinearPath::kExactSum;
    product_factor_ = std::int64_t{1} << -product_shift_;
  } else if (input.fastest_path != LinearPath::kPerOperation128 && int64_applies(input)) {
    path_ = LinearPath::kPerOperation64;
    if (product_shift_ > 0) {
      rounder_ = ShiftRounder(product_shift_, accum.quant);
    } else {
      product_factor_ = std::int64_t{1} << -product_shift_;
    }
  }
}

void LinearStep::quantize_weights(const StepInput& input) {
  const FixedType& weight = input.require("weight");
  const std::vector<float> values = masked_values(input, "weight");
  const Geometry& g = geometry_;
  const std::int64_t per_filter = g.channels_in * g.kernel_size;
  if (g.channels_in * g.in_plane > std::numeric_limits<std::int32_t>::max()) {
    throw Error(input.context() + ": input of " + std::to_string(g.channels_in * g.in_plane) +
                " values is too large for the engine");
  }
  tap_begin_.push_back(0);
  // Weight-tensor order, [out, in, k...]: input channel first, then kernel offsets row-major.
  for (std::int64_t f = 0; f < g.filters; ++f) {
    for (std::int64_t j = 0; j < per_filter; ++j) {
      const std::int64_t raw = quantize(values[f * per_filter + j], weight);
      if (raw == 0) continue;  // a zero weight adds exactly nothing
      Tap tap{raw, 0, {0, 0}};
      const std::int64_t c = j / g.kernel_size;
      std::int64_t rest = j % g.kernel_size;
      std::int64_t offset = c * g.in_plane;
      for (int d = g.dims - 1; d >= 0; --d) {
        tap.k[d] = static_cast<std::int16_t>(rest % g.kernel[d]);
        rest /= g.kernel[d];
        offset += tap.k[d] * g.in_stride[d];
      }
      tap.offset = static_cast<std::int32_t>(offset);
      taps_.push_back(tap);
      tap_ranges_.push_back(tap_range(g, tap.k));
    }
    tap_begin_.push_back(taps_.size());
  }
}

void LinearStep::quantize_biases(const StepInput& input) {
  bias_acc_.assign(static_cast<std::size_t>(geometry_.filters), 0);
  bias_overflowed_.assign(bias_acc_.size(), false);
  if (!input.layer->params.bias) return;
  const FixedType& bias = input.require("bias");
  const std::vector<float> values = masked_values(input, "bias");
  const Converter to_accum(bias.fraction_bits(), accum_.type());
  for (std::size_t f = 0; f < bias_acc_.size(); ++f) {
    std::int64_t overflows = 0;
    bias_acc_[f] = to_accum(quantize(values[f], bias), overflows);
    bias_overflowed_[f] = overflows != 0;
  }
}

// The fast path is exact when nothing inside the sum can round or overflow (sum_is_exact(),
// the rule the HLS export's adder graphs share).
bool LinearStep::exact_sum_applies(const StepInput& input) const {
  const int product_fraction =
      input.require("weight").fraction_bits() + input.in_type.fraction_bits();
  std::vector<std::int64_t> weights;
  for (std::size_t f = 0; f + 1 < tap_begin_.size(); ++f) {
    weights.clear();
    for (std::size_t t = tap_begin_[f]; t < tap_begin_[f + 1]; ++t) weights.push_back(taps_[t].w);
    if (!sum_is_exact(accum_.type(), product_fraction, input.in_type.raw_min(),
                      input.in_type.raw_max(), weights, bias_acc_[f])) {
      return false;
    }
  }
  return true;
}

// Exact sums need no order: a dense layer sums each output's taps in four independent chains,
// a convolution adds each tap to all the outputs it reaches (no padding checks, long
// independent runs), summing in `out` before the conversion.
template <bool kStats>
void LinearStep::run_exact(const std::int64_t* in, std::int64_t* out, LayerStats* stats) const {
  const std::size_t filters = bias_acc_.size();
  const std::int64_t plane = geometry_.out_plane;
  for (std::size_t f = 0; f < filters; ++f) {
    const Tap* begin = taps_.data() + tap_begin_[f];
    const Tap* end = taps_.data() + tap_begin_[f + 1];
    std::int64_t* sums = out + f * plane;
    if (geometry_.dims == 0) {
      sums[0] = dense_sum(begin, end, in);
    } else {
      std::fill(sums, sums + plane, 0);
      for (const Tap* t = begin; t != end; ++t)
        add_tap(*t, tap_ranges_[t - taps_.data()], in, sums);
    }
    for (std::int64_t p = 0; p < plane; ++p) {
      if constexpr (kStats) {
        if (bias_overflowed_[f]) ++stats->accum_overflows;
      }
      finish<kStats>(bias_acc_[f] + sums[p] * product_factor_, sums + p, stats);
    }
  }
}

std::int64_t LinearStep::dense_sum(const Tap* t, const Tap* end, const std::int64_t* in) {
  std::int64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (; end - t >= 4; t += 4) {
    s0 += t[0].w * in[t[0].offset];
    s1 += t[1].w * in[t[1].offset];
    s2 += t[2].w * in[t[2].offset];
    s3 += t[3].w * in[t[3].offset];
  }
  for (; t != end; ++t) s0 += t->w * in[t->offset];
  return (s0 + s1) + (s2 + s3);
}

void LinearStep::add_tap(const Tap& tap, const TapRange& range, const std::int64_t* in,
                         std::int64_t* sums) const {
  const bool two_d = geometry_.dims == 2;
  const std::int64_t columns = geometry_.out_size[two_d ? 1 : 0];
  const std::int64_t step = geometry_.stride[two_d ? 1 : 0];
  const int c = two_d ? 1 : 0;
  const std::int32_t rows_lo = two_d ? range.lo[0] : 0;
  const std::int32_t rows_hi = two_d ? range.hi[0] : 1;
  // A local weight and restrict pointers: without them every store to the sums could change
  // tap.w for all the compiler knows, and it reloads it each time.
  const std::int64_t w = tap.w;
  const std::int64_t first = range.lo[c];
  const std::int64_t count = range.hi[c] - first;
  if (count <= 0) return;  // the tap reads only padding
  for (std::int32_t row = rows_lo; row < rows_hi; ++row) {
    // The input under the tap for the row's first output in range, and the sums from there.
    const std::int64_t* __restrict x = in + (positions_[row * columns + first].offset + tap.offset);
    std::int64_t* __restrict s = sums + row * columns + first;
    if (step == 1) {
      for (std::int64_t i = 0; i < count; ++i) s[i] += w * x[i];
    } else {
      for (std::int64_t i = 0; i < count; ++i) s[i] += w * x[i * step];
    }
  }
}

// The per-operation paths need every product, its shift into the accumulator and every sum of
// two accumulator values to fit in int64 with room to spare (2^62), and a right shift of at
// most 62 bits for ShiftRounder.
bool LinearStep::int64_applies(const StepInput& input) const {
  if (accum_.type().width > 61 || product_shift_ > 62) return false;
  std::int64_t w_max = 0;
  for (const Tap& t : taps_) {
    if (t.w == std::numeric_limits<std::int64_t>::min()) return false;
    w_max = std::max(w_max, t.w < 0 ? -t.w : t.w);
  }
  const Int128 x_max =
      std::max<Int128>(-static_cast<Int128>(input.in_type.raw_min()), input.in_type.raw_max());
  const Int128 product_max = w_max * x_max;
  const Int128 limit = static_cast<Int128>(1) << 62;
  if (product_max >= limit) return false;
  return product_shift_ > 0 || product_max < (limit >> -product_shift_);
}

// Every product rounded and fitted into the accumulator, every addition fitted again, in
// weight-tensor order: what the HLS code does when the types are narrow. `Acc` is int64_t where
// int64_applies(), otherwise __int128.
template <bool kStats, class Acc>
void LinearStep::run_per_operation(const std::int64_t* in, std::int64_t* out,
                                   LayerStats* stats) const {
  const std::size_t filters = bias_acc_.size();
  std::int64_t unused = 0;
  std::int64_t& overflows = kStats ? stats->accum_overflows : unused;
  for (std::size_t f = 0; f < filters; ++f) {
    const Tap* begin = taps_.data() + tap_begin_[f];
    const Tap* end = taps_.data() + tap_begin_[f + 1];
    for (const Position& pos : positions_) {
      Acc acc = bias_acc_[f];
      if (kStats && bias_overflowed_[f]) ++overflows;
      for (const Tap* t = begin; t != end; ++t) {
        if (!pos.interior && !inside(pos, *t)) continue;  // zero padding adds nothing
        const Acc product = static_cast<Acc>(t->w) * in[pos.offset + t->offset];
        if constexpr (kStats) {
          acc += product_to_accum(product, overflows);
          if (acc < accum_lo_ || acc > accum_hi_) {
            ++overflows;
            acc = fixed_detail::apply_overflow(acc, accum_.type());
          }
        } else {
          acc += product_to_accum(product);
          if (acc < accum_lo_ || acc > accum_hi_) {
            acc = fixed_detail::apply_overflow(acc, accum_.type());
          }
        }
      }
      finish<kStats>(acc, out++, stats);
    }
  }
}

}  // namespace

std::unique_ptr<Step> make_linear_step(const StepInput& input) {
  return std::make_unique<LinearStep>(input);
}

}  // namespace hlslim::engine_detail

namespace hlslim {

bool sum_is_exact(const FixedType& accum, int product_fraction_bits, std::int64_t x_min,
                  std::int64_t x_max, const std::vector<std::int64_t>& weights,
                  std::int64_t bias_acc) {
  using fixed_detail::Int128;
  const int shift = accum.fraction_bits() - product_fraction_bits;
  if (shift < 0 || shift > 61) return false;
  const Int128 hi = accum.raw_max();
  const Int128 lo =
      accum.overflow == OverflowMode::kSatSym && accum.is_signed ? -hi : accum.raw_min();
  const Int128 limit = (static_cast<Int128>(1) << 62) >> shift;
  const Int128 scale = static_cast<Int128>(1) << shift;
  Int128 low = 0;
  Int128 high = 0;
  for (const std::int64_t w : weights) {
    const Int128 a = static_cast<Int128>(w) * x_min;
    const Int128 b = static_cast<Int128>(w) * x_max;
    low += std::min(a, b);
    high += std::max(a, b);
    if (high > limit || -low > limit) return false;
  }
  low *= scale;
  high *= scale;
  return low >= lo && high <= hi && bias_acc + low >= lo && bias_acc + high <= hi;
}

}  // namespace hlslim
