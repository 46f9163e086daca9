// check_hls4ml_readiness(): what hls4ml (1.3, ONNX front end) would reject or compute
// differently from the engine in the QONNX export, found before anything is written.

#include "hlslim/export/readiness.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "export_common.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/util/errors.hpp"
#include "onnx_builder.hpp"
#include "qonnx_quant.hpp"

namespace hlslim {
namespace {

using onnx_export::lower;

// hls4ml's convert_to_snake_case of a strategy name: "ResourceUnrolled" -> "resource_unrolled".
std::string snake_case(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isupper(c) && i > 0 && text[i - 1] != '_') out += '_';
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::string list(const std::vector<std::int64_t>& values, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < values.size() && i < limit; ++i) {
    out += (i ? ", " : "") + std::to_string(values[i]);
  }
  if (values.size() > limit) out += ", ... (" + std::to_string(values.size()) + " in all)";
  return out;
}

class Checker {
 public:
  Checker(const Graph& graph, const Hls4mlOptions& options) : graph_(graph), options_(options) {}
  std::vector<ExportFinding> run();

 private:
  void error(const std::string& node, const std::string& message) {
    findings_.push_back({node, Severity::kError, message});
  }
  void warning(const std::string& node, const std::string& message) {
    findings_.push_back({node, Severity::kWarning, message});
  }
  std::string context(std::size_t i) const { return "layer '" + graph_.layers[i].name + "'"; }

  void check_options();
  void check_reuse_factor(std::size_t i);
  void check_constants(std::size_t i, const char* role, const std::vector<double>& values);
  void check_accumulation_order(std::size_t i, const FixedType& input);

