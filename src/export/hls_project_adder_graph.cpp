// Dense and convolution layers as adder graphs (multiplication "adder_graph";
// docs/export-hls.md, "Adder graphs"): every signal of the graph is an ap_fixed just wide enough
// for its exact range, so the sum is exact, and it reaches the accumulator as the engine's does.

#include <string>

#include "hls_project_model.hpp"

namespace hlslim::hls_detail {
namespace {

std::string str(std::int64_t v) {
  return std::to_string(v);
}

// The exact type of signal `s`: its raw range at the input's step.
std::string signal_type(const AdderGraph& g, std::size_t s, int fraction) {
  const int bits = AdderGraph::signed_bits(g.lo[s], g.hi[s]);
  return "ap_fixed<" + str(bits) + "," + str(bits - fraction) + ">";
}

std::string signal_name(const AdderGraph& g, int s) {
  if (s < g.inputs) return "x[" + str(s) + "]";
  return "t" + str(s - g.inputs);
}

// "b * 4": a product by a power of two, exact in ap_fixed and sc_fixed alike (HLS wires it).
std::string shifted(const std::string& name, int shift) {
  if (shift == 0) return name;
  return name + " * " + str(std::int64_t{1} << shift);
}

std::string graph_function(const HlsLayer& l) {
  const AdderGraph& g = l.graph;
  const int fraction = l.in_type.fraction_bits();
  const int weight_fraction = l.precision.weight->fraction_bits();
  const std::int64_t rows = l.geometry.filters;
  const std::int64_t csd = csd_additions(l.weights, static_cast<int>(rows), g.inputs);
  std::string s = c_comment(
      l.cname + "'s adder graph: y = W x for one " +
      (l.kind == LayerKind::kDense ? std::string("input vector") : std::string("window")) + " (" +
      str(rows) + " outputs, " + str(g.inputs) + " inputs) with " +
      str(static_cast<std::int64_t>(g.adders.size())) + " adders, depth " + str(g.max_depth()) +
      " (the weights' canonical signed digits alone need " + str(csd) +
      "). Each signal is exact in its type; the sum of output o, times 2^-" + str(weight_fraction) +
      " (the weight step), and its bias converted to the accumulator reach acc[o] exactly.");
  std::string params = "const " + l.in_ctype + " x[" + str(g.inputs) + "], " + l.cname +
                       "_accum_t acc[" + str(rows) + "]";
  if (l.has_bias) params += ", const " + l.cname + "_bias_t b[" + str(rows) + "]";
  s += function_head(l.cname + "_graph", params);
  s += "#pragma HLS INLINE\n";
  for (std::size_t k = 0; k < g.adders.size(); ++k) {
    const AdderGraph::Adder& a = g.adders[k];
    const std::size_t id = static_cast<std::size_t>(g.inputs) + k;
    s += "  const " + signal_type(g, id, fraction) + " t" + str(static_cast<std::int64_t>(k)) +
         " = " + signal_name(g, a.a) + (a.subtract ? " - " : " + ") +
         shifted(signal_name(g, a.b), a.shift) + ";\n";
  }
  for (std::int64_t o = 0; o < rows; ++o) {
    const AdderGraph::Output& out = g.outputs[static_cast<std::size_t>(o)];
    // The bias enters converted to the accumulator, as the engine adds it; a zero one not at all.
    const bool bias_term = l.has_bias && l.bias_acc[static_cast<std::size_t>(o)] != 0;
    const std::string bias = bias_term ? l.cname + "_accum_t(b[" + str(o) + "])" : "";
    const std::string acc = "  acc[" + str(o) + "] = ";
    if (out.signal < 0) {
      s += acc + (bias_term ? bias : "0") + ";\n";
      continue;
    }
    std::string value = signal_name(g, out.signal);
    const int shift = out.shift - weight_fraction;
    if (shift != 0) {
      const std::size_t id = static_cast<std::size_t>(out.signal);
      const int bits = AdderGraph::signed_bits(g.lo[id], g.hi[id]);
      const int integer = bits - fraction + (shift > 0 ? shift : 0);
      const int width = bits + (shift > 0 ? shift : -shift);
      value = "v" + str(o);
      s += "  ap_fixed<" + str(width) + "," + str(integer) + "> " + value + " = " +
           signal_name(g, out.signal) + ";\n";
      s += "  " + value + (shift > 0 ? " <<= " : " >>= ") + str(shift > 0 ? shift : -shift) + ";\n";
    }
    if (bias_term) {
      s += acc + bias + (out.negative ? " - " : " + ") + value + ";\n";
    } else {
      s += acc + (out.negative ? "-" : "") + value + ";\n";
    }
  }
  return s + "}\n";
}

std::string layer_body(const HlsLayer& l) {
  const Geometry& g = l.geometry;
  const std::string acc_t = l.cname + "_accum_t";
  const std::string call_bias = l.has_bias ? ", b" : "";
  std::string s =
      c_comment(l.cname + ": " + layer_kind_name(l.kind) + " " + shape_str(l.in_shape) + " -> " +
                shape_str(l.out_shape) + ", adder graph (reuse factor 1)" +
                (l.kind == LayerKind::kDense
                     ? std::string(": acc = bias + W x; y = acc.")
                     : std::string(", one graph per output position on its window (padding: "
                                   "zeros): acc = bias + W window; y = acc.")));
  std::string extra;
  if (l.has_bias) extra = ", const " + l.cname + "_bias_t b[" + str(g.filters) + "]";
  s += function_head(l.cname, "const " + l.in_ctype + " x[" + str(l.in_size) + "], " + l.cname +
                                  "_result_t y[" + str(l.out_size) + "]" + extra);
  s += "#pragma HLS INLINE\n";
  if (g.dims == 0) {
    s += "  " + acc_t + " acc[" + str(g.filters) + "];\n";
    s += "#pragma HLS ARRAY_PARTITION variable=acc complete\n";
    s += "  " + l.cname + "_graph(x, acc" + call_bias + ");\n";
    s += "  for (int o = 0; o < " + str(g.filters) + "; o++) {\n#pragma HLS UNROLL\n";
    return s + "    y[o] = acc[o];\n  }\n}\n";
  }
  const bool two_d = g.dims == 2;
  std::string ind = "  ";
  if (two_d) {
    s += ind + "for (int oy = 0; oy < " + str(g.out[0]) + "; oy++) {\n#pragma HLS UNROLL\n";
    ind += "  ";
  }
  s += ind + "for (int ox = 0; ox < " + str(g.out[1]) + "; ox++) {\n#pragma HLS UNROLL\n";
  ind += "  ";
  const std::int64_t n = g.channels * g.kernel_size();
  s += ind + l.in_ctype + " window[" + str(n) + "];\n";
  s += "#pragma HLS ARRAY_PARTITION variable=window complete\n";
  s += ind + "for (int c = 0; c < " + str(g.channels) + "; c++) {\n";
  std::string in = ind + "  ";
  if (two_d) {
    s += in + "for (int ky = 0; ky < " + str(g.kernel[0]) + "; ky++) {\n";
    in += "  ";
  }
  s += in + "for (int kx = 0; kx < " + str(g.kernel[1]) + "; kx++) {\n";
  in += "  ";
  std::string inside;
  s += conv_tap_position(g, in, inside);
  const std::string w_index = flat_index("c", g.kernel[0], "ky", g.kernel[1], "kx");
  s += in + "if (" + inside + ") {\n";
  s += in + "  window[" + w_index + "] = x[" + flat_index("c", g.in[0], "iy", g.in[1], "ix") +
       "];\n";
  s += in + "} else {\n" + in + "  window[" + w_index + "] = 0;\n" + in + "}\n";
  for (int close = two_d ? 3 : 2; close > 0; --close) {
    in.resize(in.size() - 2);
    s += in + "}\n";
  }
  s += ind + acc_t + " acc[" + str(g.filters) + "];\n";
  s += "#pragma HLS ARRAY_PARTITION variable=acc complete\n";
  s += ind + l.cname + "_graph(window, acc" + call_bias + ");\n";
  s += ind + "for (int f = 0; f < " + str(g.filters) + "; f++) {\n";
  s += ind + "  y[" + flat_index("f", g.out[0], "oy", g.out[1], "ox") + "] = acc[f];\n";
  s += ind + "}\n";
  for (int close = two_d ? 2 : 1; close > 0; --close) {
    ind.resize(ind.size() - 2);
    s += ind + "}\n";
  }
  return s + "}\n";
}

}  // namespace

std::string adder_graph_functions(const HlsLayer& l) {
  return graph_function(l) + "\n" + layer_body(l);
}

}  // namespace hlslim::hls_detail
