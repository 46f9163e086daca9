// io_stream (docs/export-hls.md, "io_stream"): the layers as a DATAFLOW pipeline of processes
// connected by hls::stream FIFOs, one stream element per position holding all its channels,
// line buffers for convolutions and pools. Each process calls a kernel function written by the
// io_parallel generators (hls_project_layers.cpp) for one element or one window, so the
// arithmetic of every output, and its order, is the io_parallel one and the engine's.

#include <algorithm>
#include <string>
#include <vector>

#include "hls_project_model.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim::hls_detail {
namespace {

std::string str(std::int64_t v) {
  return std::to_string(v);
}

bool is_global_pool(const HlsLayer& l) {
  return l.kind == LayerKind::kGlobalMaxPool || l.kind == LayerKind::kGlobalAvgPool;
}

// A stream's elements: `count` per event, each holding `width` values. A vector is one
// element; a [C, L] or [C, H, W] tensor is one element of C values per position.
struct Elements {
  std::int64_t count = 1;
  std::int64_t width = 1;
};

Elements elements_of(const Shape& shape) {
  Elements e;
  e.width = shape.empty() ? 1 : shape[0];
  e.count = shape_numel(shape) / std::max<std::int64_t>(e.width, 1);
  return e;
}

enum class Op {
  kNone,     // dropout, and flatten/reshape that keep the element layout: the same stream
  kRepack,   // flatten/reshape that change it: the whole event is gathered and re-emitted
  kElement,  // dense, activations, batch norm: the kernel on each element
  kWindow,   // convolutions and windowed pools: a line buffer, the kernel on each window
  kGlobal,   // global pools: per channel over every element, in arrival order
};

struct StreamStep {
  const HlsLayer* layer = nullptr;
  const HlsLayer* kernel = nullptr;  // the layer as its kernel function sees it
  Op op = Op::kNone;
  std::string in_var, in_type;    // the stream read and its element type
  std::string out_var, out_type;  // the stream written and its element type
  std::string value_type;         // the C type of the values written
  Elements in, out;
};

// The streams between the layers; the last step that writes a stream writes `output`.
std::vector<StreamStep> stream_steps(const HlsModel& model, const HlsModel& kernels) {
  std::vector<StreamStep> steps;
  std::string var = "input";
  std::string type = "input_stream_t";
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const HlsLayer& l = model.layers[i];
    StreamStep s;
    s.layer = &l;
    s.kernel = &kernels.layers[i];
    s.in_var = var;
    s.in_type = type;
    s.in = elements_of(l.in_shape);
    s.out = elements_of(l.out_shape);
    if (l.passthrough) {
      const bool same = s.in.width == s.out.width && s.in.count == s.out.count;
      s.op = l.kind == LayerKind::kDropout || same ? Op::kNone : Op::kRepack;
      s.value_type = l.in_ctype;
    } else if (l.is_linear() && l.kind != LayerKind::kDense) {
      s.op = Op::kWindow;
    } else if (l.is_pool()) {
      s.op = is_global_pool(l) ? Op::kGlobal : Op::kWindow;
    } else {
      s.op = Op::kElement;
    }
    if (!l.passthrough) s.value_type = l.cname + "_result_t";
    if (s.op == Op::kNone) {
      s.out_var = var;
      s.out_type = type;
    } else {
      s.out_var = var = l.cname + "_out";
      s.out_type = type = l.cname + "_stream_t";
    }
    steps.push_back(s);
  }
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->op == Op::kNone) continue;
    for (auto later = steps.rbegin(); later != it; ++later)
      later->in_var = later->out_var = "output";
    it->out_var = "output";
    break;
  }
  return steps;
}

// The weight and bias parameters of a kernel (declarations, and the names passed on).
struct WeightArgs {
  std::string params;  // ", const fc1_weight_t w[12], const fc1_bias_t b[4]"
  std::string inner;   // ", w, b"
  std::string outer;   // ", fc1_w, fc1_b"
};

