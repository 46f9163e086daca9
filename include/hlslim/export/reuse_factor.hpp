#pragma once

// Reuse factors: which values are valid for a layer (hls4ml's rule, so that a configuration
// carries over to hls4ml unchanged) and which one a layer resolves to.

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

}  // namespace hlslim
