#pragma once

// Resource and latency estimates of the generated HLS design before synthesis
// (docs/estimates.md gives the model behind every number, its assumptions and its known error).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hlslim/export/hls_project.hpp"
#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// What the estimates know of a target part: its DSP block (signed multiplier port widths) and
/// its totals (0 when the part is not in the table: no utilisation is given then).
struct FpgaPart {
  std::string part;
  std::string family;     ///< "UltraScale+", "UltraScale", "7 series", "Versal", "unknown"
  std::string dsp_block;  ///< "DSP48E2", "DSP48E1", "DSP58"
  int dsp_a_bits = 27;    ///< the wider signed multiplier port
  int dsp_b_bits = 18;    ///< the narrower one
  std::int64_t dsp = 0, lut = 0, ff = 0, bram_18k = 0;
};

/// The part's family and totals from its name (case-insensitive prefix, e.g.
/// "xcvu13p-flga2577-2-e"); unknown names get family "unknown" and the DSP48E2.
FpgaPart fpga_part(const std::string& part);

/// The constants of the estimate model (docs/estimates.md, "Model"); the defaults describe an
/// UltraScale+ part of speed grade -2 and Vitis HLS with the project's 12.5 % clock uncertainty.
struct EstimateModel {
  /// A product goes to a DSP only when both operands have at least this many bits; narrower
  /// products are built from LUTs (hls4ml's Vivado DSP estimator: weights below 9 bits use none).
  int dsp_min_bits = 9;
  /// Fraction of the clock period HLS keeps free for routing when it chains operations.
  double clock_uncertainty = 0.125;
  /// Register stages of a product in a DSP at these clock rates.
  int dsp_cycles = 3;
  /// Delay of an n-bit adder: adder_ns + adder_ns_per_bit * n (carry chain).
  double adder_ns = 0.6;
  double adder_ns_per_bit = 0.02;
  /// A two-way select or saturation after a comparison.
  double mux_ns = 0.3;
  /// Block RAM of 18 Kb: 36 bits wide, 512 deep (hls4ml's weight-BRAM estimate uses 36).
  int bram_width = 36;
  int bram_depth = 512;
  /// A constant product with fewer nonzero canonical signed digits than this stays in LUTs even
  /// when both operands are wide enough for a DSP (HLS builds small constants from adders).
  int dsp_min_csd_digits = 2;
  /// Combinational delay of a product in a DSP; 0: `dsp_cycles` register stages instead.
  double dsp_ns = 0;
  /// io_stream: cycles a layer adds to read and write its streams.
  int stream_cycles = 1;
  /// LUTs per output bit of a ReLU (a comparison and a select: 1 in the structural count).
  double relu_luts_per_bit = 1.0;
};

/// The constants of hls4ml's design, fitted on part of the published synthesis rows of
/// data/published_synthesis.json (docs/estimates.md, "Checked against published synthesis"):
/// hls4ml's top does not register DSP products at these clocks, and small constants stay in
/// LUTs.
EstimateModel hls4ml_estimate_model();

/// One layer's estimate. "Multiplies" are the products of nonzero weights one inference
/// computes; "multipliers" the multiplier instances of the design: at reuse factor 1 the
/// multiplies that are not mere shifts (weights +-2^k), at reuse factor R > 1 the products
/// (zero weights included: they are not removed then) divided by R.
struct LayerEstimate {
  std::string name, type;
  std::int64_t multiplies = 0;
  std::int64_t nonzero_weights = 0;
  std::int64_t weights = 0;
  std::int64_t weight_bits = 0;  ///< width of the weight type (0 without weights)
  std::int64_t input_bits = 0;   ///< width of the values the layer reads
  std::int64_t multipliers = 0;
  std::int64_t shift_multiplies = 0;  ///< multiplies by +-2^k (reuse factor 1): wiring only
  std::int64_t dsp_multipliers = 0;   ///< multipliers mapped to DSPs
  std::int64_t lut_multipliers = 0;   ///< multipliers built from LUTs
  std::int64_t dsp = 0, lut = 0, ff = 0, bram_18k = 0;
  double bops = 0;
  std::int64_t latency_cycles = 0;
  double path_ns = 0;  ///< the layer's combinational critical path (DSP stages excluded)
  std::int64_t reuse_factor = 1;
  /// Convolutions: output positions computed at once (hlslim's own design: all of them).
  std::int64_t parallelization_factor = 0;
  /// Cycles between two events the layer accepts (1 when fully pipelined).
  std::int64_t initiation_interval = 1;
  /// "adder_graph" for a layer built as an adder graph (HlsProjectOptions::multiplication),
  /// empty otherwise. Then `adders` counts its additions and subtractions (the graph's, times
  /// the output positions, plus one per output that adds a nonzero bias or negates its sum),
  /// `adder_lut` their LUTs and `adder_depth` the adders on the longest path.
  std::string multiplication;
  std::int64_t adders = 0;
  std::int64_t adder_lut = 0;
  std::int64_t adder_depth = 0;
};

