// Estimates of the design hls4ml builds from the exported configuration (docs/estimates.md,
// "hls4ml's design"): the fully unrolled estimate of each layer, rescaled to the positions
// hls4ml computes at once, with the loops, line buffers and streams around them.

#include <algorithm>
#include <cmath>
#include <optional>

#include "estimates_detail.hpp"
#include "hls_project_model.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using hls_detail::HlsLayer;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

bool is_conv(const HlsLayer& l) {
  return l.kind == LayerKind::kConv1d || l.kind == LayerKind::kConv2d;
}

// Positions of a layer's input: the pixels of an image ([C, L] or [C, H, W]), else 1 (a
// vector is one stream word).
std::int64_t input_positions(const HlsLayer& l) {
  std::int64_t positions = 1;
  for (std::size_t d = 1; d < l.in_shape.size(); ++d) positions *= l.in_shape[d];
  return positions;
}

// Values of one stream word of a layer's input: a pixel's channels, or the whole vector.
std::int64_t input_word(const HlsLayer& l) {
  return l.in_size / input_positions(l);
}

// Scales the multiplier and logic figures of a fully unrolled layer to `part` of it (weights
// and their memory stay: every position shares them).
void scale(LayerEstimate& e, double part) {
  const auto times = [part](std::int64_t v) {
    return static_cast<std::int64_t>(std::llround(static_cast<double>(v) * part));
  };
  e.multipliers = times(e.multipliers);
  e.shift_multiplies = times(e.shift_multiplies);
  e.dsp_multipliers = times(e.dsp_multipliers);
  e.lut_multipliers = times(e.lut_multipliers);
  e.dsp = times(e.dsp);
  e.lut = times(e.lut);
  e.ff = times(e.ff);
}

// A line buffer of `rows` rows of an image `width` positions wide, `channels` x `bits` each:
// shift registers in LUTs (SRL32: 32 positions per LUT and bit).
std::int64_t line_buffer_luts(std::int64_t rows, std::int64_t width, std::int64_t channels,
                              int bits) {
  return rows * channels * bits * ceil_div(width, 32);
}

}  // namespace

EstimateModel hls4ml_estimate_model() {
  EstimateModel k;
  k.dsp_ns = 2.0;
  k.dsp_min_csd_digits = 3;
  k.stream_cycles = 1;
  k.relu_luts_per_bit = 2.75;
  return k;
}

