#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// The quantize stage's report of the input: precision, representable range, range seen and
/// overflows.
nlohmann::json input_report(const FixedType& input, const EngineStats& stats);

/// One entry per layer that has precisions: its types by role, the result's representable
/// range against the range seen by the engine, result and accumulator overflow counts, and the
/// number of non-zero weights with their width.
nlohmann::json layer_report(const Graph& graph, const ModelPrecision& precision,
                            const EngineStats& stats);

/// Bits of all non-zero weights and biases: what the weights cost in a fully unrolled design.
std::int64_t total_weight_bits(const Graph& graph, const ModelPrecision& precision);

/// A fixed-width table of layer_report() for the log.
std::string precision_table(const Graph& graph, const ModelPrecision& precision,
                            const EngineStats& stats);

}  // namespace hlslim
