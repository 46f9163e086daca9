// Value-by-value layers: relu, leaky relu, batch normalisation, and the layers that pass values
// through (docs/engine.md, "Activations and batch normalisation").

#include <algorithm>
#include <cmath>

#include "convert.hpp"
#include "hlslim/util/errors.hpp"
#include "steps.hpp"

namespace hlslim::engine_detail {
namespace {

// Shared loop of the value-by-value steps: Derived::exact(i, x) gives the exact value that is
// converted, and the converter that takes it to the result type.
template <class Derived>
class ElementwiseStep : public Step {
 public:
  using Step::Step;

  void run(const std::int64_t* in, std::int64_t* out) const override {
    const auto& self = static_cast<const Derived&>(*this);
    for (std::size_t i = 0; i < in_size(); ++i) {
      const auto [value, converter] = self.exact(i, in[i]);
      out[i] = (*converter)(value);
    }
  }

  void run_stats(const std::int64_t* in, std::int64_t* out, LayerStats& stats) const override {
    const auto& self = static_cast<const Derived&>(*this);
    for (std::size_t i = 0; i < in_size(); ++i) {
      const auto [value, converter] = self.exact(i, in[i]);
      observe(stats, value_of(value, converter->fraction_bits_from()));
      out[i] = (*converter)(value, stats.result_overflows);
    }
    stats.values += static_cast<std::int64_t>(in_size());
  }
};

// A converter that remembers its source's fraction bits, for the stats.
class SourcedConverter : public Converter {
 public:
  SourcedConverter() = default;
  SourcedConverter(int from_fraction_bits, const FixedType& to)
      : Converter(from_fraction_bits, to), from_(from_fraction_bits) {}
  int fraction_bits_from() const { return from_; }

 private:
  int from_ = 0;
};

using Exact = std::pair<Int128, const SourcedConverter*>;

class ReluStep final : public ElementwiseStep<ReluStep> {
 public:
  explicit ReluStep(const StepInput& input)
      : ElementwiseStep(input, input.require("result")),
        convert_(input.in_type.fraction_bits(), out_type()) {}

  Exact exact(std::size_t, std::int64_t x) const { return {x > 0 ? x : 0, &convert_}; }

 private:
  SourcedConverter convert_;
};

// x for x >= 0, otherwise alpha * x with alpha quantized to the weight type; the product is
// exact (F_w + F_x fraction bits) until its conversion to the result.
class LeakyReluStep final : public ElementwiseStep<LeakyReluStep> {
 public:
  explicit LeakyReluStep(const StepInput& input)
      : ElementwiseStep(input, input.require("result")),
        alpha_(quantize(input.layer->params.alpha, input.require("weight"))),
        positive_(input.in_type.fraction_bits(), out_type()),
        negative_(input.require("weight").fraction_bits() + input.in_type.fraction_bits(),
                  out_type()) {}

  Exact exact(std::size_t, std::int64_t x) const {
    if (x >= 0) return {x, &positive_};
    return {multiply_raw(alpha_, x), &negative_};
  }

 private:
  std::int64_t alpha_;
  SourcedConverter positive_;
  SourcedConverter negative_;
};

// Number of bits of the magnitude of v (0 for 0).
int magnitude_bits(Int128 v) {
  fixed_detail::UInt128 m = static_cast<fixed_detail::UInt128>(v < 0 ? -v : v);
  int bits = 0;
  while (m != 0) {
    m >>= 1;
    ++bits;
  }
  return bits;
}

// y = scale * x + shift per channel (the first dimension), with scale = gamma/sqrt(var + eps)
// in the weight type and shift = beta - mean * scale in the bias type. The product and the
// shift are aligned to the finer of their fraction bits and added exactly.
class BatchNormStep final : public ElementwiseStep<BatchNormStep> {
 public:
  explicit BatchNormStep(const StepInput& input);

