#pragma once

// Internal to the HLS export: the model as the generator and the estimates see it. Every value
// is already what the firmware holds (raw integers of their ap_fixed types), computed exactly as
// the fixed-point engine computes it, so that the generated C++ and the engine agree bit for bit.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "adder_graph.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/graph/layer_traits.hpp"

namespace hlslim::hls_detail {

/// With a reuse factor R, a layer's weights form a ROM R deep; from this depth on it is bound to
/// block RAM, below it to LUT RAM (a block RAM would hold a few words only).
constexpr std::int64_t kBramMinDepth = 64;

/// Geometry of a dense layer (dims 0: one position, channels = inputs) or a 1-d/2-d
/// convolution or pool, channels first. 1-d layers use index 1 of the spatial arrays (height 1).
struct Geometry {
  int dims = 0;
  std::int64_t channels = 0;  ///< input channels (dense: inputs)
  std::int64_t filters = 0;   ///< output channels (dense: units; pools: channels)
  std::int64_t in[2] = {1, 1};
  std::int64_t out[2] = {1, 1};
  std::int64_t kernel[2] = {1, 1};  ///< kernel or pool window
  std::int64_t stride[2] = {1, 1};
  std::int64_t pad[2] = {0, 0};  ///< zero padding before (torch 'same': (k - 1) / 2)

  std::int64_t in_plane() const { return in[0] * in[1]; }
  std::int64_t out_plane() const { return out[0] * out[1]; }
  std::int64_t kernel_size() const { return kernel[0] * kernel[1]; }
};

/// One product of a fully unrolled dense/conv layer: acc[out] += x[in] * w[weight], where
/// `weight` indexes the layer's nonzero weights.
struct Product {
  std::int32_t out;
  std::int32_t in;
  std::int32_t weight;
};

/// One graph layer as the generator writes it.
struct HlsLayer {
  const Layer* layer = nullptr;
  std::string cname;  ///< unique C identifier derived from the layer name
  LayerKind kind = LayerKind::kDense;
  Shape in_shape, out_shape;
  std::int64_t in_size = 0, out_size = 0;
  FixedType in_type, out_type;  ///< the value types around the layer (engine's value_types())
  LayerPrecision precision;
  bool passthrough = false;  ///< flatten, reshape, dropout: no code, same array
  std::string in_array;      ///< the C array the layer reads (the top's input or a layer's)
  std::string in_ctype;      ///< its C type name ("input_t", "fc1_result_t")
  std::string out_array;     ///< the array it writes ("<cname>_out", or "output" for the
                             ///< last computing layer); pass-through layers: in_array
  std::int64_t reuse_factor = 1;
  Geometry geometry;

  // Dense and convolution.
  std::vector<std::int64_t> weights;        ///< every weight's raw (zeros too), tensor order
  std::vector<std::int64_t> nonzero_index;  ///< flat tensor index of each nonzero weight
  std::vector<std::int64_t> nonzero_raws;   ///< their raws
  bool has_bias = false;
  std::vector<std::int64_t> biases;            ///< raws of the bias type
  std::vector<Product> products;               ///< nonzero products in the engine's order
  std::int64_t dense_products = 0;             ///< products with zeros, without padded taps
  std::vector<std::int32_t> products_per_out;  ///< nonzero products of each output
  /// multiplication "adder_graph": the layer's kernel matrix (filters x channels * kernel) as
  /// one shift-and-add graph over raw inputs, instantiated once per output position.
  bool adder_graph = false;
  AdderGraph graph;
  /// Each bias converted to the accumulator type, as the engine adds it (zeros without a bias).
  std::vector<std::int64_t> bias_acc;
  /// multiplication "adder_graph" for a layer that keeps the csd products: why (one line).
  std::string adder_graph_note;

  // Batch norm: scale (weight type) and shift (bias type) per channel; `plane` values each.
  std::vector<std::int64_t> scale, shift;
  std::int64_t plane = 1;
  // Leaky relu: the slope's raw in the weight type.
  std::int64_t alpha = 0;
  // Average pools: the window is 2^shift values.
  int pool_shift = 0;