ModelEstimate estimate_hls4ml(const Graph& graph, const HlsProjectOptions& options,
                              const Hls4mlEstimateOptions& io, const EstimateModel& constants) {
  // A trailing softmax is not in the firmware (engine/firmware.hpp).
  if (ends_in_softmax(graph)) return estimate_hls4ml(firmware_graph(graph), options, io, constants);
  const bool stream = io.io_type == "io_stream";
  if (!stream && io.io_type != "io_parallel") {
    throw Error("estimate of hls4ml's design: unknown io_type '" + io.io_type +
                    "' (io_parallel, io_stream)",
                kExitConfig);
  }
  if (io.strategy != "Latency" && io.strategy != "Resource") {
    throw Error(
        "estimate of hls4ml's design: unknown strategy '" + io.strategy + "' (Latency, Resource)",
        kExitConfig);
  }
  if (io.tool != "Vitis" && io.tool != "Vivado") {
    throw Error("estimate of hls4ml's design: unknown tool '" + io.tool + "' (Vitis, Vivado)",
                kExitConfig);
  }
  HlsProjectOptions unrolled = options;
  unrolled.io_type = "io_parallel";
  unrolled.multiplication = "csd";  // hls4ml builds its own products
  const hls_detail::HlsModel model = hls_detail::build_hls_model(graph, unrolled);
  ModelEstimate m = estimate_detail::estimate_unrolled(graph, model, unrolled, constants, false);
  m.design = stream ? "hls4ml io_stream" : "hls4ml io_parallel";

  // hls4ml's top is one pipeline (PipelineStyle auto) unless a layer needs dataflow: io_stream,
  // the Resource strategy, a convolution computed in several partitions.
  bool dataflow = stream || io.strategy == "Resource";
  std::int64_t longest_span = 0;  // io_stream: the longest pixel loop, which the layers overlap
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const HlsLayer& l = model.layers[i];
    LayerEstimate& e = m.layers[i];
    e.initiation_interval = l.reuse_factor;
    if (l.passthrough) continue;
    const std::int64_t depth = e.latency_cycles;
    const hls_detail::Geometry& g = l.geometry;
    if (is_conv(l)) {
      const std::int64_t positions = g.out_plane();
      const std::int64_t n_in = g.channels * g.kernel_size();
      if (!stream) {
        e.parallelization_factor = layer_parallelization_factor(graph, *l.layer);
        const std::int64_t partitions = positions / e.parallelization_factor;
        if (partitions > 1) {
          dataflow = true;
          scale(e, static_cast<double>(e.parallelization_factor) / positions);
          // fill_buffer: each of PF x n_in operands selects among the partitions' inputs. The
          // results are held until the last partition, each written at a loop-variable index
          // into a partitioned array: a select per bit.
          e.lut += e.parallelization_factor * n_in * l.in_type.width * ceil_div(partitions - 1, 3);
          e.lut += l.out_size * l.out_type.width;
          e.ff += l.out_size * l.out_type.width;
          e.initiation_interval = partitions * l.reuse_factor;
          e.latency_cycles = (partitions - 1) * l.reuse_factor + std::max<std::int64_t>(depth, 1);
        }
      } else {
        e.parallelization_factor = 1;
        scale(e, 1.0 / positions);
        const std::int64_t rows = g.dims == 2 ? g.kernel[0] - 1 : 0;
        e.lut += line_buffer_luts(rows, g.in[1], g.channels, l.in_type.width);
        e.ff += n_in * l.in_type.width;  // the window
        e.initiation_interval = g.in_plane() * l.reuse_factor;
        e.latency_cycles = depth + constants.stream_cycles;
        longest_span = std::max(longest_span, e.initiation_interval);
      }
    } else if (stream && l.is_pool()) {
      const std::int64_t positions = g.out_plane();
      scale(e, 1.0 / positions);
      const std::int64_t rows = g.dims == 2 ? g.kernel[0] - 1 : 0;
      e.lut += line_buffer_luts(rows, g.in[1], g.channels, l.in_type.width);
      e.ff += g.kernel_size() * g.channels * l.in_type.width;
      e.initiation_interval = g.in_plane();
      e.latency_cycles = depth + constants.stream_cycles;
      longest_span = std::max(longest_span, e.initiation_interval);
    } else if (stream) {
      // Element-wise and dense layers read one stream word: a pixel's channels, or the whole
      // (flattened) vector.
      const std::int64_t plane = input_positions(l);
      if (plane > 1) {
        scale(e, 1.0 / plane);
        e.initiation_interval = plane * l.reuse_factor;
        longest_span = std::max(longest_span, e.initiation_interval);
      }
      e.latency_cycles = depth + constants.stream_cycles;
    }
  }

  // Registers at the edges: hls4ml's io_parallel top registers its inputs. io_stream keeps
  // each stream between two layers in a FIFO as deep as the positions of an event (hls4ml's
  // default depth). Vitis HLS keeps a stream word in one FIFO: up to 2 words in registers with
  // a read select (the published Vitis dense rows: 2 x 1,024 + 16 FF), deeper ones in shift
  // registers (SRL32), from kBramMinDepth on in block RAM. Vivado HLS splits a word (hls4ml's
  // array struct) into one FIFO per value, each a shift register with its own control: 5 FF
  // and width + 12 LUTs (the published Vivado 2020.1 report lists 5 FF and 28 LUT per 16-bit
  // FIFO; its dense rows 326 FF = 64 x 5 + 6).
  if (!stream) {
    m.layers.front().ff += model.input_size * model.input_type.width;
  } else {
    for (std::size_t i = 0; i + 1 < model.layers.size(); ++i) {
      const HlsLayer& l = model.layers[i];
      if (l.passthrough) continue;
      const HlsLayer& next = model.layers[i + 1];
      const std::int64_t word_bits = input_word(next) * l.out_type.width;
      const std::int64_t depth = input_positions(next);
      LayerEstimate& e = m.layers[i];
      if (io.tool == "Vivado" && depth < hls_detail::kBramMinDepth) {
        const std::int64_t values = input_word(next);
        e.ff += values * 5;
        e.lut += values * (l.out_type.width * ceil_div(depth, 32) + 12);
      } else if (depth <= 2) {
        e.ff += 2 * word_bits;
        e.lut += word_bits;
      } else if (depth < hls_detail::kBramMinDepth) {
        e.ff += word_bits;
        e.lut += word_bits * ceil_div(depth, 32);
      } else {
        e.ff += word_bits;
        e.bram_18k +=
            ceil_div(word_bits, constants.bram_width) * ceil_div(depth, constants.bram_depth);
      }
    }
    m.layers.front().ff += input_word(model.layers.front()) * model.input_type.width;
  }

  m.multipliers = m.dsp = m.lut = m.ff = m.bram_18k = m.latency_cycles = 0;
  m.initiation_interval = 1;
  for (const LayerEstimate& e : m.layers) {
    m.multipliers += e.multipliers;
    m.dsp += e.dsp;
    m.lut += e.lut;
    m.ff += e.ff;
    m.bram_18k += e.bram_18k;
    m.latency_cycles += e.latency_cycles;
    m.initiation_interval = std::max(m.initiation_interval, e.initiation_interval);
  }
  // io_stream: the layers overlap; the longest pixel loop counts once, not each layer's.
  if (stream) m.latency_cycles += longest_span;
  if (!dataflow) m.initiation_interval = model.max_reuse_factor;
  m.latency_ns = static_cast<double>(m.latency_cycles) * options.clock_period_ns;
  return m;
}