WeightArgs weight_args(const HlsLayer& k) {
  WeightArgs a;
  std::int64_t n_w = 0;
  std::int64_t n_b = 0;
  if (k.is_linear()) {
    n_w = static_cast<std::int64_t>(k.reuse_factor == 1 ? k.nonzero_raws.size() : k.weights.size());
    n_b = k.has_bias ? k.geometry.filters : 0;
  } else if (k.kind == LayerKind::kBatchNorm) {
    n_w = static_cast<std::int64_t>(k.scale.size());
    n_b = static_cast<std::int64_t>(k.shift.size());
  }
  if (n_w > 0) {
    a.params += ", const " + k.cname + "_weight_t w[" + str(n_w) + "]";
    a.inner += ", w";
    a.outer += ", " + k.cname + "_w";
  }
  if (n_b > 0) {
    a.params += ", const " + k.cname + "_bias_t b[" + str(n_b) + "]";
    a.inner += ", b";
    a.outer += ", " + k.cname + "_b";
  }
  return a;
}

std::string head(const StreamStep& s, const std::string& params) {
  return function_head(
             s.layer->cname + "_stream",
             "hls::stream<" + s.in_type + ">& x, hls::stream<" + s.out_type + ">& y" + params) +
         "#pragma HLS INLINE off\n";
}

std::string unrolled_for(const std::string& ind, const std::string& var, std::int64_t n) {
  return ind + "for (int " + var + " = 0; " + var + " < " + str(n) + "; " + var +
         "++) {\n#pragma HLS UNROLL\n";
}

std::string element_process(const StreamStep& s) {
  const HlsLayer& l = *s.layer;
  const WeightArgs a = weight_args(*s.kernel);
  std::string t = c_comment(l.cname + ", streamed: " + l.cname + "() on " +
                            (s.in.count == 1 ? std::string("the event's one element.")
                                             : "each of the " + str(s.in.count) +
                                                   " elements of the event, in arrival order."));
  t += head(s, a.params);
  std::string ind = "  ";
  if (s.in.count > 1) {
    t += "  for (int p = 0; p < " + str(s.in.count) + "; p++) {\n";
    t += "#pragma HLS PIPELINE II=" + str(s.kernel->reuse_factor) + "\n";
    ind = "    ";
  }
  t += ind + "const " + s.in_type + " in = x.read();\n";
  t += ind + s.out_type + " out;\n";
  t += ind + "::" + l.cname + "(in.data, out.data" + a.inner + ");\n";
  t += ind + "y.write(out);\n";
  if (s.in.count > 1) t += "  }\n";
  return t + "}\n";
}