  bool is_linear() const { return layer_traits(kind).category == LayerCategory::kLinear; }
  bool is_pool() const { return layer_traits(kind).category == LayerCategory::kPool; }
  bool is_average_pool() const;
};

/// The whole model for the generator.
struct HlsModel {
  std::string name;     ///< the graph's
  std::string project;  ///< options.project: top function, file names, include guards
  FixedType input_type;
  FixedType output_type;
  std::int64_t input_size = 0, output_size = 0;
  std::vector<HlsLayer> layers;
  std::string output_array;  ///< the array holding the last values ("output" when the last
                             ///< computing layer writes the top's output directly)
  std::string output_ctype;  ///< the C type name of the last values (result_t's definition)
  std::int64_t max_reuse_factor = 1;
};

/// Analyses a quantized graph: precisions (read_precision), value types, quantized weights,
/// resolved and checked reuse factors, unique C names. Throws hlslim::Error as
/// write_hls_project() documents.
HlsModel build_hls_model(const Graph& graph, const HlsProjectOptions& options);

/// C++ keywords and the fixed names of the generated code ("input", "result_t", ...).
const std::set<std::string>& reserved_words();

// ---- Text helpers shared by the generator files ------------------------------------------

/// The flat channels-first index "(c * h + y) * w + x", leaving out dimensions of size 1.
std::string flat_index(const std::string& c, std::int64_t h, const std::string& y, std::int64_t w,
                       const std::string& x);

/// Code at indentation `ind` declaring the input position (iy for 2-d, ix) that kernel tap
/// (ky, kx) of output position (oy, ox) reads; `inside` gets the condition that the position lies
/// within the input rather than in the padding.
std::string conv_tap_position(const Geometry& g, const std::string& ind, std::string& inside);

/// "ap_fixed<8,2,AP_RND_CONV,AP_SAT>", "ap_ufixed<16,6>" (default modes left out).
std::string c_type(const FixedType& type);
/// The exact decimal value of a raw of `type` (shortest text that reads back to the same
/// double, exact since raws of the types written have at most 53 bits): "0.125", "-3", "0".
std::string c_value(std::int64_t raw, const FixedType& type);
/// Shortest text of a float that reads back to the same float.
std::string float_text(float value);
/// Shortest text of a double that reads back to the same double.
std::string double_text(double value);
/// "{ 1, 2, 3 };" broken into lines of at most 100 columns (continuation lines indented by
/// four spaces), the list starting at `column`.
std::string c_list(const std::vector<std::string>& items, std::size_t column);
/// `text` as "// " comment lines of at most 100 columns, broken at spaces.
std::string c_comment(const std::string& text);
/// The upper-case form of an identifier, for macros ("fc1" -> "FC1").
std::string upper(const std::string& text);

/// The static files (docs/export-hls.md, "C simulation without vendor tools").
std::string systemc_shim_header();
std::string sc_main_stub();
std::string csim_script(const std::string& project);
std::string csim_makefile(const std::string& project);

/// The generated sources (hls_project_firmware.cpp, hls_project_layers.cpp).
std::string defines_header(const HlsModel& model, const HlsProjectOptions& options);
std::string parameters_header(const HlsModel& model, const HlsProjectOptions& options);
std::string weights_header(const HlsModel& model, const HlsLayer& layer);
std::string biases_header(const HlsModel& model, const HlsLayer& layer);
std::string top_header(const HlsModel& model, const HlsProjectOptions& options);
std::string top_source(const HlsModel& model, const HlsProjectOptions& options);
/// "static void name(params) {\n", the parameters one per line when the line would pass 100
/// columns. `params` are separated by ", ".
std::string function_head(const std::string& name, const std::string& params);
/// One layer's function (its definition in <project>.cpp); empty for pass-through layers.
std::string layer_function(const HlsModel& model, const HlsLayer& layer);
/// Adder-graph layers (hls_project_adder_graph.cpp): "<layer>_graph", the graph over one
/// input vector or window writing the accumulators, then the layer function around it.
std::string adder_graph_functions(const HlsLayer& layer);
/// The call in the top function.
std::string layer_call(const HlsModel& model, const HlsLayer& layer);
std::string testbench_source(const HlsModel& model, const HlsProjectOptions& options);
std::string build_tcl(const HlsModel& model, const HlsProjectOptions& options);

// ---- io_stream (hls_project_stream.cpp) ------------------------------------------------------

/// The layers as their io_stream kernels see them: a convolution as a dense layer over one
/// window (its product tables, padded taps included), a windowed pool over one window, an
/// activation or batch norm over one element; other layers unchanged. parameters.h is written
/// from this model so that the product tables fit the kernels.
HlsModel stream_kernels(const HlsModel& model);
/// defines.h's io_stream part: hls_stream.h, the element sizes and the stream element types.
std::string stream_defines(const HlsModel& model);
std::string stream_top_header(const HlsModel& model, const HlsProjectOptions& options);
/// The kernels (written by layer_function() from `kernels`), the processes and the top function.
std::string stream_top_source(const HlsModel& model, const HlsModel& kernels,
                              const HlsProjectOptions& options);
/// The io_parallel testbench `parallel` with the call of the top function through streams.
std::string stream_testbench(const std::string& parallel, const HlsProjectOptions& options);
/// csim/hls_stream.h: hls::stream for the C simulation without vendor tools.
std::string hls_stream_shim_header();

}  // namespace hlslim::hls_detail
