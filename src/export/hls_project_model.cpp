// The model as the HLS generator sees it: types, quantized weights, products and geometry,
// computed exactly as the fixed-point engine computes them (docs/engine.md).

#include "hls_project_model.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

#include "hlslim/engine/exact_sum.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim::hls_detail {
namespace {

// Widest type whose raws read back exactly from a decimal double.
constexpr int kMaxExactWidth = 53;

}  // namespace

// C++ keywords and names of the generated code that a layer or the project must not take.
const std::set<std::string>& reserved_words() {
  static const std::set<std::string> words = [] {
    std::istringstream text(
        "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t "
        "char16_t char32_t class compl concept const consteval constexpr constinit const_cast "
        "continue co_await co_return co_yield decltype default delete do double dynamic_cast "
        "else enum explicit export extern false float for friend goto if inline int long "
        "mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected "
        "public register reinterpret_cast requires return short signed sizeof static "
        "static_assert static_cast struct switch template this thread_local throw true try "
        "typedef typeid typename union unsigned using virtual void volatile wchar_t while xor "
        "xor_eq main input output input_t result_t n_input n_output hlslim_array input_stream_t "
        "output_stream_t n_input_elements input_element_size n_output_elements "
        "output_element_size");
    std::set<std::string> set;
    for (std::string word; text >> word;) set.insert(word);
    return set;
  }();
  return words;
}

namespace {

// What the generator appends to a layer's C name: "" is the layer's function. Macros and
// include guards use the upper-case forms, so uniqueness ignores case.
constexpr const char* kSuffixes[] = {"",          "_out",      "_w",      "_b",        "_w_index",
                                     "_prod_out", "_prod_in",  "_prod_w", "_weight_t", "_bias_t",
                                     "_accum_t",  "_result_t", "_div_t",  "_alpha",    "_stream",
                                     "_stream_t", "_graph"};

std::string lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// True when no identifier of a layer named `cname` would clash with one already used.
bool identifiers_free(const std::string& cname, const std::set<std::string>& used) {
  for (const char* suffix : kSuffixes) {
    if (used.count(lower(cname + suffix)) != 0) return false;
  }
  return true;
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    const char next = ok ? c : '_';
    if (next == '_' && !out.empty() && out.back() == '_') continue;  // no reserved "__"
    out += next;
  }
  if (out.empty() || out[0] == '_' || std::isdigit(static_cast<unsigned char>(out[0])) != 0)
    out = "layer" + std::string(out.empty() || out[0] != '_' ? "_" : "") + out;
  return out;
}

std::vector<float> masked(const Layer& layer, const std::string& name) {
  std::vector<float> values = layer.tensors.at(name).values;
  const auto mask = layer.tensors.find(name + "_mask");
  if (mask != layer.tensors.end() && mask->second.values.size() == values.size()) {
    for (std::size_t i = 0; i < values.size(); ++i) values[i] *= mask->second.values[i];
  }
  return values;
}

Geometry make_geometry(const HlsLayer& l) {
  Geometry g;
  const LayerParams& p = l.layer->params;
  if (l.kind == LayerKind::kDense) {
    g.channels = l.in_size;
    g.filters = p.units;
    return g;
  }
  g.dims = static_cast<int>(l.in_shape.size()) - 1;
  g.channels = l.in_shape[0];
  g.filters = l.out_shape[0];
  const bool global = l.kind == LayerKind::kGlobalMaxPool || l.kind == LayerKind::kGlobalAvgPool;
  for (int d = 0; d < g.dims; ++d) {
    const int slot = 2 - g.dims + d;  // 1-d layers use slot 1
    g.in[slot] = l.in_shape[d + 1];
    if (global) {
      g.kernel[slot] = g.in[slot];
      g.stride[slot] = g.in[slot];
      g.out[slot] = 1;
      continue;
    }
    g.out[slot] = l.out_shape[d + 1];
    if (l.is_linear()) {
      g.kernel[slot] = p.kernel.at(d);
      g.stride[slot] = p.stride.at(d);
      g.pad[slot] = p.padding == Padding::kSame ? (g.kernel[slot] - 1) / 2 : 0;
    } else {
      g.kernel[slot] = p.pool.at(d);
      g.stride[slot] = p.pool.at(d);
    }
  }
  return g;
}

void check_width(const std::string& context, const char* role, const FixedType& type) {
  if (type.width <= kMaxExactWidth) return;
  throw Error(context + ": the " + role + " type " + type.to_string() + " is wider than " +
              std::to_string(kMaxExactWidth) +
              " bits; the HLS export writes these values as exact decimal doubles");
}

