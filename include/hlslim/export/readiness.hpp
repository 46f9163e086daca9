#pragma once

// Checks, before anything is written, what hls4ml would reject or read differently from the
// fixed-point engine in the QONNX export of a quantized graph.

#include <vector>

#include "hlslim/export/hls4ml_config.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// The findings, per exported node, in graph order: "error" for what hls4ml rejects or
/// misreads (a layer without an exported form, 1-D pooling, an unknown strategy or I/O type,
/// a reuse factor below 1), "warning" for what hls4ml accepts but computes differently from
/// the engine (types a Quant node cannot carry exactly where hls4ml takes the type from the
/// Quant, average pools that divide inside a too narrow accumulator, constants wider than
/// float32) or changes silently (a reuse factor it replaces). Empty when the hand-off is exact.
/// Never throws for a graph that read_precision() accepts; a missing precision is an error
/// finding.
std::vector<ExportFinding> check_hls4ml_readiness(const Graph& quantized_graph,
                                                  const Hls4mlOptions& options);

}  // namespace hlslim
