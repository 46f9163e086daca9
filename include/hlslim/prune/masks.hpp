#pragma once

#include <map>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// True for layers whose weights pruning acts on (dense and convolutions).
bool is_prunable(const Layer& layer);

/// Sets the `weight_mask` of each layer named in `sparsity` so that that fraction of its
/// weights, the smallest in magnitude (ties: the earlier index), is masked: exactly
/// floor(fraction * count) weights per layer. With `global`, one magnitude threshold is shared
/// by all those layers and the fraction (the same for all) applies to their weights together.
/// Masked weights are set to exactly zero.
void apply_magnitude_masks(Graph& graph, const std::map<std::string, double>& sparsity,
                           bool global);

/// The polynomial-decay schedule: the sparsity at `step`, going from `initial` at `begin` to
/// `final` at `end` as final + (initial - final) * (1 - (step - begin) / (end - begin))^power,
/// constant outside that range.
double polynomial_sparsity(double initial, double final, std::int64_t begin, std::int64_t end,
                           double power, std::int64_t step);

/// Fraction of a layer's weights that are zero or masked.
double weight_sparsity(const Layer& layer);

}  // namespace hlslim