  const Graph& graph_;
  const Hls4mlOptions& options_;
  std::string strategy_;
  ModelPrecision precision_;
  std::vector<Shape> shapes_;
  std::vector<std::string> names_;
  std::vector<ExportFinding> findings_;
};

void Checker::check_options() {
  static const char* const kBackends[] = {"vivado",  "vitis",    "vivadoaccelerator",
                                          "quartus", "catapult", "oneapi"};
  const std::string backend = lower(options_.backend);
  if (std::find(std::begin(kBackends), std::end(kBackends), backend) == std::end(kBackends)) {
    error("", "backend '" + options_.backend +
                  "' is not an hls4ml backend (Vivado, Vitis, VivadoAccelerator, Quartus, "
                  "Catapult, oneAPI)");
  }
  if (options_.io_type != "io_parallel" && options_.io_type != "io_stream") {
    error("", "I/O type '" + options_.io_type + "' is not io_parallel or io_stream");
  }
  strategy_ = snake_case(options_.strategy);
  if (strategy_ == "da") strategy_ = "distributed_arithmetic";
  if (strategy_ != "latency" && strategy_ != "resource" && strategy_ != "resource_unrolled" &&
      strategy_ != "distributed_arithmetic") {
    error("", "strategy '" + options_.strategy +
                  "' is not an hls4ml strategy (Latency, Resource, ResourceUnrolled, "
                  "DistributedArithmetic or da): hls4ml would silently use Latency");
  }
  if (!(options_.clock_period_ns > 0)) {
    error("", "clock period " + std::to_string(options_.clock_period_ns) + " ns must be positive");
  }
}

// FPGABackend.set_closest_reuse_factor, which hls4ml applies to dense and convolution layers
// under the Resource strategies (and never under Latency). The rule and the replacement are
// reuse_factor.hpp's (hls4ml's _validate_reuse_factor and get_closest_reuse_factor).
void Checker::check_reuse_factor(std::size_t i) {
  const Layer& layer = graph_.layers[i];
  const std::optional<ReuseDims> dims = reuse_dims(layer, shapes_[i]);
  if (!dims) return;
  const std::int64_t n_in = dims->n_in, n_out = dims->n_out;
  const std::int64_t rf = onnx_export::layer_reuse_factor(graph_, layer, options_.reuse_factor);
  if (rf < 1) {
    error(names_[i], context(i) + ": reuse factor " + std::to_string(rf) + " must be at least 1");
    return;
  }
  if (strategy_ == "distributed_arithmetic" && rf != 1) {
    error(names_[i], context(i) +
                         ": the distributed-arithmetic strategy needs reuse factor 1, "
                         "got " +
                         std::to_string(rf) + " (hls4ml stops with an error)");
    return;
  }
  if (strategy_ != "resource" && strategy_ != "resource_unrolled") return;
  std::vector<std::int64_t> valid = valid_reuse_factors(n_in, n_out);
  if (strategy_ == "resource_unrolled" && valid.size() > 1) valid.pop_back();
  if (std::find(valid.begin(), valid.end(), rf) != valid.end()) return;
  const std::int64_t closest = closest_reuse_factor(n_in, n_out, rf);
  warning(names_[i], context(i) + ": reuse factor " + std::to_string(rf) + " is not valid for " +
                         std::to_string(n_in) + " inputs x " + std::to_string(n_out) +
                         " outputs under the " + options_.strategy + " strategy; hls4ml will " +
                         "use " + std::to_string(closest) + " instead (valid: " + list(valid, 24) +
                         ")");
}

// Constants travel as float32 initializers (write_qonnx() stores them quantized).
void Checker::check_constants(std::size_t i, const char* role, const std::vector<double>& values) {
  const FixedType& type = **precision_.layers[i].role(role);
  bool exact = true;
  for (double v : values) onnx_export::quantized_float(v, type, exact);
  if (!exact) {
    warning(names_[i], context(i) + ": " + role + " " + type.to_string() +
                           ": some quantized values need more than float32's 24 significant "
                           "bits and reach hls4ml rounded to the nearest float");
  }
}

// hls4ml adds a dense layer's products in the order of its (exported) inputs and a
// convolution's in channels-last order; the engine uses LibTorch's order. Under the Resource
// strategies at reuse factor R > 1 the dense kernel (nnet_dense_resource.h) interleaves them:
// multiplier m of R serves inputs m, m + R, m + 2R, ... and each output's sum grows in that
// order. The Latency strategy adds in input order at any reuse factor. The order matters only
// when a saturating accumulator can overflow part-way; the bound below (the engine's own
// fast-path test) rules that out for most layers. Products are cast to the accumulator one by
// one in every order, so rounding alone never depends on it.
void Checker::check_accumulation_order(std::size_t i, const FixedType& input) {
  const Layer& layer = graph_.layers[i];
  const LayerPrecision& p = precision_.layers[i];
  const FixedType& accum = *p.accum;
  if (accum.overflow == OverflowMode::kWrap) return;  // wrapping sums are order-independent
  const bool resource = strategy_ == "resource" || strategy_ == "resource_unrolled";
  const std::int64_t rf = onnx_export::layer_reuse_factor(graph_, layer, options_.reuse_factor);
  const bool interleaved = resource && rf > 1;
  if (layer.kind == LayerKind::kDense && shapes_[i].size() == 1 && !interleaved) {
    // Dense inputs keep LibTorch's order unless a flatten of a multi-channel tensor came first.
    bool permuted = false;
    for (std::size_t k = i; k-- > 0;) {
      const LayerKind kind = graph_.layers[k].kind;
      if (kind == LayerKind::kFlatten) {
        permuted = shapes_[k].size() >= 2 && shapes_[k][0] > 1;
        break;
      }
      if (kind == LayerKind::kDense || kind == LayerKind::kReshape ||
          kind == LayerKind::kGlobalAvgPool || kind == LayerKind::kGlobalMaxPool) {
        break;
      }
    }
    if (!permuted) return;
  }
  const std::vector<float> weight = onnx_export::masked_tensor(layer, "weight");
  const std::int64_t outputs =
      layer.kind == LayerKind::kDense ? layer.params.units : layer.params.filters;
  const std::size_t per_output = weight.size() / static_cast<std::size_t>(outputs);
  std::vector<float> bias;
  if (layer.params.bias) bias = onnx_export::masked_tensor(layer, "bias");
  const double x_min = input.min(), x_max = input.max();
  const bool symmetric = accum.overflow == OverflowMode::kSatSym && accum.is_signed;
  const double a_max = accum.max(), a_min = symmetric ? -accum.max() : accum.min();
  for (std::int64_t o = 0; o < outputs; ++o) {
    double low = 0, high = 0;
    bool product_fits = true;
    for (std::size_t k = 0; k < per_output; ++k) {
      const double w = to_double(quantize(weight[o * per_output + k], *p.weight), *p.weight);
      const double a = w * x_min, b = w * x_max;
      low += std::min(a, b);
      high += std::max(a, b);
      if (std::min(a, b) < a_min || std::max(a, b) > a_max) product_fits = false;
    }
    const double b = bias.empty() ? 0.0 : to_double(quantize(bias[o], *p.bias), *p.bias);
    if (!product_fits || b + low < a_min || b + high > a_max || low < a_min || high > a_max) {
      warning(names_[i],
              context(i) + ": the saturating accumulator " + accum.to_string() +
                  " can overflow part-way, and hls4ml adds the products in " +
                  (interleaved ? "an order interleaved by the reuse factor " + std::to_string(rf) +
                                     " (" + options_.strategy + " strategy)"
                   : layer.kind == LayerKind::kDense ? "the channels-last input order"
                                                     : "channels-last order") +
                  ", not the engine's: results may differ where it saturates (a WRAP "
                  "or wider accumulator does not depend on the order)");
      return;
    }
  }
}

std::vector<ExportFinding> Checker::run() {
  check_options();
  try {
    precision_ = read_precision(graph_);
    shapes_ = graph_.shapes();
  } catch (const Error& e) {
    error("", e.what());
    return findings_;
  }
  if (!graph_.has_weights()) {
    error("", "model '" + graph_.name + "': some layer lacks its weights");
    return findings_;
  }
  onnx_export::NameTable names;
  names.claim("model_input");
  names_ = onnx_export::claim_layer_names(graph_, names);

  // A parallelization factor hls4ml would replace: the configuration states the replacement
  // (io_parallel only: io_stream has no factor).
  if (options_.io_type == "io_parallel") {
    for (const ParallelizationProblem& problem : parallelization_factor_problems(graph_)) {
      if (problem.error) {
        error(names_[problem.layer], problem.message);
      } else {
        warning(names_[problem.layer], problem.message);
      }
    }
  }

  FixedType value_type = precision_.input;  // the type of the values entering layer i
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    const Layer& layer = graph_.layers[i];
    const LayerPrecision& p = precision_.layers[i];
    const Shape& in = shapes_[i];
    switch (layer.kind) {
      case LayerKind::kDense: {
        check_reuse_factor(i);
        const onnx_export::QuantSpec spec = onnx_export::quant_spec(*p.result);
        if (!spec.mismatches.empty()) {
          // hls4ml folds the bias Add into the Dense layer only while its result type is open,
          // so the result type comes from the Quant node that follows.
          warning(names_[i] + "_result_quant",
                  context(i) +
                      ": hls4ml takes a dense layer's result type from the Quant node "
                      "after it, which cannot carry " +
                      p.result->to_string() + ": " + onnx_export::join(spec.mismatches, "; "));
        }
        break;
      }
      case LayerKind::kConv1d:
      case LayerKind::kConv2d:
        check_reuse_factor(i);
        break;
      case LayerKind::kAvgPool1d:
      case LayerKind::kAvgPool2d:
      case LayerKind::kGlobalAvgPool: {
        const std::int64_t window = layer.kind == LayerKind::kGlobalAvgPool
                                        ? shape_numel(in) / in[0]
                                        : shape_numel(layer.params.pool);
        const int k = static_cast<int>(std::lround(std::log2(static_cast<double>(window))));
        if (p.accum->fraction_bits() < value_type.fraction_bits() + k) {
          warning(names_[i], context(i) + ": hls4ml divides the sum of " + std::to_string(window) +
                                 " values inside the accumulator " + p.accum->to_string() + " (" +
                                 std::to_string(p.accum->fraction_bits()) +
                                 " fraction bits), which " +
                                 "drops bits the engine keeps; an accumulator with at least " +
                                 std::to_string(value_type.fraction_bits() + k) +
                                 " fraction bits makes the two agree");
        }
        // io_stream pools a window as a tree of sums (nnet_pooling_stream.h), not in window
        // order: only a saturating accumulator that a partial sum can overflow tells them apart.
        const FixedType& accum = *p.accum;
        const double bound = window * std::max(std::fabs(value_type.min()), value_type.max());
        const double low =
            accum.overflow == OverflowMode::kSatSym && accum.is_signed ? -accum.max() : accum.min();
        if (options_.io_type == "io_stream" && accum.overflow != OverflowMode::kWrap &&
            (bound > accum.max() || (value_type.is_signed && -bound < low))) {
          warning(names_[i], context(i) + ": the saturating accumulator " + accum.to_string() +
                                 " can overflow part-way, and hls4ml's io_stream pool adds the "
                                 "window as a tree, not in the engine's order: results may "
                                 "differ where it saturates");
        }
        break;
      }
      case LayerKind::kTanh:
      case LayerKind::kSigmoid:
      case LayerKind::kSoftmax:
        // The configuration sets no table types for them: the tables would be hls4ml's defaults.
        warning(names_[i], context(i) + ": hls4ml computes a " + layer_kind_name(layer.kind) +
                               " from lookup tables (1024 entries of fixed<18,8> by default) "
                               "that the fixed-point engine does not model: its outputs are "
                               "not checked bit for bit");
        break;
      case LayerKind::kMaxPool1d:
      case LayerKind::kMaxPool2d:
      case LayerKind::kGlobalMaxPool:
      case LayerKind::kFlatten:
      case LayerKind::kReshape:
      case LayerKind::kBatchNorm:
      case LayerKind::kDropout:
      case LayerKind::kRelu:
      case LayerKind::kLeakyRelu:
        break;  // every type these read is in the configuration
    }
    if (layer_traits(layer.kind).category == LayerCategory::kLinear) {
      const std::vector<float> w = onnx_export::masked_tensor(layer, "weight");
      check_constants(i, "weight", std::vector<double>(w.begin(), w.end()));
      if (layer.params.bias) {
        const std::vector<float> b = onnx_export::masked_tensor(layer, "bias");
        check_constants(i, "bias", std::vector<double>(b.begin(), b.end()));
      }
      check_accumulation_order(i, value_type);
    }
    if (p.result) value_type = *p.result;
  }
  return findings_;
}

}  // namespace

std::vector<ExportFinding> check_hls4ml_readiness(const Graph& quantized_graph,
                                                  const Hls4mlOptions& options) {
  // A trailing softmax is not exported: the firmware ends at the logits before it.
  if (ends_in_softmax(quantized_graph)) {
    return Checker(firmware_graph(quantized_graph), options).run();
  }
  return Checker(quantized_graph, options).run();
}

}  // namespace hlslim