// Weights, biases and the nonzero products of a dense/conv layer, in the engine's order:
// per output (channels first), its nonzero weights in weight-tensor order, padded taps left out.
void fill_linear(HlsLayer& l, const std::string& context) {
  const LayerPrecision& p = l.precision;
  check_width(context, "weight", *p.weight);
  for (float v : masked(*l.layer, "weight")) l.weights.push_back(quantize(v, *p.weight));
  std::vector<std::int32_t> nonzero_of(l.weights.size(), -1);
  for (std::size_t i = 0; i < l.weights.size(); ++i) {
    if (l.weights[i] == 0) continue;
    nonzero_of[i] = static_cast<std::int32_t>(l.nonzero_index.size());
    l.nonzero_index.push_back(static_cast<std::int64_t>(i));
    l.nonzero_raws.push_back(l.weights[i]);
  }
  l.has_bias = l.layer->params.bias;
  if (l.has_bias) {
    check_width(context, "bias", *p.bias);
    for (float v : masked(*l.layer, "bias")) l.biases.push_back(quantize(v, *p.bias));
  }
  const Geometry& g = l.geometry;
  l.products_per_out.assign(static_cast<std::size_t>(l.out_size), 0);
  for (std::int64_t f = 0; f < g.filters; ++f) {
    for (std::int64_t oy = 0; oy < g.out[0]; ++oy) {
      for (std::int64_t ox = 0; ox < g.out[1]; ++ox) {
        const std::int64_t out = (f * g.out[0] + oy) * g.out[1] + ox;
        for (std::int64_t c = 0; c < g.channels; ++c) {
          for (std::int64_t ky = 0; ky < g.kernel[0]; ++ky) {
            for (std::int64_t kx = 0; kx < g.kernel[1]; ++kx) {
              const std::int64_t iy = oy * g.stride[0] - g.pad[0] + ky;
              const std::int64_t ix = ox * g.stride[1] - g.pad[1] + kx;
              if (iy < 0 || iy >= g.in[0] || ix < 0 || ix >= g.in[1]) continue;
              ++l.dense_products;
              const std::int64_t w = ((f * g.channels + c) * g.kernel[0] + ky) * g.kernel[1] + kx;
              if (nonzero_of[w] < 0) continue;
              const std::int64_t in = (c * g.in[0] + iy) * g.in[1] + ix;
              l.products.push_back(
                  {static_cast<std::int32_t>(out), static_cast<std::int32_t>(in), nonzero_of[w]});
              ++l.products_per_out[out];
            }
          }
        }
      }
    }
  }
}

// scale = gamma / sqrt(var + eps), shift = beta - mean * scale, in double from the float
// tensors, written exactly as the engine computes them so that both round the same doubles.
void fill_batch_norm(HlsLayer& l, const std::string& context) {
  const LayerPrecision& p = l.precision;
  check_width(context, "weight", *p.weight);
  check_width(context, "bias", *p.bias);
  const auto& gamma = l.layer->tensors.at("weight").values;
  const auto& beta = l.layer->tensors.at("bias").values;
  const auto& mean = l.layer->tensors.at("running_mean").values;
  const auto& var = l.layer->tensors.at("running_var").values;
  for (std::size_t c = 0; c < gamma.size(); ++c) {
    const double scale = gamma[c] / std::sqrt(static_cast<double>(var[c]) + l.layer->params.eps);
    const double shift = beta[c] - mean[c] * scale;
    l.scale.push_back(quantize(scale, *p.weight));
    l.shift.push_back(quantize(shift, *p.bias));
  }
  l.plane = gamma.empty() ? 1 : l.in_size / static_cast<std::int64_t>(gamma.size());
}

// "output 3" of a dense layer, "filter 3" of a convolution.
std::string output_name(const HlsLayer& l, std::int64_t f) {
  return (l.kind == LayerKind::kDense ? "output " : "filter ") + std::to_string(f);
}