namespace {

bool meets(const LayerEstimate& e, const ConvTargets& targets) {
  return (targets.latency_cycles <= 0 || e.latency_cycles <= targets.latency_cycles) &&
         (targets.initiation_interval <= 0 || e.initiation_interval <= targets.initiation_interval);
}

std::string target_text(const ConvTargets& targets) {
  std::string text;
  if (targets.latency_cycles > 0)
    text = "latency " + std::to_string(targets.latency_cycles) + " cycles";
  if (targets.initiation_interval > 0) {
    text += (text.empty() ? "" : ", ") + std::string("interval ") +
            std::to_string(targets.initiation_interval) + " cycles";
  }
  return text;
}

}  // namespace

std::vector<ParallelizationChoice> choose_parallelization_factors(Graph& graph,
                                                                  const HlsProjectOptions& options,
                                                                  const Hls4mlEstimateOptions& io,
                                                                  const ConvTargets& targets,
                                                                  const EstimateModel& constants) {
  std::vector<ParallelizationChoice> choices;
  if (targets.latency_cycles <= 0 && targets.initiation_interval <= 0) return choices;
  const std::vector<Shape> shapes = graph.shapes();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    Layer& layer = graph.layers[i];
    const std::optional<std::int64_t> positions = conv_output_positions(layer, shapes[i]);
    if (!positions) continue;
    // A factor the user set wins over the targets.
    if (graph.resolve_attr(layer, "parallelization_factor")) continue;
    ParallelizationChoice c;
    c.layer = layer.name;
    c.positions = *positions;
    c.met = false;
    const auto evaluate = [&]() {
      const ModelEstimate m = estimate_hls4ml(graph, options, io, constants);
      LayerEstimate e = m.layers[i];
      // io_stream: a layer's latency_cycles are its depth (the model's latency counts the
      // longest pixel loop once); on its own it also reads its pixels.
      if (io.io_type == "io_stream") e.latency_cycles += e.initiation_interval;
      c.parallelization_factor = e.parallelization_factor;
      c.reuse_factor = e.reuse_factor;
      c.latency_cycles = e.latency_cycles;
      c.initiation_interval = e.initiation_interval;
      return meets(e, targets);
    };
    if (io.io_type == "io_stream") {
      // A convolution reads one pixel per step whatever the factor: nothing to choose.
      c.met = evaluate();
      if (!c.met) {
        c.note = "layer '" + layer.name +
                 "': io_stream reads its input one pixel per step: " + "latency " +
                 std::to_string(c.latency_cycles) + ", interval " +
                 std::to_string(c.initiation_interval) + " cycles, above the target (" +
                 target_text(targets) + "; io_parallel with a parallelization factor is faster)";
      }
      choices.push_back(c);
      continue;
    }
    // The layer's own reuse factor first, with the smallest factor that meets the targets;
    // lower valid reuse factors only when none does at it: of those, the pair with the fewest
    // multipliers, PF x ceil(n_in x n_out / R) (the larger reuse factor on a tie).
    const AttrMap original = layer.attrs;
    const std::int64_t own_rf = layer_reuse_factor(graph, layer, options);
    const std::optional<ReuseDims> dims = reuse_dims(layer, shapes[i]);
    std::vector<std::int64_t> rfs{own_rf};
    if (dims) {
      std::vector<std::int64_t> valid = valid_reuse_factors(dims->n_in, dims->n_out);
      for (auto it = valid.rbegin(); it != valid.rend(); ++it)
        if (*it < own_rf) rfs.push_back(*it);
    }
    const auto smallest_factor = [&](std::int64_t rf) -> std::optional<std::int64_t> {
      if (rf != own_rf) layer.attrs["reuse_factor"] = rf;
      for (std::int64_t pf : valid_parallelization_factors(*positions)) {
        layer.attrs["parallelization_factor"] = pf;
        if (evaluate()) return pf;
      }
      return std::nullopt;
    };
    std::optional<std::pair<std::int64_t, std::int64_t>> best;  // reuse factor, PF
    std::int64_t best_multipliers = 0;
    for (std::int64_t rf : rfs) {
      const std::optional<std::int64_t> pf = smallest_factor(rf);
      if (!pf) continue;
      const std::int64_t products = dims ? dims->n_in * dims->n_out : 1;
      const std::int64_t multipliers = *pf * ((products + rf - 1) / rf);
      if (!best || multipliers < best_multipliers) {
        best = {rf, *pf};
        best_multipliers = multipliers;
      }
      if (rf == own_rf) break;  // the layer's own reuse factor is kept when it can be
    }
    if (best) {
      layer.attrs = original;
      if (best->first != own_rf) layer.attrs["reuse_factor"] = best->first;
      layer.attrs["parallelization_factor"] = best->second;
      c.met = evaluate();
    }
    if (!c.met) {
      layer.attrs = original;
      layer.attrs["parallelization_factor"] = *positions;
      evaluate();
      c.note = "layer '" + layer.name + "': no parallelization factor meets the target (" +
               target_text(targets) + "): every one of its " + std::to_string(c.positions) +
               " output positions at once gives latency " + std::to_string(c.latency_cycles) +
               ", interval " + std::to_string(c.initiation_interval) +
               (own_rf > 1 ? " even at reuse factor 1" : "") +
               " (narrower types, or a longer clock period, take fewer cycles)";
    } else if (c.reuse_factor != own_rf) {
      c.note = "layer '" + layer.name + "': reuse factor lowered from " + std::to_string(own_rf) +
               " to " + std::to_string(c.reuse_factor) + " to meet the target (" +
               target_text(targets) + ")";
    }
    choices.push_back(c);
  }
  return choices;
}

}  // namespace hlslim
