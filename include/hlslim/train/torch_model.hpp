#pragma once

// The only graph header that includes LibTorch: include it only where training happens.
#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// The values a quantization-aware forward quantizes.
enum class QuantRole { kInput, kWeight, kBias, kResult };

/// Quantizers that replace the fixed types of some values in the quantization-aware forward
/// (learned bit widths: train/learned_widths.hpp).
class ValueQuantizers {
 public:
  virtual ~ValueQuantizers() = default;
  /// `x` (the value of `role` of layer `layer`; the network's input for kInput, whose `layer`
  /// is ignored) quantized with gradients, or an undefined tensor where the fixed type of the
  /// module's precision applies.
  virtual torch::Tensor quantize(std::size_t layer, QuantRole role, const torch::Tensor& x) = 0;
};

/// A LibTorch module instantiated from a Graph. Layers are registered under their graph names,
/// so `named_parameters()` reads "conv1.weight". Tensors present in the graph are copied in
/// bit for bit; layers without weights are initialised with LibTorch's defaults (seed them with
/// torch::manual_seed for reproducibility).
class GraphModuleImpl : public torch::nn::Module {
 public:
  explicit GraphModuleImpl(const Graph& graph);

  /// Runs the whole chain on a batch [N, ...input_shape].
  torch::Tensor forward(torch::Tensor x);

  /// Runs the chain without a trailing softmax layer: the logits a cross-entropy loss reads and
  /// every evaluation computes its figures from (the firmware drops that softmax too). The same
  /// as forward() for a model that does not end with a softmax.
  torch::Tensor forward_logits(torch::Tensor x);

  /// Runs the chain and also returns the output of every layer (for hints and reports).
  std::vector<torch::Tensor> forward_all(torch::Tensor x);

  /// Copies the module's current weights, biases, running statistics and masks into `graph`,
  /// which must have the architecture this module was built from.
  void store_weights(Graph& graph) const;

  /// Copies the tensors of `graph` (same architecture) into the module's parameters and buffers.
  void load_weights(const Graph& graph);

  /// Multiplies every masked weight (and masked bias: "bias_mask") by its mask in place, so pruned
  /// weights are exactly zero (the forward pass masks them anyway; optimizers would otherwise move
  /// them).
  void apply_masks();

  /// Keeps the outputs of these layers (indices into the graph) from every forward pass, with
  /// their autograd history, for hint losses; read them with tap().
  void set_taps(std::vector<std::size_t> layers);
  const torch::Tensor& tap(std::size_t layer) const;

  /// Quantization-aware forward: with a precision set, the input, every weight and bias and
  /// every layer result are fake-quantized to their ap_fixed types (straight-through
  /// gradients), and batch norm acts as the frozen affine map the engine computes. Accumulators
  /// are not modelled: LibTorch sums in floating point (docs/quantization.md says when that
  /// differs from the fixed-point engine). std::nullopt restores the float forward.
  void set_fake_quant(std::optional<ModelPrecision> precision);
  bool fake_quant() const { return precision_.has_value(); }

  /// Quantizers consulted before the fixed types while a precision is set (nullptr: none).
  void set_quantizers(std::shared_ptr<ValueQuantizers> quantizers) {
    quantizers_ = std::move(quantizers);
  }

  const Graph& architecture() const { return graph_; }

 private:
  torch::Tensor apply_layer(std::size_t index, torch::Tensor x);
  // The first `count` layers (fake-quantizing the input first when quantizing).
  torch::Tensor run_layers(torch::Tensor x, std::size_t count);

  // Handles to one layer's registered tensors (they share storage with the parameters).
  struct Slots {
    torch::Tensor weight, bias, weight_mask, bias_mask, running_mean, running_var;
  };

  torch::Tensor quantized_batch_norm(std::size_t index, const torch::Tensor& x) const;

  torch::Tensor quantized(std::size_t layer, QuantRole role, const torch::Tensor& x,
                          const std::optional<FixedType>& type);

  std::optional<ModelPrecision> precision_;  // set for quantization-aware training
  std::shared_ptr<ValueQuantizers> quantizers_;
  std::map<std::size_t, torch::Tensor> taps_;  // layer index -> its last output
  Graph graph_;               // architecture only; weights live in the registered modules
  std::vector<Slots> slots_;  // one per layer; all undefined for functional layers
};
TORCH_MODULE(GraphModule);

/// Converts between graph tensors and LibTorch tensors (copies).
torch::Tensor to_torch(const Tensor& tensor);
Tensor from_torch(const torch::Tensor& tensor);

}  // namespace hlslim
