#pragma once

// Our own HLS C++ project for a quantized model graph (docs/export-hls.md): a Vitis HLS top
// function with its interface and pipeline pragmas, ap_fixed types from the quantize stage,
// weights as headers, a testbench checking test vectors from the bit-accurate engine, a
// build_prj.tcl, and a C simulation that builds with g++ and SystemC instead of vendor tools.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// How the project is generated and what it targets. The estimates (estimates.hpp) read the
/// same options.
struct HlsProjectOptions {
  /// A C identifier: the top function's name and the base of the file names.
  std::string project = "hlslim_model";
  /// The FPGA part given to Vitis HLS (and to the estimates: DSP type, device totals).
  std::string part = "xcvu13p-flga2577-2-e";
  double clock_period_ns = 2.5;
  /// Model-wide; a layer's own attribute "reuse_factor" (resolved name > type > model like
  /// every attribute) overrides it. 1 is the fully unrolled implementation, where the products
  /// of zero weights are left out at generation time.
  std::int64_t reuse_factor = 1;
  /// "io_parallel": the whole input and output as arrays, one event per initiation interval.
  /// "io_stream": AXI streams of one element per position (all channels; a vector is one
  /// element), the layers a DATAFLOW pipeline of processes with line buffers.
  std::string io_type = "io_parallel";
  /// How the constant products of fully unrolled dense and convolution layers are built:
  /// "csd": one product per nonzero weight, summed in the engine's order (HLS turns each into
  /// shifts and additions or a DSP); "adder_graph": each layer's constant matrix-vector product
  /// as one shift-and-add graph whose common subexpressions are shared across weights and
  /// outputs (docs/export-hls.md, "Adder graphs"). io_parallel only; a layer at a reuse factor
  /// above 1, or whose accumulator could round or saturate within the sum, keeps "csd".
  std::string multiplication = "csd";
};

/// Every problem with the options themselves (not the model), one line each, empty when they
/// are usable: a project name that is no C identifier or is a C++ keyword, a clock period that
/// is not positive, a reuse factor below 1, an io_type other than io_parallel or io_stream, an
/// empty part, a multiplication other than csd or adder_graph, adder_graph with io_stream.
std::vector<std::string> hls_project_option_problems(const HlsProjectOptions& options);

/// Writes the HLS project of `quantized_graph` (a graph with precision attributes, see
/// read_precision()) into `dir`, creating it, each file written atomically:
///
///   firmware/<project>.cpp, firmware/<project>.h   top function and layer functions
///   firmware/defines.h                              sizes and ap_fixed types
///   firmware/parameters.h                           per-layer constants, index tables, weights
///   firmware/weights/<layer>_w.h, <layer>_b.h       weights and biases (comment: shape, min,
///                                                   max, zeros)
///   <project>_test.cpp                              testbench
///   tb_data/tb_input_features.dat                   `test_inputs`, one event per line
///   tb_data/tb_output_predictions.dat               the engine's outputs for them
///   build_prj.tcl                                   Vitis HLS: csim, synthesis, cosim, export
///   csim/hlslim_ap_systemc.h, [csim/hls_stream.h (io_stream)], csim/hlslim_sc_main.cpp,
///   csim/build_csim.sh, csim/Makefile               the C simulation with g++ and SystemC
///
/// `test_inputs` holds n x input_size floats (n may be 0: the data files are then empty).
/// Returns the files written, in the order above; other files already in `dir` are left alone.
///
/// Throws hlslim::Error (exit code kExitConfig for problems of the options or reuse factors)
/// when the options are unusable, a reuse factor is invalid for its layer (the message names
/// the nearest valid ones), a layer is not supported (tanh, sigmoid, softmax, as in the
/// engine), a precision is missing, a weight, bias or output type is wider than 53 bits (its
/// values are written as exact decimal doubles), `test_inputs` is not a multiple of the input
/// size, or a file cannot be written.
std::vector<std::filesystem::path> write_hls_project(const Graph& quantized_graph,
                                                     const HlsProjectOptions& options,
                                                     const std::vector<float>& test_inputs,
                                                     const std::filesystem::path& dir);

}  // namespace hlslim