// A convolution or windowed pool: the padded input plane is walked row by row; positions of
// the zero padding are inserted here, the others read from the stream. The window (channel,
// row, column) shifts by one column per position; its new column comes from the line buffer
// (the last kernel-height - 1 padded rows) and the new element.
std::string window_process(const StreamStep& s) {
  const HlsLayer& l = *s.layer;
  const HlsLayer& k = *s.kernel;
  const Geometry& g = l.geometry;
  const WeightArgs a = weight_args(k);
  std::int64_t padded[2];
  std::int64_t after[2];
  for (int d = 0; d < 2; ++d) {
    after[d] =
        std::max<std::int64_t>(0, (g.out[d] - 1) * g.stride[d] + g.kernel[d] - g.in[d] - g.pad[d]);
    padded[d] = g.pad[d] + g.in[d] + after[d];
  }
  const std::int64_t c_n = g.channels;
  const std::int64_t k0 = g.kernel[0];
  const std::int64_t k1 = g.kernel[1];
  const std::int64_t window = c_n * k0 * k1;
  const bool two_d = g.dims == 2;
  std::string summary = l.cname + ", streamed: " + str(g.in[0] * g.in[1]) +
                        (two_d ? " positions arrive row by row" : " positions arrive in order");
  if (g.pad[0] + after[0] + g.pad[1] + after[1] > 0) summary += ", zero padding inserted here";
  summary += "; a window of " + (two_d ? str(k0) + " x " : std::string()) + str(k1) +
             " positions shifts along";
  if (k0 > 1) {
    summary += ", the previous " + str(k0 - 1) + (k0 == 2 ? " padded row" : " padded rows") +
               " in a line buffer";
  }
  const std::int64_t outputs = g.out[0] * g.out[1];
  summary += "; " + l.cname + "() on " +
             (outputs == 1 ? std::string("the one window that is an output")
                           : "each of the " + str(outputs) + " windows that are outputs") +
             " (stride " + (two_d ? str(g.stride[0]) + " x " : std::string()) + str(g.stride[1]) +
             ").";
  std::string t = c_comment(summary) + head(s, a.params);
  const std::string& v = l.in_ctype;
  if (k0 > 1) {
    t += "  " + v + " lines[" + str(k0 - 1) + "][" + str(padded[1]) + "][" + str(c_n) + "];\n";
    t += "#pragma HLS ARRAY_PARTITION variable=lines complete dim=1\n";
    t += "#pragma HLS ARRAY_PARTITION variable=lines complete dim=3\n";
  }
  t += "  " + v + " window[" + str(window) + "];\n";
  t += "#pragma HLS ARRAY_PARTITION variable=window complete\n";
  std::string ind = "  ";
  if (two_d) {
    t += ind + "for (int py = 0; py < " + str(padded[0]) + "; py++) {\n";
    ind += "  ";
  }
  t += ind + "for (int px = 0; px < " + str(padded[1]) + "; px++) {\n";
  t += "#pragma HLS PIPELINE II=" + str(k.reuse_factor) + "\n";
  ind += "  ";
  // Which positions come from the stream.
  std::vector<std::string> inside;
  if (two_d && g.pad[0] > 0) inside.push_back("py >= " + str(g.pad[0]));
  if (two_d && after[0] > 0) inside.push_back("py < " + str(g.pad[0] + g.in[0]));
  if (g.pad[1] > 0) inside.push_back("px >= " + str(g.pad[1]));
  if (after[1] > 0) inside.push_back("px < " + str(g.pad[1] + g.in[1]));
  t += ind + s.in_type + " element;\n";
  if (inside.empty()) {
    t += ind + "element = x.read();\n";
  } else {
    std::string cond = inside[0];
    for (std::size_t i = 1; i < inside.size(); ++i) cond += " && " + inside[i];
    t += ind + "if (" + cond + ") {\n" + ind + "  element = x.read();\n" + ind + "} else {\n";
    t += unrolled_for(ind + "  ", "c", c_n) + ind + "    element.data[c] = 0;\n";
    t += ind + "  }\n" + ind + "}\n";
  }
  // Shift the window by one column and fill the new one.
  auto at = [&](const std::string& ky, const std::string& kx) {
    const std::string row = k0 == 1 ? "c" : "c * " + str(k0) + " + " + ky;
    if (k1 == 1) return row;
    return (k0 == 1 ? row : "(" + row + ")") + " * " + str(k1) + " + " + kx;
  };
  t += unrolled_for(ind, "c", c_n);
  std::string ind2 = ind + "  ";
  if (k1 > 1) {
    std::string ind3 = ind2;
    if (k0 > 1) {
      t += unrolled_for(ind2, "ky", k0);
      ind3 += "  ";
    }
    t += unrolled_for(ind3, "kx", k1 - 1);
    t += ind3 + "  window[" + at("ky", "kx") + "] = window[" + at("ky", "kx + 1") + "];\n";
    t += ind3 + "}\n";
    if (k0 > 1) t += ind2 + "}\n";
  }
  if (k0 > 1) {
    t += unrolled_for(ind2, "ky", k0 - 1);
    t += ind2 + "  window[" + at("ky", str(k1 - 1)) + "] = lines[ky][px][c];\n" + ind2 + "}\n";
    if (k0 > 2) {
      t += unrolled_for(ind2, "ky", k0 - 2);
      t += ind2 + "  lines[ky][px][c] = lines[ky + 1][px][c];\n" + ind2 + "}\n";
    }
    t += ind2 + "lines[" + str(k0 - 2) + "][px][c] = element.data[c];\n";
  }
  t += ind2 + "window[" + at(str(k0 - 1), str(k1 - 1)) + "] = element.data[c];\n" + ind + "}\n";
  // Is the window an output?
  std::vector<std::string> output;
  auto add_conditions = [&](const char* p, int d) {
    const std::string first = str(g.kernel[d] - 1);
    const std::string offset = g.kernel[d] == 1 ? p : "(" + std::string(p) + " - " + first + ")";
    if (g.out[d] == 1) {  // one window along this dimension
      if (padded[d] > 1) output.push_back(std::string(p) + " == " + first);
      return;
    }
    if (g.kernel[d] > 1) output.push_back(std::string(p) + " >= " + first);
    if (g.stride[d] > 1) output.push_back(offset + " % " + str(g.stride[d]) + " == 0");
    const std::int64_t last_used = (g.out[d] - 1) * g.stride[d] + g.kernel[d] - 1;
    if (last_used < padded[d] - 1) output.push_back(std::string(p) + " <= " + str(last_used));
  };
  if (two_d) add_conditions("py", 0);
  add_conditions("px", 1);
  std::string body_ind = ind;
  if (!output.empty()) {
    std::string cond = output[0];
    for (std::size_t i = 1; i < output.size(); ++i) cond += " && " + output[i];
    t += ind + "if (" + cond + ") {\n";
    body_ind += "  ";
  }
  t += body_ind + s.out_type + " out;\n";
  t += body_ind + "::" + l.cname + "(window, out.data" + a.inner + ");\n";
  t += body_ind + "y.write(out);\n";
  if (!output.empty()) t += ind + "}\n";
  while (ind.size() > 2) {
    ind.resize(ind.size() - 2);
    t += ind + "}\n";
  }
  return t + "}\n";
}