/// The whole model's estimate: per layer and in total.
struct ModelEstimate {
  std::string model;
  /// Which design the figures describe: "hlslim io_parallel" (our own HLS project),
  /// "hls4ml io_parallel" or "hls4ml io_stream".
  std::string design = "hlslim io_parallel";
  /// The design's own notes (e.g. a latency target that cannot be met), one line each.
  std::vector<std::string> notes;
  FpgaPart device;
  double clock_period_ns = 0;
  EstimateModel constants;
  std::vector<LayerEstimate> layers;
  std::int64_t multiplies = 0, nonzero_weights = 0, weights = 0, multipliers = 0;
  std::int64_t dsp = 0, lut = 0, ff = 0, bram_18k = 0;
  double bops = 0;
  std::int64_t latency_cycles = 0;
  double latency_ns = 0;
  std::int64_t initiation_interval = 1;
  /// HlsProjectOptions::multiplication; with "adder_graph", the same design with csd products
  /// for comparison (its LUTs and latency).
  std::string multiplication = "csd";
  std::int64_t csd_lut = 0;
  std::int64_t csd_latency_cycles = 0;

  /// Every field, per layer and in total, with the part's totals and utilisation (fractions)
  /// where the part is known.
  nlohmann::json to_json() const;
  /// A fixed-width table for logs and reports, one row per layer that has a cost, a total row,
  /// then latency, interval and utilisation lines.
  std::string table() const;
};

/// Estimates the design write_hls_project() generates for `quantized_graph` (the same
/// analysis: precisions, quantized weights, reuse factors): io_parallel, every layer fully
/// unrolled (design "hlslim io_parallel"); options.io_type "io_stream": the streaming project,
/// with the structure of hls4ml's io_stream design (estimate_hls4ml(), design
/// "hlslim io_stream"). Throws hlslim::Error as write_hls_project() does (unusable options,
/// invalid reuse factors, unsupported layers, missing precisions).
ModelEstimate estimate_resources(const Graph& quantized_graph, const HlsProjectOptions& options,
                                 const EstimateModel& constants = {});

/// The design hls4ml builds from the exported configuration.
struct Hls4mlEstimateOptions {
  std::string io_type = "io_parallel";  ///< "io_parallel" or "io_stream"
  std::string strategy = "Latency";     ///< "Latency" or "Resource"
  /// The HLS tool: "Vitis" (Vitis HLS, hls4ml's default) or "Vivado" (Vivado HLS up to
  /// 2020.1), which builds io_stream FIFOs differently (docs/estimates.md, "hls4ml's design").
  std::string tool = "Vitis";
};

/// Estimates the design hls4ml builds for `quantized_graph` (docs/estimates.md, "hls4ml's
/// design"): io_parallel convolutions compute layer_parallelization_factor() output positions
/// per step, n_partitions = positions / PF steps in a loop pipelined at the reuse factor;
/// io_stream convolutions and pools read one pixel per step through line buffers, with the
/// layers overlapping (dataflow). Reuse factors as estimate_resources(); options.io_type is
/// not read (io.io_type is). Throws hlslim::Error as estimate_resources() does, and
/// (kExitConfig) for an io_type, strategy or tool it does not know.
ModelEstimate estimate_hls4ml(const Graph& quantized_graph, const HlsProjectOptions& options,
                              const Hls4mlEstimateOptions& io,
                              const EstimateModel& constants = hls4ml_estimate_model());

/// Targets for every convolution of hls4ml's io_parallel design (0: none).
struct ConvTargets {
  std::int64_t latency_cycles = 0;       ///< the layer's own latency
  std::int64_t initiation_interval = 0;  ///< the layer's n_partitions x reuse factor
};

/// What choose_parallelization_factors() picked for one convolution.
struct ParallelizationChoice {
  std::string layer;
  std::int64_t positions = 0;
  std::int64_t parallelization_factor = 0;
  std::int64_t reuse_factor = 1;    ///< the layer's, or the lower one the targets needed
  std::int64_t latency_cycles = 0;  ///< the layer's estimated latency at that factor
  std::int64_t initiation_interval = 0;
  bool met = true;   ///< false: even every position at once (at reuse factor 1) misses one
  std::string note;  ///< a readiness-style line when not met or the reuse factor was lowered
};

/// For every conv1d/conv2d layer without a "parallelization_factor" attribute (one that has it
/// keeps it), the smallest valid parallelization factor (the fewest multipliers) whose
/// estimated latency and interval in hls4ml's io_parallel design meet `targets`, written into
/// the layer's "parallelization_factor" attribute. When none does at the layer's reuse factor,
/// every lower valid reuse factor is tried with its smallest factor, and the pair with the
/// fewest multipliers is written (the reuse factor into "reuse_factor", with a note); when none
/// does even at reuse factor 1, the layer keeps its reuse factor, gets every position at once
/// (the fastest design) and a note. Under io_stream nothing is chosen (a convolution reads one
/// pixel per step); layers missing a target get a note. Leaves the graph alone and returns
/// nothing when both targets are 0. Throws as estimate_hls4ml().
std::vector<ParallelizationChoice> choose_parallelization_factors(
    Graph& quantized_graph, const HlsProjectOptions& options, const Hls4mlEstimateOptions& io,
    const ConvTargets& targets, const EstimateModel& constants = hls4ml_estimate_model());

}  // namespace hlslim