// Why the engine's sum in `l`'s accumulator could differ from the graph's exact sum plus the
// bias converted to the accumulator (empty when it cannot): a product with more fraction bits
// than the accumulator, or a saturating accumulator that a product or a partial sum could leave
// (sum_is_exact(), the engine's own rule; a wrapping one gives the exact sum modulo its range
// in any order). Fills l.bias_acc.
std::string inexact_accumulator(HlsLayer& l) {
  const FixedType& acc = *l.precision.accum;
  const int product_fraction = l.precision.weight->fraction_bits() + l.in_type.fraction_bits();
  const std::string what = "its accumulator " + acc.to_string();
  if (acc.fraction_bits() < product_fraction) {
    return what + " rounds the products (" + std::to_string(product_fraction) +
           " fraction bits), so the order of the sum matters";
  }
  const std::int64_t filters = l.geometry.filters;
  l.bias_acc.assign(static_cast<std::size_t>(filters), 0);
  if (l.has_bias) {
    for (std::int64_t f = 0; f < filters; ++f) {
      const auto i = static_cast<std::size_t>(f);
      l.bias_acc[i] = requantize(l.biases[i], l.precision.bias->fraction_bits(), acc);
    }
  }
  if (acc.overflow == OverflowMode::kWrap) return "";
  const std::int64_t cols = l.geometry.channels * l.geometry.kernel_size();
  for (std::int64_t f = 0; f < filters; ++f) {
    const auto begin = l.weights.begin() + f * cols;
    const std::vector<std::int64_t> row(begin, begin + cols);
    if (!sum_is_exact(acc, product_fraction, l.in_type.raw_min(), l.in_type.raw_max(), row,
                      l.bias_acc[static_cast<std::size_t>(f)])) {
      return what + " could saturate a product or a partial sum of " + output_name(l, f) +
             ", so the order of the sum matters";
    }
  }
  return "";
}

// multiplication "adder_graph": the graph of a fully unrolled layer with an exact
// accumulator; a note for any other.
void plan_adder_graph(HlsLayer& l) {
  const std::string who = "layer '" + l.layer->name + "': ";
  if (l.reuse_factor != 1) {
    l.adder_graph_note = who + "reuse factor " + std::to_string(l.reuse_factor) +
                         ": csd products on shared multipliers (an adder graph needs reuse "
                         "factor 1)";
    return;
  }
  const std::string inexact = inexact_accumulator(l);
  if (!inexact.empty()) {
    l.adder_graph_note =
        who + inexact + ": csd products in the engine's order instead of an adder graph";
    return;
  }
  const Geometry& g = l.geometry;
  const int rows = static_cast<int>(g.filters);
  const int cols = static_cast<int>(g.channels * g.kernel_size());
  const std::int64_t terms = csd_digit_count(l.weights);
  if (terms > kMaxAdderGraphTerms) {
    l.adder_graph_note = who + std::to_string(terms) +
                         " canonical signed digits in its weights, more than the adder graph's "
                         "limit of " +
                         std::to_string(kMaxAdderGraphTerms) + ": csd products instead";
    return;
  }
  try {
    l.graph = cached_adder_graph(l.weights, rows, cols, l.in_type.raw_min(), l.in_type.raw_max());
  } catch (const Error& e) {
    l.adder_graph_note = who + e.what() + ": csd products instead";
    return;
  }
  for (const AdderGraph::Adder& a : l.graph.adders) {
    if (a.shift > 30) {
      l.adder_graph_note = who + "a shift of " + std::to_string(a.shift) +
                           " bits within its adder graph: csd products instead";
      l.graph = AdderGraph();
      return;
    }
  }
  l.adder_graph = true;
}

}  // namespace

bool HlsLayer::is_average_pool() const {
  return kind == LayerKind::kAvgPool1d || kind == LayerKind::kAvgPool2d ||
         kind == LayerKind::kGlobalAvgPool;
}