// Global pools: per channel over every position in arrival (row-major) order, as the engine.
std::string global_process(const StreamStep& s) {
  const HlsLayer& l = *s.layer;
  const bool average = l.is_average_pool();
  const std::int64_t c_n = l.geometry.filters;
  std::string t;
  if (average) {
    t = c_comment(l.cname + ", streamed: per channel, sum = 0; sum += (accum_t)x over the " +
                  str(s.in.count) + " positions in arrival order; y = sum / " + str(s.in.count) +
                  " (an exact shift in the wider " + l.cname + "_div_t).");
  } else {
    t = c_comment(l.cname + ", streamed: per channel, the largest value of the " + str(s.in.count) +
                  " positions.");
  }
  t += head(s, "");
  const std::string v = average ? l.cname + "_accum_t" : l.in_ctype;
  t += "  " + v + " acc[" + str(c_n) + "];\n#pragma HLS ARRAY_PARTITION variable=acc complete\n";
  t += "  for (int p = 0; p < " + str(s.in.count) + "; p++) {\n#pragma HLS PIPELINE II=1\n";
  t += "    const " + s.in_type + " in = x.read();\n";
  t += unrolled_for("    ", "c", c_n);
  if (average) {
    t += "      if (p == 0) acc[c] = 0;\n";
    t += "      acc[c] += (" + l.cname + "_accum_t)in.data[c];\n";
  } else {
    t += "      if (p == 0 || in.data[c] > acc[c]) acc[c] = in.data[c];\n";
  }
  t += "    }\n  }\n  " + s.out_type + " out;\n";
  t += unrolled_for("  ", "c", c_n);
  if (average) {
    t += "    " + l.cname + "_div_t quotient = acc[c];\n";
    t += "    quotient >>= " + str(l.pool_shift) + ";\n";
    t += "    out.data[c] = quotient;\n";
  } else {
    t += "    out.data[c] = acc[c];\n";
  }
  return t + "  }\n  y.write(out);\n}\n";
}

