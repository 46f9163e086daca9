// Resource and latency estimates of the generated io_parallel design (docs/estimates.md).

#include "hlslim/export/estimates.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "estimates_detail.hpp"
#include "hls_project_model.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using hls_detail::HlsLayer;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

int ceil_log2(std::int64_t n) {
  int bits = 0;
  while ((std::int64_t{1} << bits) < n) ++bits;
  return bits;
}

// Canonical signed digits of |v|: how many nonzero digits, and the distance between the
// highest and the lowest (a constant multiplication by v is digits - 1 shifted additions).
struct Csd {
  int digits = 0;
  int span = 0;
};

Csd csd(std::int64_t v) {
  unsigned __int128 n = static_cast<unsigned __int128>(v < 0 ? -static_cast<__int128>(v) : v);
  Csd c;
  int position = 0, lowest = -1, highest = 0;
  while (n != 0) {
    if ((n & 1) != 0) {
      const bool minus = (n & 3) == 3;  // ...11: digit -1, carry up
      n = minus ? n + 1 : n - 1;
      ++c.digits;
      if (lowest < 0) lowest = position;
      highest = position;
    }
    n >>= 1;
    ++position;
  }
  c.span = lowest < 0 ? 0 : highest - lowest;
  return c;
}

// Bits of a type as a signed multiplier operand.
int signed_bits(const FixedType& t) {
  return t.width + (t.is_signed ? 0 : 1);
}

// DSP blocks for one product, the operands oriented to use the fewest.
std::int64_t dsp_tiles(int a, int b, const FpgaPart& part) {
  const std::int64_t one = ceil_div(a, part.dsp_a_bits) * ceil_div(b, part.dsp_b_bits);
  const std::int64_t other = ceil_div(b, part.dsp_a_bits) * ceil_div(a, part.dsp_b_bits);
  return std::min(one, other);
}

// Precision lost when `from_fraction` bits go into `to`: a rounding adder unless truncating.
bool rounds(int from_fraction, const FixedType& to) {
  return from_fraction > to.fraction_bits() && to.quant != QuantMode::kTrn;
}

bool saturates(const FixedType& t) {
  return t.overflow != OverflowMode::kWrap;
}

// The critical path, cycle by cycle: operations chain within a cycle while they fit in the
// clock period less its uncertainty; a longer one spans cycles; DSP stages are registers.
class Schedule {
 public:
  explicit Schedule(double usable_ns) : usable_(usable_ns) {}
  void chain(double ns) {
    if (ns <= 0) return;
    path_ += ns;
    if (used_ > 0 && used_ + ns > usable_) {
      ++cycles_;
      used_ = 0;
    }
    used_ += ns;
    while (used_ > usable_) {
      ++cycles_;
      used_ -= usable_;
    }
  }
  void registers(int stages) {
    cycles_ += stages;
    used_ = 0;
  }
  std::int64_t cycles() const { return cycles_; }
  /// Closes the last, partly used cycle (the output register).
  void finish() {
    if (used_ > 0) ++cycles_;
    used_ = 0;
  }
  double path() const { return path_; }

 private:
  double usable_;
  double used_ = 0;
  double path_ = 0;
  std::int64_t cycles_ = 0;
};

struct Context {
  const EstimateModel& k;
  const FpgaPart& part;
  double add_ns(int bits) const { return k.adder_ns + k.adder_ns_per_bit * bits; }
};

// The products of a layer: DSP register stages, or (EstimateModel::dsp_ns > 0) the slower of
// a DSP's combinational delay and the slowest LUT multiplication.
void multiply_path(const Context& c, Schedule& s, bool any_dsp, double slowest_lut_ns) {
  if (any_dsp && c.k.dsp_ns <= 0) {
    s.registers(c.k.dsp_cycles);
  } else {
    s.chain(std::max(any_dsp ? c.k.dsp_ns : 0.0, slowest_lut_ns));
  }
}

// A sum of `terms` values of `acc` bits: a balanced tree under WRAP (HLS may reassociate
// modular additions), a chain with a saturation after each addition otherwise.
void sum_path(const Context& c, Schedule& s, std::int64_t terms, const FixedType& acc) {
  if (terms <= 1) return;
  if (!saturates(acc)) {
    for (int level = 0; level < ceil_log2(terms); ++level) s.chain(c.add_ns(acc.width));
    return;
  }
  for (std::int64_t i = 1; i < terms; ++i) s.chain(c.add_ns(acc.width) + c.k.mux_ns);
}

