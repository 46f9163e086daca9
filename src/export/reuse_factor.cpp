// Reuse factors: hls4ml's validity rule, the nearest valid values and per-layer resolution.

#include "hlslim/export/reuse_factor.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/util/errors.hpp"

namespace hlslim {

std::optional<ReuseDims> reuse_dims(const Layer& layer, const Shape& input) {
  switch (layer.kind) {
    case LayerKind::kDense:
      return ReuseDims{shape_numel(input), layer.params.units};
    case LayerKind::kConv1d:
    case LayerKind::kConv2d: {
      std::int64_t n_in = input.empty() ? 0 : input[0];
      for (std::int64_t k : layer.params.kernel) n_in *= k;
      return ReuseDims{n_in, layer.params.filters};
    }
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kBatchNorm:
    case LayerKind::kDropout:
    case LayerKind::kRelu:
    case LayerKind::kLeakyRelu:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      return std::nullopt;  // no multiplications to share
  }
  return std::nullopt;
}

bool is_valid_reuse_factor(std::int64_t n_in, std::int64_t n_out, std::int64_t rf) {
  if (n_in < 1 || n_out < 1 || rf < 1) return false;
  const std::int64_t total = n_in * n_out;
  const std::int64_t mult_factor = std::min(n_in, rf);
  const std::int64_t multiplier_limit = (total + mult_factor - 1) / mult_factor;
  return (multiplier_limit % n_out == 0 || rf >= n_in) && (rf % n_in == 0 || rf < n_in) &&
         total % rf == 0;
}

std::vector<std::int64_t> valid_reuse_factors(std::int64_t n_in, std::int64_t n_out) {
  std::vector<std::int64_t> valid;
  if (n_in < 1 || n_out < 1) return valid;
  // Valid values divide n_in * n_out: walk the divisors only.
  const std::int64_t total = n_in * n_out;
  for (std::int64_t d = 1; d * d <= total; ++d) {
    if (total % d != 0) continue;
    if (is_valid_reuse_factor(n_in, n_out, d)) valid.push_back(d);
    const std::int64_t other = total / d;
    if (other != d && is_valid_reuse_factor(n_in, n_out, other)) valid.push_back(other);
  }
  std::sort(valid.begin(), valid.end());
  return valid;
}

std::vector<std::int64_t> nearest_valid_reuse_factors(std::int64_t n_in, std::int64_t n_out,
                                                      std::int64_t rf) {
  const std::vector<std::int64_t> valid = valid_reuse_factors(n_in, n_out);
  if (valid.empty()) return {};
  const auto above = std::lower_bound(valid.begin(), valid.end(), rf);
  if (above != valid.end() && *above == rf) return {rf};
  std::vector<std::int64_t> nearest;
  if (above != valid.begin()) nearest.push_back(*(above - 1));
  if (above != valid.end()) nearest.push_back(*above);
  return nearest;
}

std::int64_t closest_reuse_factor(std::int64_t n_in, std::int64_t n_out, std::int64_t rf) {
  const std::vector<std::int64_t> nearest = nearest_valid_reuse_factors(n_in, n_out, rf);
  if (nearest.empty()) return 1;
  if (nearest.size() == 1) return nearest[0];
  return rf - nearest[0] <= nearest[1] - rf ? nearest[0] : nearest[1];
}

std::int64_t layer_reuse_factor(const Graph& graph, const Layer& layer,
                                const HlsProjectOptions& options) {
  const Shape dummy{1};
  if (!reuse_dims(layer, dummy)) return 1;
  const std::optional<AttrValue> attr = graph.resolve_attr(layer, "reuse_factor");
  if (!attr) return options.reuse_factor;
  if (const auto* value = std::get_if<std::int64_t>(&*attr)) return *value;
  if (const auto* value = std::get_if<double>(&*attr)) {
    if (std::floor(*value) == *value && std::fabs(*value) < 1e15)
      return static_cast<std::int64_t>(*value);
  }
  throw Error("layer '" + layer.name + "': attribute reuse_factor must be an integer", kExitConfig);
}

std::vector<std::string> reuse_factor_problems(const Graph& graph,
                                               const HlsProjectOptions& options) {
  std::vector<std::string> problems;
  const std::vector<Shape> shapes = graph.shapes();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const std::optional<ReuseDims> dims = reuse_dims(layer, shapes[i]);
    if (!dims) continue;
    std::int64_t rf = 0;
    try {
      rf = layer_reuse_factor(graph, layer, options);
    } catch (const Error& e) {
      problems.push_back(e.what());
      continue;
    }
    if (is_valid_reuse_factor(dims->n_in, dims->n_out, rf)) continue;
    std::string text = "layer '" + layer.name + "': reuse factor " + std::to_string(rf) +
                       " is not valid for " + std::to_string(dims->n_in) + " inputs x " +
                       std::to_string(dims->n_out) + " outputs";
    const std::vector<std::int64_t> nearest =
        nearest_valid_reuse_factors(dims->n_in, dims->n_out, rf);
    if (!nearest.empty()) {
      text += " (nearest valid: ";
      for (std::size_t k = 0; k < nearest.size(); ++k)
        text += (k ? ", " : "") + std::to_string(nearest[k]);
      text += ")";
    }
    problems.push_back(text);
  }
  return problems;
}

}  // namespace hlslim
