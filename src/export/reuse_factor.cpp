// Reuse and parallelization factors: hls4ml's validity rules, the nearest valid values and
// per-layer resolution.

#include "hlslim/export/reuse_factor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "hlslim/graph/layer_types.hpp"
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

std::optional<std::int64_t> conv_output_positions(const Layer& layer, const Shape& input) {
  if (layer.kind != LayerKind::kConv1d && layer.kind != LayerKind::kConv2d) return std::nullopt;
  const ShapeResult out = infer_output_shape(layer, input);
  if (!out.ok()) throw Error("layer '" + layer.name + "': " + out.error, kExitConfig);
  std::int64_t positions = 1;
  for (std::size_t d = 1; d < out.shape.size(); ++d) positions *= out.shape[d];
  return positions;
}

std::vector<std::int64_t> valid_parallelization_factors(std::int64_t positions) {
  std::vector<std::int64_t> valid;
  for (std::int64_t d = 1; d * d <= positions; ++d) {
    if (positions % d != 0) continue;
    valid.push_back(d);
    if (positions / d != d) valid.push_back(positions / d);
  }
  std::sort(valid.begin(), valid.end());
  return valid;
}

std::int64_t closest_parallelization_factor(std::int64_t positions, std::int64_t pf) {
  const std::vector<std::int64_t> valid = valid_parallelization_factors(positions);
  if (valid.empty()) return 1;
  std::int64_t best = valid.front();
  for (std::int64_t v : valid) {
    if (std::llabs(v - pf) < std::llabs(best - pf)) best = v;
  }
  return best;
}

namespace {

// The attribute's integer value, or nullopt when unset; throws when it is no integer >= 1.
std::optional<std::int64_t> pf_attribute(const Graph& graph, const Layer& layer) {
  const std::optional<AttrValue> attr = graph.resolve_attr(layer, "parallelization_factor");
  if (!attr) return std::nullopt;
  std::optional<std::int64_t> value;
  if (const auto* v = std::get_if<std::int64_t>(&*attr)) value = *v;
  if (const auto* v = std::get_if<double>(&*attr)) {
    if (std::floor(*v) == *v && std::fabs(*v) < 1e15) value = static_cast<std::int64_t>(*v);
  }
  if (!value || *value < 1) {
    throw Error("layer '" + layer.name +
                    "': attribute parallelization_factor must be an integer of at least 1",
                kExitConfig);
  }
  return value;
}

// The output positions of `layer` in `graph`.
std::int64_t positions_in(const Graph& graph, const Layer& layer) {
  const std::vector<Shape> shapes = graph.shapes();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    if (&graph.layers[i] == &layer || graph.layers[i].name == layer.name) {
      return conv_output_positions(graph.layers[i], shapes[i]).value_or(1);
    }
  }
  throw Error("layer '" + layer.name + "' is not in graph '" + graph.name + "'", kExitConfig);
}

}  // namespace

std::int64_t layer_parallelization_factor(const Graph& graph, const Layer& layer) {
  if (layer.kind != LayerKind::kConv1d && layer.kind != LayerKind::kConv2d) return 1;
  const std::int64_t positions = positions_in(graph, layer);
  const std::optional<std::int64_t> pf = pf_attribute(graph, layer);
  if (!pf) return positions;
  return closest_parallelization_factor(positions, *pf);
}

std::vector<ParallelizationProblem> parallelization_factor_problems(const Graph& graph) {
  std::vector<ParallelizationProblem> problems;
  const std::vector<Shape> shapes = graph.shapes();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const std::optional<std::int64_t> positions = conv_output_positions(layer, shapes[i]);
    if (!positions) continue;
    std::optional<std::int64_t> pf;
    try {
      pf = pf_attribute(graph, layer);
    } catch (const Error& e) {
      problems.push_back({i, e.what(), true});
      continue;
    }
    if (!pf || *positions % *pf == 0) continue;
    std::string valid;
    for (std::int64_t v : valid_parallelization_factors(*positions))
      valid += (valid.empty() ? "" : ", ") + std::to_string(v);
    problems.push_back({i,
                        "layer '" + layer.name + "': parallelization factor " +
                            std::to_string(*pf) + " is not valid for " +
                            std::to_string(*positions) + " output positions (valid: " + valid +
                            "); hls4ml uses " +
                            std::to_string(closest_parallelization_factor(*positions, *pf)),
                        false});
  }
  return problems;
}

}  // namespace hlslim