// Assigning a value of `from_fraction` fraction bits to `to`: rounding adder, saturation.
void convert_path(const Context& c, Schedule& s, int from_fraction, const FixedType& to,
                  LayerEstimate* e, std::int64_t values) {
  if (rounds(from_fraction, to)) {
    s.chain(c.add_ns(to.width));
    if (e) e->lut += values * to.width;
  }
  if (saturates(to)) {
    s.chain(c.k.mux_ns);
    if (e) e->lut += values * to.width;
  }
}

// An adder graph per output position (docs/estimates.md, "Adder graphs"): each adder as wide
// as its result less the low bits that pass through, one more per output that adds a nonzero
// bias or negates its sum (the accumulator's width); the critical path is the slowest chain
// of adders to an output.
void linear_adder_graph(const Context& c, const HlsLayer& l, Schedule& s, LayerEstimate& e) {
  const FixedType& acc = *l.precision.accum;
  const hls_detail::AdderGraph& g = l.graph;
  const auto inputs = static_cast<std::size_t>(g.inputs);
  const std::int64_t positions = std::max<std::int64_t>(1, l.geometry.out_plane());
  std::int64_t graph_lut = 0;
  std::vector<double> arrival(g.lo.size(), 0.0);
  std::vector<int> from(g.lo.size(), -1);  // the later operand: the critical path back
  for (std::size_t k = 0; k < g.adders.size(); ++k) {
    const hls_detail::AdderGraph::Adder& a = g.adders[k];
    const int width = g.adder_width(k);
    graph_lut += width;
    const double ta = arrival[static_cast<std::size_t>(a.a)];
    const double tb = arrival[static_cast<std::size_t>(a.b)];
    arrival[inputs + k] = std::max(ta, tb) + c.add_ns(width);
    from[inputs + k] = ta >= tb ? a.a : a.b;
  }
  std::int64_t finals = 0;
  std::int64_t depth = 0;
  double slowest = -1;
  int critical = -1;
  bool critical_final = false;
  for (std::size_t o = 0; o < g.outputs.size(); ++o) {
    const hls_detail::AdderGraph::Output& out = g.outputs[o];
    if (out.signal < 0) continue;
    const bool final_add = (l.has_bias && l.bias_acc[o] != 0) || out.negative;
    finals += final_add ? 1 : 0;
    const auto id = static_cast<std::size_t>(out.signal);
    depth = std::max<std::int64_t>(depth, g.depth[id] + (final_add ? 1 : 0));
    const double t = arrival[id] + (final_add ? c.add_ns(acc.width) : 0.0);
    if (t > slowest) {
      slowest = t;
      critical = out.signal;
      critical_final = final_add;
    }
  }
  e.multiplication = "adder_graph";
  e.adders = positions * (static_cast<std::int64_t>(g.adders.size()) + finals);
  e.adder_lut = positions * (graph_lut + finals * acc.width);
  e.adder_depth = depth;
  e.lut += e.adder_lut;
  std::vector<int> path;
  for (int signal = critical; signal >= g.inputs; signal = from[static_cast<std::size_t>(signal)])
    path.push_back(signal);
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    s.chain(c.add_ns(g.adder_width(static_cast<std::size_t>(*it - g.inputs))));
  if (critical_final) s.chain(c.add_ns(acc.width));
  convert_path(c, s, acc.fraction_bits(), l.out_type, &e, l.out_size);
}

