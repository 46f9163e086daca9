#pragma once

// Learned bit widths (HGQ-style), the LibTorch side: trainable fraction bits per weight group,
// bias group, ReLU result and the input, their quantizers with the surrogate gradient, the
// differentiable resource proxy, and the export of what was learned as exact per-layer types.
// docs/quantization.md, "Learned bit widths".
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/train/fake_quant.hpp"
#include "hlslim/train/learned_widths_options.hpp"
#include "hlslim/train/torch_model.hpp"

namespace hlslim {

/// The learned fraction bits of one model, as float parameters (the quantizers use them
/// rounded). Weights and biases of dense and convolution layers learn one value per layer,
/// output channel or weight (`granularity`); the input and every ReLU / leaky ReLU result one
/// per layer. Every other value keeps its calibrated type. Starts from the calibrated types.
class LearnedWidthsImpl : public torch::nn::Module, public ValueQuantizers {
 public:
  LearnedWidthsImpl(const Graph& architecture, const ModelPrecision& calibrated,
                    WidthGranularity granularity, int min_fraction_bits, int max_fraction_bits);

  /// Weights and biases: rounded to their learned grids (no overflow: the exported integer
  /// bits hold every value); the input and results: to their calibrated type with the learned
  /// fraction bits (width = calibrated integer bits + fraction bits), saturating as that type
  /// does. Gradients: straight-through for x, -ln 2 (q - x) for the fraction bits.
  torch::Tensor quantize(std::size_t layer, QuantRole role, const torch::Tensor& x) override;

  /// Keeps every fraction-bit parameter within its bounds (call after each optimizer step).
  void clamp_();

  /// Binds the weights (and masks) of `module`, built from the same architecture, for proxy().
  void bind(GraphModuleImpl& module);

  /// The resource proxy of the bound module's current weights, in bit units, differentiable in
  /// the fraction bits (one fused operation): per dense/conv layer, output positions times
  ///   sum over weights of b_w * b_x  +  nonzero weights * accumulator bits,
  /// with b_w = relu(log2|w| + f_w + 1) the bits of a weight, b_x the width of the values the
  /// layer reads (learned or calibrated) and the accumulator bits
  ///   I_x + max(log2|w| + 1) + log2 fan_in + max(F_x + max f_w, max f_b),
  /// the rounded fraction bits in the value, their gradient straight through.
  torch::Tensor proxy();
  /// proxy()'s value, and its gradient with respect to the parameter into `gradient` (its size).
  double proxy_value(std::vector<float>& gradient) const;
  /// Adds `weight` times proxy()'s gradient to the parameter's gradient (what the backward
  /// pass of weight * proxy() in the loss would add), without an autograd node.
  void add_proxy_gradient(double weight);

  /// The fraction bits (as trained, unrounded) of one layer's role, a view of the parameter;
  /// an undefined tensor when the role learns none (kInput: the input's).
  torch::Tensor fraction_bits(std::size_t layer, QuantRole role) const;
  /// Their gradient after a backward pass (a view of the parameter's).
  torch::Tensor fraction_bit_gradient(std::size_t layer, QuantRole role) const;

  /// Writes the weights and biases of `graph` (same architecture) quantized onto their learned
  /// grids, sets the weight mask to 0 where a weight became 0, and returns the precision: the
  /// calibrated one with learned input and result types, per layer the narrowest weight and
  /// bias type that holds every quantized value exactly, and accumulators resolved by
  /// `request` (its `auto` wide enough for every sum).
  ModelPrecision apply(Graph& graph, const PrecisionRequest& request) const;

  /// Per layer and role: granularity, groups, fraction bits (min, mean, max), mean total bits
  /// (integer bits of the group's values + fraction bits) of `graph` as apply() left it, and
  /// the type of `precision`.
  nlohmann::json summary(const Graph& graph, const ModelPrecision& precision) const;

  /// The parameters' values (copies), in a fixed order, and back.
  std::vector<torch::Tensor> values() const;
  void load_values(const std::vector<torch::Tensor>& values);

 private:
  struct Entry {
    std::int64_t offset = -1;         // into the parameter; -1: not learned
    std::int64_t count = 0;           // groups
    std::vector<std::int64_t> shape;  // the groups viewed to broadcast over the value
    LearnedQuantSpec spec;            // calibrated type, bounds, values per group
    bool defined() const { return offset >= 0; }
  };
  const Entry& entry(std::size_t layer, QuantRole role) const;
  torch::Tensor slice(const Entry& e) const { return f_.narrow(0, e.offset, e.count); }
  torch::Tensor rounded(const Entry& e) const;  // clamp(round(f)), no gradient
  // proxy_value(); without `with_value` the gradient is the same but the value returned is
  // not the proxy (the logarithms of the weights are taken only where the gradient needs
  // them: layers that read a learned width).
  double proxy_pass(std::vector<float>& gradient, bool with_value) const;

  Graph graph_;
  ModelPrecision calibrated_;
  torch::Tensor f_;        // every learned fraction bit, one parameter
  torch::Tensor lo_, hi_;  // its bounds, widened by half a bit
  Entry input_;
  std::vector<Entry> weight_, bias_, result_;   // one per layer
  std::vector<std::int64_t> source_;            // layer whose result a layer reads; -1: input
  std::vector<std::int64_t> positions_;         // output positions of dense/conv layers
  std::vector<torch::Tensor> weights_, masks_;  // bound by bind()
};
TORCH_MODULE(LearnedWidths);

}  // namespace hlslim