  Exact exact(std::size_t i, std::int64_t x) const {
    const std::size_t c = i / plane_;
    const Int128 product = multiply_raw(scale_[c], x);
    return {product * product_factor_ + shift_aligned_[c], &convert_};
  }

 private:
  std::size_t plane_ = 1;
  std::vector<std::int64_t> scale_;
  std::vector<Int128> shift_aligned_;  // the shift in the sum's fraction bits
  Int128 product_factor_ = 1;          // 2^(F - F_w - F_x)
  SourcedConverter convert_;
};

BatchNormStep::BatchNormStep(const StepInput& input)
    : ElementwiseStep(input, input.require("result")) {
  const FixedType& weight = input.require("weight");
  const FixedType& bias = input.require("bias");
  const auto& gamma = layer_tensor(input, "weight").values;
  const auto& beta = layer_tensor(input, "bias").values;
  const auto& mean = layer_tensor(input, "running_mean").values;
  const auto& var = layer_tensor(input, "running_var").values;
  const int product_bits = weight.fraction_bits() + input.in_type.fraction_bits();
  const int sum_bits = std::max(product_bits, bias.fraction_bits());
  const Int128 x_max =
      std::max<Int128>(-static_cast<Int128>(input.in_type.raw_min()), input.in_type.raw_max());
  plane_ = in_size() / gamma.size();
  if (sum_bits - product_bits > 120 || sum_bits - bias.fraction_bits() > 120) {
    throw Error(input.context() + ": the weight type " + weight.to_string() +
                " and the bias type " + bias.to_string() +
                " are too far apart to add exactly in 128 bits");
  }
  for (std::size_t c = 0; c < gamma.size(); ++c) {
    const double scale =
        gamma[c] / std::sqrt(static_cast<double>(var[c]) + input.layer->params.eps);
    const double shift = beta[c] - mean[c] * scale;
    scale_.push_back(quantize(scale, weight));
    const std::int64_t shift_raw = quantize(shift, bias);
    // Both terms must stay exact in 128 bits once aligned.
    if (magnitude_bits(scale_.back() * x_max) + sum_bits - product_bits > 125 ||
        magnitude_bits(shift_raw) + sum_bits - bias.fraction_bits() > 125) {
      throw Error(input.context() + ": the weight type " + weight.to_string() +
                  " and the bias type " + bias.to_string() +
                  " are too far apart to add exactly in 128 bits");
    }
    shift_aligned_.push_back(static_cast<Int128>(shift_raw) << (sum_bits - bias.fraction_bits()));
  }
  product_factor_ = static_cast<Int128>(1) << (sum_bits - product_bits);
  convert_ = SourcedConverter(sum_bits, out_type());
}

// Flatten, reshape, dropout: same values, same type. The engine skips them; run() copies for
// callers that do not.
class PassthroughStep final : public Step {
 public:
  explicit PassthroughStep(const StepInput& input) : Step(input, input.in_type) {}

  void run(const std::int64_t* in, std::int64_t* out) const override {
    std::copy(in, in + in_size(), out);
  }
  void run_stats(const std::int64_t* in, std::int64_t* out, LayerStats& stats) const override {
    for (std::size_t i = 0; i < in_size(); ++i)
      observe(stats, value_of(in[i], out_type().fraction_bits()));
    stats.values += static_cast<std::int64_t>(in_size());
    run(in, out);
  }
  bool passthrough() const override { return true; }
};

}  // namespace

std::unique_ptr<Step> make_batch_norm_step(const StepInput& input) {
  return std::make_unique<BatchNormStep>(input);
}

std::unique_ptr<Step> make_activation_step(const StepInput& input) {
  if (input.layer->kind == LayerKind::kLeakyRelu) return std::make_unique<LeakyReluStep>(input);
  return std::make_unique<ReluStep>(input);
}

std::unique_ptr<Step> make_passthrough_step(const StepInput& input) {
  return std::make_unique<PassthroughStep>(input);
}

}  // namespace hlslim::engine_detail
