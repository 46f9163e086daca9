#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// Folds every batch norm that directly follows a dense or convolution layer into that layer's
/// weights and bias, and removes it: with s = gamma / sqrt(var + eps) per channel,
/// W' = s * W (row or filter-wise) and b' = s * (b - mean) + beta. The result equals the
/// original in evaluation mode up to float rounding. A layer without bias gains one. Masks are
/// kept (a masked weight stays zero). Batch norms elsewhere stay as they are. Returns the
/// (layer, folded batch norm) name pairs. Needs weights (Graph::has_weights()).
std::vector<std::pair<std::string, std::string>> fold_batch_norms(Graph& graph);

}  // namespace hlslim
