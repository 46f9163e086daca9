// One C++ function per computing layer of the generated firmware, each computing exactly what
// the fixed-point engine computes (docs/engine.md; docs/export-hls.md, "Layer functions").

#include <string>

#include "hls_project_model.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim::hls_detail {
namespace {

std::string str(std::int64_t v) {
  return std::to_string(v);
}

// "static void fc1(const input_t x[12], fc1_result_t y[6], ...) {", one parameter per line
// when that is too long. `extra` lists the further parameters, each starting with ", ".
std::string signature(const HlsLayer& l, const std::string& extra) {
  return function_head(l.cname, "const " + l.in_ctype + " x[" + str(l.in_size) + "], " + l.cname +
                                    "_result_t y[" + str(l.out_size) + "]" + extra);
}

std::string describe(const HlsLayer& l) {
  return l.cname + ": " + layer_kind_name(l.kind) + " " + shape_str(l.in_shape) + " -> " +
         shape_str(l.out_shape);
}

std::string bias_init(const HlsLayer& l, const std::string& index) {
  if (!l.has_bias) return "0";
  return "b[" + index + "]";
}

// Fully unrolled dense/conv: only the products of nonzero weights exist, listed in
// parameters.h (<layer>_prod_out/_in/_w) in the engine's order.
std::string linear_unrolled(const HlsLayer& l) {
  const std::size_t products = l.products.size();
  const auto zeros = static_cast<std::int64_t>(l.weights.size() - l.nonzero_raws.size());
  std::string s = c_comment(
      describe(l) + ", fully unrolled: " + str(static_cast<std::int64_t>(products)) +
      " products of " + str(static_cast<std::int64_t>(l.nonzero_raws.size())) +
      " nonzero weights (" + str(zeros) + (zeros == 1 ? " zero weight" : " zero weights") +
      " left out). Per output: acc = bias; acc += (accum_t)(x * w) for each "
      "nonzero weight in weight order; y = acc.");
  std::string extra;
  if (!l.nonzero_raws.empty())
    extra += ", const " + l.cname + "_weight_t w[" + str(l.nonzero_raws.size()) + "]";
  if (l.has_bias) extra += ", const " + l.cname + "_bias_t b[" + str(l.geometry.filters) + "]";
  s += signature(l, extra);
  s += "#pragma HLS INLINE\n";
  s += "  " + l.cname + "_accum_t acc[" + str(l.out_size) + "];\n";
  s += "#pragma HLS ARRAY_PARTITION variable=acc complete\n";
  const std::int64_t plane = l.geometry.out_plane();
  s += "  for (int o = 0; o < " + str(l.out_size) + "; o++) {\n#pragma HLS UNROLL\n";
  s += "    acc[o] = " + bias_init(l, plane == 1 ? "o" : "o / " + str(plane)) + ";\n  }\n";
  if (products > 0) {
    const std::string p = l.cname + "_prod";
    s += "  for (int k = 0; k < " + str(static_cast<std::int64_t>(products)) +
         "; k++) {\n#pragma HLS UNROLL\n";
    s += "    acc[" + p + "_out[k]] += (" + l.cname + "_accum_t)(x[" + p + "_in[k]] * w[" + p +
         "_w[k]]);\n  }\n";
  }
  s += "  for (int o = 0; o < " + str(l.out_size) + "; o++) {\n#pragma HLS UNROLL\n";
  s += "    y[o] = acc[o];\n  }\n}\n";
  return s;
}

// Reuse factor > 1: every weight (zeros included) in an array, the layer pipelined with an
// initiation interval of the reuse factor and its multipliers limited accordingly.
std::string linear_shared(const HlsLayer& l) {
  const Geometry& g = l.geometry;
  const std::int64_t n_w = static_cast<std::int64_t>(l.weights.size());
  const std::int64_t rf = l.reuse_factor;
  const std::int64_t limit = (l.dense_products + rf - 1) / rf;
  const std::int64_t block = (n_w + rf - 1) / rf;
  std::string s =
      c_comment(describe(l) + ", reuse factor " + str(rf) + ": " + str(l.dense_products) +
                " products (zero weights included) on at most " + str(limit) +
                " multipliers. Per output: acc = bias; acc += (accum_t)(x * w) in "
                "weight order; y = acc.");
  std::string extra = ", const " + l.cname + "_weight_t w[" + str(n_w) + "]";
  if (l.has_bias) extra += ", const " + l.cname + "_bias_t b[" + str(g.filters) + "]";
  s += signature(l, extra);
  s += "#pragma HLS INLINE off\n";
  s += "#pragma HLS PIPELINE II=" + str(rf) + "\n";
  s += "#pragma HLS ARRAY_RESHAPE variable=w cyclic factor=" + str(block) + "\n";
  s += std::string("#pragma HLS BIND_STORAGE variable=w type=rom_np impl=") +
       (rf >= kBramMinDepth ? "bram" : "lutram") + "\n";
  s += "#pragma HLS ALLOCATION operation instances=mul limit=" + str(limit) + "\n";
  const std::string acc_t = l.cname + "_accum_t";
  if (g.dims == 0) {  // dense, or one window of a streamed convolution (hls_project_stream.cpp)
    const std::string n_in = str(g.channels);
    s += "  for (int o = 0; o < " + str(g.filters) + "; o++) {\n";
    s += "    " + acc_t + " acc = " + bias_init(l, "o") + ";\n";
    s += "    for (int i = 0; i < " + n_in + "; i++) {\n";
    s += "      acc += (" + acc_t + ")(x[i] * w[o * " + n_in + " + i]);\n    }\n";
    s += "    y[o] = acc;\n  }\n}\n";
    return s;
  }
  const bool two_d = g.dims == 2;
  const std::string step = "  ";
  s += "  for (int f = 0; f < " + str(g.filters) + "; f++) {\n";
  std::string ind = "    ";
  if (two_d) {
    s += ind + "for (int oy = 0; oy < " + str(g.out[0]) + "; oy++) {\n";
    ind += step;
  }
  s += ind + "for (int ox = 0; ox < " + str(g.out[1]) + "; ox++) {\n";
  ind += step;
  s += ind + acc_t + " acc = " + bias_init(l, "f") + ";\n";
  s += ind + "for (int c = 0; c < " + str(g.channels) + "; c++) {\n";
  ind += step;
  if (two_d) {
    s += ind + "for (int ky = 0; ky < " + str(g.kernel[0]) + "; ky++) {\n";
    ind += step;
  }
  s += ind + "for (int kx = 0; kx < " + str(g.kernel[1]) + "; kx++) {\n";
  ind += step;
  std::string inside;
  s += conv_tap_position(g, ind, inside);
  const std::string x_index = flat_index("c", g.in[0], "iy", g.in[1], "ix");
  const std::string w_index =
      flat_index("(f * " + str(g.channels) + " + c)", g.kernel[0], "ky", g.kernel[1], "kx");
  s += ind + "if (" + inside + ") {\n";
  std::string add = ind + "  acc += (" + acc_t + ")(x[" + x_index + "] * w[" + w_index + "]);\n";
  if (add.size() > 101) {  // break after the product's first factor
    const std::size_t open = add.find("(x[");
    add = ind + "  acc += (" + acc_t + ")(x[" + x_index + "] *\n" + std::string(open + 1, ' ') +
          "w[" + w_index + "]);\n";
  }
  s += add;
  s += ind + "}\n";
  for (int close = two_d ? 3 : 2; close > 0; --close) {
    ind.resize(ind.size() - 2);
    s += ind + "}\n";
  }
  s += ind + "y[" + flat_index("f", g.out[0], "oy", g.out[1], "ox") + "] = acc;\n";
  for (int close = two_d ? 3 : 2; close > 0; --close) {
    ind.resize(ind.size() - 2);
    s += ind + "}\n";
  }
  return s + "}\n";
}

std::string elementwise(const HlsLayer& l) {
  std::string s;
  std::string body;
  std::string extra;
  switch (l.kind) {
    case LayerKind::kRelu:
      s = c_comment(describe(l) + ": y = x if x > 0, else 0 (assigned to the result type).");
      body = "    if (x[i] > 0) {\n      y[i] = x[i];\n    } else {\n      y[i] = 0;\n    }\n";
      break;
    case LayerKind::kLeakyRelu:
      s = c_comment(describe(l) +
                    ": y = x if x >= 0, else alpha * x (exact product, assigned to the result "
                    "type).");
      body = "    if (x[i] >= 0) {\n      y[i] = x[i];\n    } else {\n      y[i] = " + l.cname +
             "_alpha * x[i];\n    }\n";
      break;
    case LayerKind::kBatchNorm: {
      const std::int64_t channels = static_cast<std::int64_t>(l.scale.size());
      s = c_comment(describe(l) +
                    ": y = scale * x + shift per channel (exact, assigned to the result type).");
      extra = ", const " + l.cname + "_weight_t w[" + str(channels) + "], const " + l.cname +
              "_bias_t b[" + str(channels) + "]";
      const std::string c = l.plane == 1 ? "i" : "i / " + str(l.plane);
      body = "    y[i] = w[" + c + "] * x[i] + b[" + c + "];\n";
      break;
    }
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kDropout:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      throw Error(describe(l) + ": a " + layer_kind_name(l.kind) +
                  " layer has no elementwise HLS function");
  }
  s += signature(l, extra);
  s += "#pragma HLS INLINE\n";
  s += "  for (int i = 0; i < " + str(l.in_size) + "; i++) {\n#pragma HLS UNROLL\n";
  return s + body + "  }\n}\n";
}

std::string pool(const HlsLayer& l) {
  const Geometry& g = l.geometry;
  const bool average = l.is_average_pool();
  std::string s;
  if (average) {
    s = c_comment(describe(l) +
                  ": sum = 0; sum += (accum_t)x over the window in row-major order; y = sum / " +
                  str(g.kernel_size()) + " (an exact shift in the wider " + l.cname + "_div_t).");
  } else {
    s = c_comment(describe(l) + ": y = the largest value of each window.");
  }
  s += signature(l, "");
  s += "#pragma HLS INLINE\n";
  s += "  for (int c = 0; c < " + str(g.filters) + "; c++) {\n";
  std::string ind = "    ";
  if (g.out[0] > 1 || g.kernel[0] > 1) {
    s += ind + "for (int oy = 0; oy < " + str(g.out[0]) + "; oy++) {\n";
    ind += "  ";
  }
  s += ind + "for (int ox = 0; ox < " + str(g.out[1]) + "; ox++) {\n";
  ind += "  ";
  const bool rows = g.out[0] > 1 || g.kernel[0] > 1;
  auto at = [&](const std::string& ky, const std::string& kx) {
    const std::string y = g.kernel[0] == 1 ? "oy" : "oy * " + str(g.kernel[0]) + " + " + ky;
    const std::string x = g.kernel[1] == 1 ? "ox" : "ox * " + str(g.kernel[1]) + " + " + kx;
    return "x[" + flat_index("c", g.in[0], rows ? y : "0", g.in[1], x) + "]";
  };
  const std::string out_at = "y[" + flat_index("c", g.out[0], "oy", g.out[1], "ox") + "]";
  std::string inner_ind = ind;
  std::string loops;
  if (g.kernel[0] > 1) {
    loops += inner_ind + "for (int ky = 0; ky < " + str(g.kernel[0]) + "; ky++) {\n";
    inner_ind += "  ";
  }
  if (g.kernel[1] > 1) {
    loops += inner_ind + "for (int kx = 0; kx < " + str(g.kernel[1]) + "; kx++) {\n";
    inner_ind += "  ";
  }
  std::string closes;
  for (std::string i = inner_ind; i.size() > ind.size();) {
    i.resize(i.size() - 2);
    closes += i + "}\n";
  }
  if (average) {
    s += ind + l.cname + "_accum_t sum = 0;\n" + loops;
    s += inner_ind + "sum += (" + l.cname + "_accum_t)" + at("ky", "kx") + ";\n" + closes;
    s += ind + l.cname + "_div_t quotient = sum;\n";
    s += ind + "quotient >>= " + str(l.pool_shift) + ";\n";
    s += ind + out_at + " = quotient;\n";
  } else {
    s += ind + l.in_ctype + " best = " + at("0", "0") + ";\n" + loops;
    s += inner_ind + "const " + l.in_ctype + " v = " + at("ky", "kx") + ";\n";
    s += inner_ind + "if (v > best) best = v;\n" + closes;
    s += ind + out_at + " = best;\n";
  }
  while (ind.size() > 2) {
    ind.resize(ind.size() - 2);
    s += ind + "}\n";
  }
  return s + "}\n";
}

}  // namespace