void linear(const Context& c, const HlsLayer& l, Schedule& s, LayerEstimate& e) {
  if (l.adder_graph) {
    linear_adder_graph(c, l, s, e);
    return;
  }
  const FixedType& w = *l.precision.weight;
  const FixedType& acc = *l.precision.accum;
  const FixedType& x = l.in_type;
  const int product_fraction = w.fraction_bits() + x.fraction_bits();
  const bool dsp = std::min(w.width, x.width) >= c.k.dsp_min_bits;
  const std::int64_t tiles = dsp_tiles(signed_bits(w), signed_bits(x), c.part);
  const std::int64_t bias = l.has_bias ? 1 : 0;
  std::int64_t most_terms = 0;
  for (std::int32_t n : l.products_per_out) most_terms = std::max<std::int64_t>(most_terms, n);
  const std::int64_t rf = l.reuse_factor;
  double slowest_mult = 0;
  if (rf == 1) {
    // Constants: powers of two are wiring, others shift-and-add in LUTs or a DSP each.
    std::vector<std::int64_t> uses(l.nonzero_raws.size(), 0);
    for (const hls_detail::Product& p : l.products) ++uses[static_cast<std::size_t>(p.weight)];
    for (std::size_t i = 0; i < uses.size(); ++i) {
      const Csd d = csd(l.nonzero_raws[i]);
      if (d.digits <= 1) {
        e.shift_multiplies += uses[i];
      } else if (dsp && d.digits >= c.k.dsp_min_csd_digits) {
        e.dsp_multipliers += uses[i];
        e.dsp += uses[i] * tiles;
      } else {
        e.lut_multipliers += uses[i];
        e.lut += uses[i] * (d.digits - 1) * (x.width + d.span);
        if (uses[i] > 0)
          slowest_mult = std::max(slowest_mult, ceil_log2(d.digits) * c.add_ns(x.width + d.span));
      }
    }
    e.multipliers = e.dsp_multipliers + e.lut_multipliers;
    // Accumulation: terms - 1 adders per output (a nonzero bias is the first term; HLS drops
    // an addition of the constant 0).
    std::int64_t adds = 0;
    const std::int64_t plane = std::max<std::int64_t>(1, l.geometry.out_plane());
    for (std::size_t o = 0; o < l.products_per_out.size(); ++o) {
      const std::size_t filter = o / static_cast<std::size_t>(plane);
      const bool nonzero_bias = bias && filter < l.biases.size() && l.biases[filter] != 0;
      adds += std::max<std::int64_t>(0, l.products_per_out[o] + (nonzero_bias ? 1 : 0) - 1);
    }
    e.lut += adds * acc.width * (saturates(acc) ? 2 : 1);
    if (rounds(product_fraction, acc))
      e.lut += static_cast<std::int64_t>(l.products.size()) * acc.width;
  } else {
    e.multipliers = ceil_div(l.dense_products, rf);
    (dsp ? e.dsp_multipliers : e.lut_multipliers) = e.multipliers;
    if (dsp) {
      e.dsp = e.multipliers * tiles;
    } else {
      e.lut += e.multipliers * w.width * x.width;
      slowest_mult = ceil_log2(std::min(w.width, x.width)) * c.add_ns(w.width + x.width);
    }
    // Operand selection (RF:1 multiplexers of LUT6 = 4:1) and one accumulating adder each.
    e.lut += e.multipliers * x.width * ceil_div(rf - 1, 3);
    e.lut += e.multipliers * acc.width * (saturates(acc) ? 2 : 1);
    if (rounds(product_fraction, acc)) e.lut += e.multipliers * acc.width;
    // The weights: a ROM rf deep and block weights wide, read once per cycle; block RAM from
    // hls_detail::kBramMinDepth on (the generated code binds it so), else LUT RAM of 64 x 1
    // per LUT.
    const std::int64_t block = ceil_div(static_cast<std::int64_t>(l.weights.size()), rf);
    if (rf >= hls_detail::kBramMinDepth) {
      e.bram_18k = ceil_div(block * w.width, c.k.bram_width) * ceil_div(rf, c.k.bram_depth);
    } else {
      e.lut += block * w.width * ceil_div(rf, 64);
    }
    e.ff += l.out_size * acc.width + l.in_size * x.width + e.multipliers * (w.width + x.width);
    s.registers(static_cast<int>(rf - 1));
    most_terms = ceil_div(most_terms, rf) + 1;  // per cycle: the block plus the running sum
  }
  multiply_path(c, s, e.dsp_multipliers > 0, slowest_mult);
  if (rounds(product_fraction, acc)) s.chain(c.add_ns(acc.width));
  sum_path(c, s, most_terms + (rf == 1 ? bias : 0), acc);
  convert_path(c, s, acc.fraction_bits(), l.out_type, &e, l.out_size);
}

