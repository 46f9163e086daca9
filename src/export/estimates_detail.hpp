#pragma once

// Internal to the estimates: the fully unrolled design that both hlslim's own project and
// hls4ml's io_parallel design start from.

#include "hls_project_model.hpp"
#include "hlslim/export/estimates.hpp"

namespace hlslim::estimate_detail {

/// Every layer of `model` (build_hls_model() of `graph`) computed at once, chained cycle by
/// cycle (docs/estimates.md, "Latency");
/// `register_outputs` closes the last, partly used cycle with an output register (hlslim's
/// project) or leaves it open (hls4ml's top, whose outputs are not registered).
ModelEstimate estimate_unrolled(const Graph& graph, const hls_detail::HlsModel& model,
                                const HlsProjectOptions& options, const EstimateModel& constants,
                                bool register_outputs);

}  // namespace hlslim::estimate_detail