HlsModel build_hls_model(const Graph& graph, const HlsProjectOptions& options) {
  const std::vector<std::string> option_problems = hls_project_option_problems(options);
  if (!option_problems.empty()) throw Error(join(option_problems, "\n"), kExitConfig);
  const std::vector<std::string> rf_problems = reuse_factor_problems(graph, options);
  if (!rf_problems.empty()) {
    throw Error(
        "model '" + graph.name + "': " + join(rf_problems, "\nmodel '" + graph.name + "': "),
        kExitConfig);
  }
  const ModelPrecision precision = read_precision(graph);
  // The engine checks that every layer is supported and computable; its value types are the
  // types of the arrays between layers.
  const FixedEngine engine(graph, precision);
  const std::vector<FixedType>& types = engine.value_types();
  const std::vector<Shape> shapes = graph.shapes();

  HlsModel model;
  model.name = graph.name;
  model.project = options.project;
  model.input_type = precision.input;
  model.output_type = types.back();
  model.input_size = shape_numel(graph.input_shape);
  model.output_size = shape_numel(shapes.back());
  check_width("model '" + graph.name + "'", "output", model.output_type);

  // Every identifier a layer brings (its name plus the suffixes the generator appends) must be
  // unique, ignoring case since macros and include guards use the upper-case form.
  std::set<std::string> used = reserved_words();
  used.insert(lower(options.project));
  std::string current = "input";
  std::string current_type = "input_t";
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    HlsLayer l;
    l.layer = &graph.layers[i];
    l.kind = l.layer->kind;
    const std::string context = "model '" + graph.name + "', layer '" + l.layer->name + "'";
    const std::string base = sanitize(l.layer->name);
    std::string cname = base;
    for (int n = 2; !identifiers_free(cname, used); ++n) cname = base + "_" + std::to_string(n);
    for (const char* suffix : kSuffixes) used.insert(lower(cname + suffix));
    l.cname = cname;
    l.in_shape = shapes[i];
    l.out_shape = shapes[i + 1];
    l.in_size = shape_numel(l.in_shape);
    l.out_size = shape_numel(l.out_shape);
    l.in_type = types[i];
    l.out_type = types[i + 1];
    l.precision = precision.layers[i];
    l.passthrough = precision_roles(l.kind).empty();
    l.in_array = current;
    l.in_ctype = current_type;
    l.reuse_factor = layer_reuse_factor(graph, *l.layer, options);
    if (l.is_linear() || l.is_pool()) l.geometry = make_geometry(l);
    if (l.is_linear()) fill_linear(l, context);
    if (l.is_linear() && options.multiplication == "adder_graph") plan_adder_graph(l);
    if (l.kind == LayerKind::kBatchNorm) fill_batch_norm(l, context);
    if (l.kind == LayerKind::kLeakyRelu) {
      check_width(context, "weight", *l.precision.weight);
      l.alpha = quantize(l.layer->params.alpha, *l.precision.weight);
    }
    if (l.is_average_pool()) {
      const std::int64_t window = l.geometry.kernel_size();
      while ((std::int64_t{1} << l.pool_shift) < window) ++l.pool_shift;
    }
    l.out_array = l.passthrough ? current : l.cname + "_out";
    if (!l.passthrough) {
      current = l.cname + "_out";
      current_type = l.cname + "_result_t";
    }
    model.max_reuse_factor = std::max(model.max_reuse_factor, l.reuse_factor);
    model.layers.push_back(std::move(l));
  }
  // The last computing layer writes straight into the top function's output.
  for (auto it = model.layers.rbegin(); it != model.layers.rend(); ++it) {
    if (it->passthrough) continue;
    it->out_array = "output";
    current = "output";
    break;
  }
  model.output_array = current;
  model.output_ctype = current_type;
  return model;
}

// ---- Text helpers ---------------------------------------------------------------------------

std::string c_type(const FixedType& type) {
  std::string text = std::string(type.is_signed ? "ap_fixed<" : "ap_ufixed<") +
                     std::to_string(type.width) + "," + std::to_string(type.integer_bits);
  const bool default_overflow = type.overflow == OverflowMode::kWrap;
  if (type.quant != QuantMode::kTrn || !default_overflow)
    text += ",AP_" + std::string(quant_mode_name(type.quant));
  if (!default_overflow) text += ",AP_" + std::string(overflow_mode_name(type.overflow));
  return text + ">";
}

std::string double_text(double value) {
  if (value == 0) return "0";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string float_text(float value) {
  if (value == 0) return "0";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string c_value(std::int64_t raw, const FixedType& type) {
  return double_text(to_double(raw, type));
}

std::string c_list(const std::vector<std::string>& items, std::size_t column) {
  std::string text = "{";
  column += 1;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string piece = items[i] + (i + 1 < items.size() ? "," : " };");
    if (column + 1 + piece.size() > 100) {
      text += "\n   ";
      column = 3;
    }
    text += " " + piece;
    column += piece.size() + 1;
  }
  return items.empty() ? "{ };" : text;
}

// `text` as "// " comment lines of at most 100 columns, broken at spaces.
std::string c_comment(const std::string& text) {
  std::string out;
  std::string line = "//";
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (line.size() + 1 + word.size() > 100 && line.size() > 2) {
      out += line + "\n";
      line = "//";
    }
    line += " " + word;
    start = end + 1;
  }
  return out + line + "\n";
}

// "x[(c * 4 + iy) * 8 + ix]"-like flat indices, channels first, leaving out terms of size 1.
std::string upper(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace hlslim::hls_detail