void other(const Context& c, const HlsLayer& l, Schedule& s, LayerEstimate& e) {
  const FixedType& x = l.in_type;
  const FixedType& y = l.out_type;
  switch (l.kind) {
    case LayerKind::kRelu:
      s.chain(c.k.mux_ns);
      e.lut += std::llround(static_cast<double>(l.out_size * y.width) * c.k.relu_luts_per_bit);
      convert_path(c, s, x.fraction_bits(), y, &e, l.out_size);
      return;
    case LayerKind::kLeakyRelu:
    case LayerKind::kBatchNorm: {
      const FixedType& w = *l.precision.weight;
      const std::vector<std::int64_t> constants =
          l.kind == LayerKind::kLeakyRelu ? std::vector<std::int64_t>{l.alpha} : l.scale;
      const std::int64_t per = l.kind == LayerKind::kLeakyRelu ? l.in_size : l.plane;
      double slowest = 0;
      for (std::int64_t k : constants) {
        const Csd d = csd(k);
        if (d.digits <= 1) {
          e.shift_multiplies += per;
        } else if (std::min(w.width, x.width) >= c.k.dsp_min_bits &&
                   d.digits >= c.k.dsp_min_csd_digits) {
          e.dsp_multipliers += per;
          e.dsp += per * dsp_tiles(signed_bits(w), signed_bits(x), c.part);
        } else {
          e.lut_multipliers += per;
          e.lut += per * (d.digits - 1) * (x.width + d.span);
          slowest = std::max(slowest, ceil_log2(d.digits) * c.add_ns(x.width + d.span));
        }
      }
      e.multiplies = l.in_size;
      e.multipliers = e.dsp_multipliers + e.lut_multipliers;
      e.weight_bits = w.width;
      e.bops = static_cast<double>(l.in_size) * w.width * x.width;
      multiply_path(c, s, e.dsp_multipliers > 0, slowest);
      const int fraction = w.fraction_bits() + x.fraction_bits();
      if (l.kind == LayerKind::kBatchNorm) {
        const int bits = std::max(w.width + x.width, l.precision.bias->width) + 1;
        s.chain(c.add_ns(bits));
        e.lut += l.out_size * bits;
        convert_path(c, s, std::max(fraction, l.precision.bias->fraction_bits()), y, &e,
                     l.out_size);
      } else if (l.alpha == (std::int64_t{1} << w.fraction_bits())) {
        convert_path(c, s, fraction, y, &e, l.out_size);  // slope 1: both branches are x
      } else {
        s.chain(c.k.mux_ns);
        e.lut += l.out_size * y.width;
        convert_path(c, s, fraction, y, &e, l.out_size);
      }
      return;
    }
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
      break;  // below
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kDropout:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      throw Error("layer '" + l.layer->name + "': no estimate for a " + layer_kind_name(l.kind) +
                  " layer outside the linear and passthrough paths");
  }
  // Pools: a comparison tree, or a sum and an exact shift.
  const std::int64_t window = l.geometry.kernel_size();
  if (l.is_average_pool()) {
    const FixedType& acc = *l.precision.accum;
    sum_path(c, s, window, acc);
    e.lut += l.out_size * (window - 1) * acc.width * (saturates(acc) ? 2 : 1);
    convert_path(c, s, acc.fraction_bits() + l.pool_shift, y, &e, l.out_size);
  } else {
    for (int level = 0; level < ceil_log2(window); ++level) s.chain(c.add_ns(x.width) + c.k.mux_ns);
    e.lut += l.out_size * (window - 1) * 2 * x.width;
    convert_path(c, s, x.fraction_bits(), y, &e, l.out_size);
  }
}

}  // namespace

