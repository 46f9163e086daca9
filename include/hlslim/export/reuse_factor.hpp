#pragma once

// Reuse factors and convolution parallelization factors: which values are valid for a layer
// (hls4ml's rules, so that a configuration carries over to hls4ml unchanged) and which one a
// layer resolves to.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/export/hls_project.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// The dimensions hls4ml checks a reuse factor against: a dense layer's inputs and units; a
/// convolution's inputs per output position (channels x kernel) and filters.
struct ReuseDims {
  std::int64_t n_in = 0;
  std::int64_t n_out = 0;
};

/// The reuse dimensions of a dense or convolution layer reading `input`; nullopt for layers
/// without weights to multiply (their reuse factor does not matter).
std::optional<ReuseDims> reuse_dims(const Layer& layer, const Shape& input);

/// hls4ml's rule (FPGABackend._validate_reuse_factor): with m = ceil(n_in * n_out /
/// min(n_in, rf)), rf is valid when (m % n_out == 0 or rf >= n_in), (rf % n_in == 0 or
/// rf < n_in), and rf divides n_in * n_out. So below n_in it must divide n_in, above it must be
/// n_in times a divisor of n_out. False for rf < 1 or empty dimensions.
bool is_valid_reuse_factor(std::int64_t n_in, std::int64_t n_out, std::int64_t rf);

/// Every valid reuse factor, ascending, from 1 to n_in * n_out.
std::vector<std::int64_t> valid_reuse_factors(std::int64_t n_in, std::int64_t n_out);

/// The valid reuse factor closest to `rf`, the smaller one on a tie (hls4ml's choice when it
/// replaces an invalid value).
std::int64_t closest_reuse_factor(std::int64_t n_in, std::int64_t n_out, std::int64_t rf);

/// The nearest valid values around `rf`: {rf} when it is valid, else the largest valid value
/// below it and the smallest above it (one of them when the other does not exist).
std::vector<std::int64_t> nearest_valid_reuse_factors(std::int64_t n_in, std::int64_t n_out,
                                                      std::int64_t rf);

/// The reuse factor of one layer: its attribute "reuse_factor" (an integer, resolved name >
/// type > model) else options.reuse_factor. Layers without weights give 1. Throws
/// hlslim::Error (kExitConfig) when the attribute is not an integer.
std::int64_t layer_reuse_factor(const Graph& graph, const Layer& layer,
                                const HlsProjectOptions& options);

/// Every layer whose reuse factor is invalid, one line each, e.g.
///   "layer 'fc1': reuse factor 7 is not valid for 176 inputs x 10 outputs (nearest valid: 4,
///   8)"
/// Empty when all are valid.
std::vector<std::string> reuse_factor_problems(const Graph& graph,
                                               const HlsProjectOptions& options);

/// The output positions of a conv1d/conv2d layer reading `input` (out_width, or out_height x
/// out_width): the range of its parallelization factor; nullopt for other layers.
std::optional<std::int64_t> conv_output_positions(const Layer& layer, const Shape& input);

/// hls4ml's valid parallelization factors of a convolution with `positions` output positions
/// (FPGABackend.get_valid_conv_partition_splits): the divisors of `positions`, ascending. Empty
/// for positions < 1.
std::vector<std::int64_t> valid_parallelization_factors(std::int64_t positions);

/// The valid parallelization factor closest to `pf`, the smaller one on a tie (hls4ml replaces
/// an invalid value so, with a warning).
std::int64_t closest_parallelization_factor(std::int64_t positions, std::int64_t pf);

/// The parallelization factor hls4ml is to use for one layer (the value of its
/// `ParallelizationFactor`): the layer's attribute "parallelization_factor" (an integer,
/// resolved name > type > model), replaced by the closest valid value when it is not valid
/// (parallelization_factor_problems() reports that); without the attribute, every output
/// position at once (PF = positions), the design hlslim's own HLS project builds. Layers other
/// than conv1d/conv2d give 1. Throws hlslim::Error (kExitConfig) naming the layer when the
/// attribute is not an integer or is below 1, or when the graph's shapes cannot be inferred.
std::int64_t layer_parallelization_factor(const Graph& graph, const Layer& layer);

/// A convolution's "parallelization_factor" attribute that is not valid: `error` when it is not
/// an integer of at least 1 (nothing can be written), else hls4ml would replace it.
struct ParallelizationProblem {
  std::size_t layer = 0;  ///< graph layer index
  std::string message;
  bool error = false;
};

/// Every convolution whose "parallelization_factor" attribute is not valid, e.g.
///   "layer 'conv': parallelization factor 5 is not valid for 16 output positions (valid: 1, 2,
///   4, 8, 16); hls4ml uses 4"
/// Empty when all are valid (or unset).
std::vector<ParallelizationProblem> parallelization_factor_problems(const Graph& graph);

}  // namespace hlslim