// Flatten or reshape between layouts: the event is gathered in the model's channels-first
// order and emitted in the new layout.
std::string repack_process(const StreamStep& s) {
  const HlsLayer& l = *s.layer;
  std::string t = c_comment(l.cname + ", streamed: " + layer_kind_name(l.kind) + " " +
                            shape_str(l.in_shape) + " -> " + shape_str(l.out_shape) +
                            ": the event's values are gathered in channels-first order and "
                            "sent on in the new layout.");
  t += head(s, "");
  t += "  " + l.in_ctype + " values[" + str(l.in_size) + "];\n";
  // One loop over the elements of a side (none for a single element), values c * count + p.
  auto side = [&](const Elements& e, const std::string& body) {
    const std::string at = e.count == 1 ? "c" : "c * " + str(e.count) + " + p";
    std::string ind = "  ";
    std::string text;
    if (e.count > 1) {
      text += "  for (int p = 0; p < " + str(e.count) + "; p++) {\n#pragma HLS PIPELINE II=1\n";
      ind = "    ";
    }
    std::string inner = body;
    for (std::size_t k = inner.find("@"); k != std::string::npos; k = inner.find("@"))
      inner.replace(k, 1, at);
    for (std::size_t k = inner.find("$"); k != std::string::npos; k = inner.find("$"))
      inner.replace(k, 1, ind);
    return text + inner + (e.count > 1 ? "  }\n" : "");
  };
  t += side(s.in, "$const " + s.in_type + " in = x.read();\n" + unrolled_for("$", "c", s.in.width) +
                      "$  values[@] = in.data[c];\n$}\n");
  t += side(s.out, "$" + s.out_type + " out;\n" + unrolled_for("$", "c", s.out.width) +
                       "$  out.data[c] = values[@];\n$}\n$y.write(out);\n");
  return t + "}\n";
}

// One window of a convolution as a dense layer: inputs (channel, row, column), the weight
// tensor's order, padded taps included (their zeros add nothing, exactly).
HlsLayer conv_window_kernel(const HlsLayer& l) {
  HlsLayer k = l;
  const Geometry& g = l.geometry;
  const std::int64_t taps = g.channels * g.kernel_size();
  k.in_shape = Shape{g.channels};
  for (int d = 2 - g.dims; d < 2; ++d) k.in_shape.push_back(g.kernel[d]);
  k.out_shape = Shape{g.filters};
  k.in_size = taps;
  k.out_size = g.filters;
  k.geometry = Geometry{};
  k.geometry.channels = taps;
  k.geometry.filters = g.filters;
  k.products.clear();
  k.products_per_out.assign(static_cast<std::size_t>(g.filters), 0);
  k.dense_products = g.filters * taps;
  for (std::size_t n = 0; n < l.nonzero_index.size(); ++n) {
    const std::int64_t f = l.nonzero_index[n] / taps;
    k.products.push_back({static_cast<std::int32_t>(f),
                          static_cast<std::int32_t>(l.nonzero_index[n] % taps),
                          static_cast<std::int32_t>(n)});
    ++k.products_per_out[static_cast<std::size_t>(f)];
  }
  return k;
}

// One window of a pool: a pool whose input is the window (channels first).
HlsLayer pool_window_kernel(const HlsLayer& l) {
  HlsLayer k = l;
  const Geometry& g = l.geometry;
  k.in_shape = Shape{g.channels};
  for (int d = 2 - g.dims; d < 2; ++d) k.in_shape.push_back(g.kernel[d]);
  k.out_shape = Shape{g.channels};
  k.in_size = g.channels * g.kernel_size();
  k.out_size = g.channels;
  for (int d = 0; d < 2; ++d) {
    k.geometry.in[d] = g.kernel[d];
    k.geometry.out[d] = 1;
  }
  return k;
}