std::string function_head(const std::string& name, const std::string& params) {
  const std::string head = "static void " + name + "(";
  if (head.size() + params.size() + 3 <= 100) return head + params + ") {\n";
  std::string broken;
  for (std::size_t at = 0; at < params.size();) {
    std::size_t comma = params.find(", ", at);
    if (comma == std::string::npos) comma = params.size();
    broken += "\n    " + params.substr(at, comma - at) + (comma < params.size() ? "," : "");
    at = comma + 2;
  }
  return head + broken + ") {\n";
}

std::string layer_function(const HlsModel&, const HlsLayer& l) {
  if (l.passthrough) return "";
  switch (layer_traits(l.kind).category) {
    case LayerCategory::kLinear:
      if (l.adder_graph) return adder_graph_functions(l);
      return l.reuse_factor == 1 ? linear_unrolled(l) : linear_shared(l);
    case LayerCategory::kPool:
      return pool(l);
    case LayerCategory::kActivation:
    case LayerCategory::kNormalization:
      return elementwise(l);
    case LayerCategory::kReshape:
    case LayerCategory::kIdentity:
      break;  // passthrough: the engine gives them no precision roles
  }
  throw Error(describe(l) + ": a " + layer_kind_name(l.kind) + " layer has no HLS function");
}

std::string layer_call(const HlsModel&, const HlsLayer& l) {
  if (l.passthrough) {
    return "  // " + l.cname + ": " + layer_kind_name(l.kind) + " " + shape_str(l.in_shape) +
           " -> " + shape_str(l.out_shape) + ", same values in the same order (" + l.in_array +
           ")\n";
  }
  std::string s;
  if (l.out_array != "output") {
    s += "  " + l.cname + "_result_t " + l.out_array + "[" + std::to_string(l.out_size) + "];\n";
    s += "#pragma HLS ARRAY_PARTITION variable=" + l.out_array + " complete dim=0\n";
  }
  std::string args = l.in_array + ", " + l.out_array;
  const bool weights = l.is_linear()
                           ? !(l.reuse_factor == 1 && l.nonzero_raws.empty()) && !l.adder_graph
                           : l.kind == LayerKind::kBatchNorm;
  if (weights) args += ", " + l.cname + "_w";
  if (l.has_bias || l.kind == LayerKind::kBatchNorm) args += ", " + l.cname + "_b";
  return s + "  " + l.cname + "(" + args + ");\n";
}

}  // namespace hlslim::hls_detail
