#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// How the size of an output unit (a dense neuron or a convolution filter) is measured.
enum class UnitNorm { kL1, kL2 };

/// Parses "l1" or "l2"; nullopt otherwise.
std::optional<UnitNorm> parse_unit_norm(const std::string& name);

/// The norm of every output unit of a dense or convolution layer: over a row of the dense
/// weight [out, in] or a filter of the convolution weight [out, in, k...]. Masked weights count
/// as zero; the bias does not count. Throws hlslim::Error when the layer has no weight.
std::vector<double> unit_norms(const Layer& layer, UnitNorm norm);

/// Why the units of the dense or convolution layer at `index` cannot be removed physically, or
/// an empty string when they can. Depends only on the architecture: the units must reach a
/// later dense or convolution layer through layers that act channel by channel (activations,
/// dropout, batch norm, pools, flatten); they cannot be outputs of the model or pass through
/// reshape or softmax; and where a layer on the way maps zero to a constant (batch norm,
/// sigmoid), that constant must fold into the next layer's bias, which a convolution with
/// 'same' padding does not allow (its border sees the zero padding instead).
std::string removal_blocker(const Graph& graph, std::size_t index);

/// Masks whole units of each layer named in `fractions`: floor(fraction * units) units with the
/// smallest norm (ties: the earlier index), keeping at least one. A masked unit has its whole
/// `weight_mask` row and its `bias_mask` entry at zero and its weights and bias set to zero, so
/// its output is exactly zero. The units masked by an earlier call are recomputed (they have
/// norm zero, so a rising fraction keeps them); the unstructured mask entries of other units
/// are kept. Throws hlslim::Error naming the layer when it is not a dense or convolution layer
/// with weights, or when its units could not be removed (removal_blocker()).
void apply_structured_masks(Graph& graph, const std::map<std::string, double>& fractions,
                            UnitNorm norm);

/// What remove_pruned_units() did to one layer whose units it removed.
struct RemovedUnits {
  std::string layer;
  std::int64_t units_before = 0;
  std::int64_t units_after = 0;
  std::vector<std::int64_t> removed;  ///< indices in the layer before removal, ascending
  std::string consumer;               ///< the dense or convolution layer that lost the inputs
};

/// Deletes physically every fully masked unit (whole `weight_mask` row zero and, with a bias,
/// `bias_mask` entry zero) of the dense and convolution layers: their weight rows, bias and
/// mask entries, the matching batch-norm channels on the way, and the matching input columns
/// or channels of the next dense or convolution layer. Where a layer on the way turns the
/// unit's zero into a constant, the constant's contribution is added to that next layer's bias
/// (which is created if the layer had none). The outputs are those of the masked graph, up to
/// float rounding. Masks of dense and convolution layers left all ones are dropped. Throws
/// hlslim::Error naming the layers when a layer's masked units cannot be removed
/// (removal_blocker()); the graph is then unchanged.
std::vector<RemovedUnits> remove_pruned_units(Graph& graph);

/// Number of output units of a dense (units) or convolution (filters) layer.
std::int64_t unit_count(const Layer& layer);

}  // namespace hlslim