// Activations and batch norm on one element.
HlsLayer element_kernel(const HlsLayer& l) {
  HlsLayer k = l;
  const Elements e = elements_of(l.in_shape);
  k.in_shape = k.out_shape = Shape{e.width};
  k.in_size = k.out_size = e.width;
  k.plane = 1;
  return k;
}

}  // namespace

HlsModel stream_kernels(const HlsModel& model) {
  HlsModel kernels = model;
  for (HlsLayer& l : kernels.layers) {
    if (l.passthrough || l.kind == LayerKind::kDense || is_global_pool(l)) continue;
    if (l.is_linear()) {
      l = conv_window_kernel(l);
    } else if (l.is_pool()) {
      l = pool_window_kernel(l);
    } else {
      l = element_kernel(l);
    }
  }
  return kernels;
}

std::string stream_defines(const HlsModel& model) {
  const Shape input_shape =
      model.layers.empty() ? Shape{model.input_size} : model.layers.front().in_shape;
  const Shape output_shape =
      model.layers.empty() ? Shape{model.output_size} : model.layers.back().out_shape;
  const Elements in = elements_of(input_shape);
  const Elements out = elements_of(output_shape);
  std::string s =
      "// io_stream: one stream element per position holding its channels (a vector is one\n"
      "// element), positions in row-major order.\n#include \"hls_stream.h\"\n\n";
  s += "#define N_INPUT_ELEMENTS " + str(in.count) + "\n";
  s += "#define INPUT_ELEMENT_SIZE " + str(in.width) + "\n";
  s += "#define N_OUTPUT_ELEMENTS " + str(out.count) + "\n";
  s += "#define OUTPUT_ELEMENT_SIZE " + str(out.width) + "\n\n";
  s += "template <class T, int N>\nstruct hlslim_array {\n  T data[N];\n};\n\n";
  s += "typedef hlslim_array<input_t, INPUT_ELEMENT_SIZE> input_stream_t;\n";
  const std::vector<StreamStep> steps = stream_steps(model, model);
  std::string last = "input_stream_t";
  for (const StreamStep& st : steps) {
    if (st.op == Op::kNone) continue;
    s += "typedef hlslim_array<" + st.value_type + ", " + str(st.out.width) + "> " + st.out_type +
         ";  // " + str(st.out.count) + " per event\n";
    last = st.out_type;
  }
  return s + "typedef " + last + " output_stream_t;\n\n";
}

std::string stream_top_header(const HlsModel& model, const HlsProjectOptions& options) {
  std::string s = "// " + options.project +
                  ": the top function.\n// Generated by hlslim from model '" + model.name +
                  "'; regenerate rather than edit.\n";
  const std::string g = upper(options.project) + "_H_";
  s += "#ifndef " + g + "\n#define " + g + "\n\n#include \"defines.h\"\n\n";
  s += "// One event: N_INPUT_ELEMENTS input elements of INPUT_ELEMENT_SIZE values (position p,\n"
       "// channel c holds the model's channels-first input c * N_INPUT_ELEMENTS + p), then\n"
       "// N_OUTPUT_ELEMENTS output elements in the same layout. io_stream: AXI streams.\n";
  s += "void " + options.project +
       "(hls::stream<input_stream_t>& input, hls::stream<output_stream_t>& output);\n";
  return s + "\n#endif\n";
}