namespace estimate_detail {

ModelEstimate estimate_unrolled(const Graph& graph, const hls_detail::HlsModel& model,
                                const HlsProjectOptions& options, const EstimateModel& constants,
                                bool register_outputs) {
  ModelEstimate m;
  m.model = graph.name;
  m.device = fpga_part(options.part);
  m.clock_period_ns = options.clock_period_ns;
  m.constants = constants;
  m.initiation_interval = model.max_reuse_factor;
  const Context c{constants, m.device};
  Schedule s(options.clock_period_ns * (1 - constants.clock_uncertainty));
  std::size_t last = model.layers.size();  // the last computing layer
  for (const HlsLayer& l : model.layers) {
    LayerEstimate e;
    e.name = l.layer->name;
    e.type = layer_kind_name(l.kind);
    e.input_bits = l.in_type.width;
    e.reuse_factor = l.reuse_factor;
    const std::int64_t start = s.cycles();
    const double start_path = s.path();
    if (l.is_linear()) {
      e.multiplies = static_cast<std::int64_t>(l.products.size());
      e.nonzero_weights = static_cast<std::int64_t>(l.nonzero_raws.size());
      e.weights = static_cast<std::int64_t>(l.weights.size());
      e.weight_bits = l.precision.weight->width;
      // BOPs (Baskin et al., as used by Hawks et al. 2021): per output of n = C k^2 terms,
      // (1 - f_pruned) n b_a b_w + n (b_a + b_w + log2 n).
      const double n_terms = static_cast<double>(l.geometry.channels * l.geometry.kernel_size());
      e.bops = static_cast<double>(e.multiplies) * e.weight_bits * e.input_bits +
               static_cast<double>(l.dense_products) *
                   (e.weight_bits + e.input_bits + std::log2(std::max(1.0, n_terms)));
      linear(c, l, s, e);
    } else if (!l.passthrough) {
      other(c, l, s, e);
    }
    // Registers between cycles: the layer's outputs at every cycle boundary it spans.
    const std::int64_t cycles = s.cycles() - start;
    const int held = l.is_linear() ? l.precision.accum->width : l.out_type.width;
    if (l.reuse_factor == 1) e.ff += cycles * l.out_size * held;
    e.latency_cycles = cycles;
    e.path_ns = s.path() - start_path;
    m.layers.push_back(e);
    if (!l.passthrough) last = m.layers.size() - 1;
  }
  // Registered outputs: the last, partly used cycle counts.
  const std::int64_t before = s.cycles();
  if (register_outputs) s.finish();
  if (last < m.layers.size()) {
    m.layers[last].latency_cycles += s.cycles() - before;
    m.layers[last].ff += (s.cycles() - before) * model.output_size * model.output_type.width;
  }
  for (const LayerEstimate& e : m.layers) {
    m.multiplies += e.multiplies;
    m.nonzero_weights += e.nonzero_weights;
    m.weights += e.weights;
    m.multipliers += e.multipliers;
    m.dsp += e.dsp;
    m.lut += e.lut;
    m.ff += e.ff;
    m.bram_18k += e.bram_18k;
    m.bops += e.bops;
    m.latency_cycles += e.latency_cycles;
  }
  m.latency_ns = static_cast<double>(m.latency_cycles) * options.clock_period_ns;
  return m;
}

}  // namespace estimate_detail

ModelEstimate estimate_resources(const Graph& graph, const HlsProjectOptions& options,
                                 const EstimateModel& constants) {
  // A trailing softmax is not in the firmware (engine/firmware.hpp).
  if (ends_in_softmax(graph)) return estimate_resources(firmware_graph(graph), options, constants);
  if (options.io_type == "io_stream") {
    // The streaming project has hls4ml's io_stream structure: one pixel per step through line
    // buffers, the layers a dataflow pipeline.
    Hls4mlEstimateOptions io;
    io.io_type = "io_stream";
    ModelEstimate m = estimate_hls4ml(graph, options, io, constants);
    m.design = "hlslim io_stream";
    return m;
  }
  const hls_detail::HlsModel model = hls_detail::build_hls_model(graph, options);
  ModelEstimate m = estimate_detail::estimate_unrolled(graph, model, options, constants, true);
  m.design = "hlslim io_parallel";
  m.multiplication = options.multiplication;
  if (options.multiplication == "adder_graph") {
    for (const HlsLayer& l : model.layers) {
      if (!l.adder_graph_note.empty()) m.notes.push_back(l.adder_graph_note);
    }
    HlsProjectOptions csd = options;
    csd.multiplication = "csd";
    const ModelEstimate other = estimate_detail::estimate_unrolled(
        graph, hls_detail::build_hls_model(graph, csd), csd, constants, true);
    m.csd_lut = other.lut;
    m.csd_latency_cycles = other.latency_cycles;
  }
  return m;
}

}  // namespace hlslim