std::string stream_top_source(const HlsModel& model, const HlsModel& kernels,
                              const HlsProjectOptions& options) {
  std::string s = "// " + options.project +
                  ": the layers and the top function.\n// Generated by hlslim from model '" +
                  model.name + "'; regenerate rather than edit.\n";
  s += "// io_stream: each layer is a process of a DATAFLOW region, connected by hls::stream\n"
       "// FIFOs. A process calls its layer's kernel (the io_parallel arithmetic for one element\n"
       "// or one window) on every element or window of the event.\n";
  s += "#include \"" + options.project + ".h\"\n#include \"parameters.h\"\n\n";
  const std::vector<StreamStep> steps = stream_steps(model, kernels);
  for (const StreamStep& st : steps) {
    switch (st.op) {
      case Op::kNone:
        continue;
      case Op::kRepack:
        s += repack_process(st) + "\n";
        continue;
      case Op::kGlobal:
        s += global_process(st) + "\n";
        continue;
      case Op::kElement:
        s += layer_function(kernels, *st.kernel) + "\n" + element_process(st) + "\n";
        continue;
      case Op::kWindow:
        s += layer_function(kernels, *st.kernel) + "\n" + window_process(st) + "\n";
        continue;
    }
  }
  s += "void " + options.project +
       "(hls::stream<input_stream_t>& input, hls::stream<output_stream_t>& output) {\n";
  s += "#pragma HLS INTERFACE axis port=input,output\n#pragma HLS DATAFLOW\n\n";
  bool wrote = false;
  for (const StreamStep& st : steps) {
    if (st.op == Op::kNone) {
      s += "  // " + st.layer->cname + ": " + layer_kind_name(st.layer->kind) + " " +
           shape_str(st.layer->in_shape) + " -> " + shape_str(st.layer->out_shape) +
           ", the same stream (" + st.in_var + ")\n";
      continue;
    }
    if (st.out_var != "output") {
      // Depth: every element of the event, as hls4ml writes by default; a chain of processes
      // cannot deadlock at any depth, smaller FIFOs only cost throughput.
      s += "  hls::stream<" + st.out_type + "> " + st.out_var + "(\"" + st.out_var + "\");\n";
      s += "#pragma HLS STREAM variable=" + st.out_var + " depth=" + str(st.out.count) + "\n";
    }
    const WeightArgs a = weight_args(*st.kernel);
    s += "  " + st.layer->cname + "_stream(" + st.in_var + ", " + st.out_var + a.outer + ");\n";
    wrote = true;
  }
  if (!wrote) {
    s += "  for (int p = 0; p < N_INPUT_ELEMENTS; p++) {\n#pragma HLS PIPELINE II=1\n";
    s += "    output.write(input.read());\n  }\n";
  }
  return s + "}\n";
}

std::string stream_testbench(const std::string& parallel, const HlsProjectOptions& options) {
  const std::string call =
      "    input_t input[N_INPUT];\n"
      "    for (int i = 0; i < N_INPUT; i++) input[i] = static_cast<float>(x[i]);\n"
      "    result_t output[N_OUTPUT];\n    " +
      options.project + "(input, output);\n";
  const std::string stream = R"(    // io_stream: position p, channel c is the channels-first value
    // c * N_INPUT_ELEMENTS + p.
    hls::stream<input_stream_t> input("input");
    for (int p = 0; p < N_INPUT_ELEMENTS; p++) {
      input_stream_t element;
      for (int c = 0; c < INPUT_ELEMENT_SIZE; c++) {
        element.data[c] = static_cast<float>(x[c * N_INPUT_ELEMENTS + p]);
      }
      input.write(element);
    }
    hls::stream<output_stream_t> output_stream("output");
    )" + options.project + R"((input, output_stream);
    result_t output[N_OUTPUT];
    for (int p = 0; p < N_OUTPUT_ELEMENTS; p++) {
      if (output_stream.empty()) {
        std::printf("FAIL: event %ld: %d output elements expected, %d written\n", events,
                    N_OUTPUT_ELEMENTS, p);
        return 1;
      }
      const output_stream_t element = output_stream.read();
      for (int c = 0; c < OUTPUT_ELEMENT_SIZE; c++) {
        output[c * N_OUTPUT_ELEMENTS + p] = element.data[c];
      }
    }
    if (!input.empty() || !output_stream.empty()) {
      std::printf("FAIL: event %ld: input elements left unread or too many output elements\n",
                  events);
      return 1;
    }
)";
  std::string text = parallel;
  const std::size_t at = text.find(call);
  if (at == std::string::npos) throw Error("internal: the testbench has no io_parallel call");
  return text.replace(at, call.size(), stream);
}

}  // namespace hlslim::hls_detail
