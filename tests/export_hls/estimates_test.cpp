// Pre-synthesis estimates: hand-computed layers (docs/estimates.md gives the model), the DSP
// rule, reuse factors, parts, the report forms, and the published CNN student's setting.

#include "hlslim/export/estimates.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "export_test_support.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using export_test::dense;
using export_test::layer;
using export_test::roles;

// fc1: 4 -> 2, weights fixed<6,2> (F = 4): 0.5, -0.25, 1 are powers of two (raws 8, -4, 16:
// wiring), 0.75 (12 = 16 - 4) and 0.375 (6 = 8 - 2) take one shifted addition each; three zero
// weights. fc2: 2 -> 1 with 12-bit weights on 10-bit inputs: DSPs.
Graph hand_model() {
  return export_test::quantized_chain(
      "hand", {4},
      {dense("fc1", 4, {0.5f, 0.0f, -0.25f, 0.75f, 0.0f, 1.0f, 0.375f, 0.0f}, {0.125f, -0.5f}),
       layer("relu", LayerKind::kRelu), dense("fc2", 2, {0.3125f, -1.5f})},
      "fixed<8,3>",
      {roles("fixed<6,2>", "fixed<6,2>", "fixed<16,6>", "fixed<10,4>"),
       roles(nullptr, nullptr, nullptr, "ufixed<10,3>"),
       roles("fixed<12,4>", nullptr, "fixed<24,8,TRN,SAT>", "fixed<16,6,RND,SAT>")});
}

TEST(HlsEstimates, HandComputedFullyUnrolledModel) {
  const ModelEstimate m = estimate_resources(hand_model(), HlsProjectOptions{});
  ASSERT_EQ(m.layers.size(), 3u);
  const LayerEstimate& fc1 = m.layers[0];
  EXPECT_EQ(fc1.multiplies, 5);
  EXPECT_EQ(fc1.nonzero_weights, 5);
  EXPECT_EQ(fc1.weights, 8);
  EXPECT_EQ(fc1.weight_bits, 6);
  EXPECT_EQ(fc1.input_bits, 8);
  EXPECT_EQ(fc1.shift_multiplies, 3);
  EXPECT_EQ(fc1.lut_multipliers, 2);  // 6-bit weights: below the DSP width rule
  EXPECT_EQ(fc1.dsp, 0);
  // Two shifted additions of 8 + 2 bits, then 3 + 2 additions of the 16-bit accumulator
  // (bias + 3 products, bias + 2 products).
  EXPECT_EQ(fc1.lut, 2 * 10 + 5 * 16);
  // BOPs: 5 nonzero products x 6 x 8, plus 8 products x (6 + 8 + log2 4).
  EXPECT_DOUBLE_EQ(fc1.bops, 5 * 48 + 8 * 16);
  // Path: a shifted addition (0.6 + 0.02 * 10 ns), two adder levels of 16 bits (0.92 ns each):
  // 2.64 ns, past the usable 2.1875 ns of a 2.5 ns clock: one cycle boundary.
  EXPECT_NEAR(fc1.path_ns, 0.8 + 2 * 0.92, 1e-12);
  EXPECT_EQ(fc1.latency_cycles, 1);
  EXPECT_EQ(fc1.ff, 1 * 2 * 16);

  const LayerEstimate& relu = m.layers[1];
  EXPECT_EQ(relu.lut, 2 * 10);
  EXPECT_EQ(relu.latency_cycles, 0);  // chained into fc1's last cycle

  const LayerEstimate& fc2 = m.layers[2];
  EXPECT_EQ(fc2.multiplies, 2);
  EXPECT_EQ(fc2.dsp_multipliers, 2);
  EXPECT_EQ(fc2.dsp, 2);  // 12 x 11 signed bits: one DSP48E2 each
  // One saturating 24-bit addition (adder and select), rounding and saturating the result.
  EXPECT_EQ(fc2.lut, 24 * 2 + 16 + 16);
  EXPECT_DOUBLE_EQ(fc2.bops, 2 * 12 * 10 + 2 * (12 + 10 + 1));
  // 3 DSP stages; 1.38 ns saturating addition, 0.92 ns rounding (new cycle), 0.3 ns select;
  // the output register closes the last cycle.
  EXPECT_EQ(fc2.latency_cycles, 3 + 1 + 1);
  EXPECT_EQ(fc2.ff, 4 * 1 * 24 + 1 * 1 * 16);

  EXPECT_EQ(m.multiplies, 7);
  EXPECT_EQ(m.multipliers, 4);
  EXPECT_EQ(m.dsp, 2);
  EXPECT_EQ(m.lut, 100 + 20 + 80);
  EXPECT_EQ(m.ff, 32 + 112);
  EXPECT_EQ(m.bram_18k, 0);
  EXPECT_EQ(m.latency_cycles, 6);
  EXPECT_DOUBLE_EQ(m.latency_ns, 15.0);
  EXPECT_EQ(m.initiation_interval, 1);
}

TEST(HlsEstimates, ReuseFactorSharesMultipliersAndStoresWeightsInBlockRam) {
  Graph g = hand_model();
  g.layers[0].attrs["reuse_factor"] = std::int64_t{2};
  const ModelEstimate m = estimate_resources(g, HlsProjectOptions{});
  const LayerEstimate& fc1 = m.layers[0];
  EXPECT_EQ(fc1.reuse_factor, 2);
  EXPECT_EQ(fc1.multiplies, 5);       // still the nonzero products of one inference
  EXPECT_EQ(fc1.multipliers, 4);      // 8 products (zeros kept) over 2 cycles
  EXPECT_EQ(fc1.lut_multipliers, 4);  // variable 6 x 8 products: 48 LUTs each
  // Multipliers, 2:1 operand selection of 8 bits, one 16-bit accumulating adder each, and
  // the weights: 4 of 6 bits per cycle, 2 deep, too shallow for block RAM: LUT RAM.
  EXPECT_EQ(fc1.lut, 4 * 48 + 4 * 8 + 4 * 16 + 4 * 6);
  EXPECT_EQ(fc1.bram_18k, 0);
  EXPECT_EQ(fc1.ff, 2 * 16 + 4 * 8 + 4 * (6 + 8));
  // One cycle of reuse, a 2.64 ns LUT product (three 14-bit adder levels), two adder levels.
  EXPECT_EQ(fc1.latency_cycles, 3);
  EXPECT_EQ(m.initiation_interval, 2);

  // From 64 cycles of reuse on, the weights go to block RAM: 2 weights of 6 bits per cycle.
  const Graph deep = export_test::quantized_chain(
      "deep", {64}, {dense("fc", 64, std::vector<float>(128, 0.375f))}, "fixed<8,3>",
      {roles("fixed<6,2>", nullptr, "fixed<16,6>", "fixed<10,4>")});
  HlsProjectOptions rf64;
  rf64.reuse_factor = 64;
  const ModelEstimate d = estimate_resources(deep, rf64);
  EXPECT_EQ(d.bram_18k, 1);
  EXPECT_EQ(d.multipliers, 2);
  EXPECT_EQ(d.initiation_interval, 64);
  EXPECT_GE(d.latency_cycles, 64);
}

TEST(HlsEstimates, WideProductsTakeSeveralDsps) {
  const Graph g =
      export_test::quantized_chain("wide", {2}, {dense("fc", 2, {0.3f, -0.7f})}, "fixed<20,6>",
                                   {roles("fixed<30,4>", nullptr, "fixed<48,12>", "fixed<24,8>")});
  const ModelEstimate m = estimate_resources(g, HlsProjectOptions{});
  // 30 x 20 signed bits on a 27 x 18 DSP48E2: 1 x 2 blocks when the 20-bit input takes the
  // 27-bit port; 25 x 18 on a 7-series DSP48E1: the same; 27 x 24 (DSP58): 2 x 1.
  EXPECT_EQ(m.dsp, 2 * 2);
  HlsProjectOptions seven;
  seven.part = "xc7vx690tffg1927-2";
  EXPECT_EQ(estimate_resources(g, seven).dsp, 2 * 2);
  HlsProjectOptions versal;
  versal.part = "xcvc1902-vsva2197-2MP-e-S";
  EXPECT_EQ(estimate_resources(g, versal).dsp, 2 * 2);
  // Below 9 bits on either side, LUTs.
  const Graph narrow =
      export_test::quantized_chain("narrow", {2}, {dense("fc", 2, {0.3f, -0.7f})}, "fixed<8,3>",
                                   {roles("fixed<30,4>", nullptr, "fixed<48,12>", "fixed<24,8>")});
  EXPECT_EQ(estimate_resources(narrow, HlsProjectOptions{}).dsp, 0);
}

TEST(HlsEstimates, Parts) {
  const FpgaPart vu13p = fpga_part("xcvu13p-flga2577-2-e");
  EXPECT_EQ(vu13p.family, "UltraScale+");
  EXPECT_EQ(vu13p.dsp_block, "DSP48E2");
  EXPECT_EQ(vu13p.dsp, 12288);
  EXPECT_EQ(vu13p.lut, 1728000);
  EXPECT_EQ(fpga_part("XC7VX690TFFG1927-2").dsp_block, "DSP48E1");
  EXPECT_EQ(fpga_part("xc7a35t").family, "7 series");
  EXPECT_EQ(fpga_part("xc7a35t").dsp, 0);  // not in the table: no utilisation
  EXPECT_EQ(fpga_part("xcvc1902-vsva2197-2MP-e-S").dsp_b_bits, 24);
  EXPECT_EQ(fpga_part("xcvu095-ffva2104-2-e").family, "UltraScale");
  EXPECT_EQ(fpga_part("xcvu47p-fsvh2892-2-e").family, "UltraScale+");
  EXPECT_EQ(fpga_part("ep4ce22").family, "unknown");
}

TEST(HlsEstimates, TableAndJson) {
  const ModelEstimate m = estimate_resources(hand_model(), HlsProjectOptions{});
  const nlohmann::json j = m.to_json();
  EXPECT_EQ(j["part"], "xcvu13p-flga2577-2-e");
  EXPECT_EQ(j["layers"].size(), 3u);
  EXPECT_EQ(j["layers"][0]["name"], "fc1");
  EXPECT_EQ(j["total"]["latency_cycles"], 6);
  EXPECT_EQ(j["total"]["dsp"], 2);
  EXPECT_DOUBLE_EQ(j["utilisation"]["dsp"].get<double>(), 2.0 / 12288);
  const std::string table = m.table();
  EXPECT_EQ(table,
            "layer  type            RF     mults      nz_w   w x in     DSP        LUT         FF"
            "   BRAM      BOPs  cycles\n"
            "fc1    dense            1         5         5      6x8       0        100         32"
            "      0       368       1\n"
            "relu   relu             1         0         0        -       0         20          0"
            "      0         0       0\n"
            "fc2    dense            1         2         2    12x10       2         80        112"
            "      0       286       5\n"
            "total                             7         7                2        200        144"
            "      0       654       6\n"
            "latency 6 cycles = 15.0 ns at 2.500 ns (400 MHz), initiation interval 1\n"
            "part xcvu13p-flga2577-2-e (UltraScale+, DSP48E2): DSP 0.02 %, LUT 0.01 %, FF 0.00 "
            "%, BRAM 0.00 %\n")
      << table;
}

// The published CNN student's setting (docs/muon-trigger.md): xcvu13p at 2.38 ns, reuse
// factor 1, 4-bit weights and ReLUs, layers fixed<12,4>, inputs fixed<16,6>, ~1.2k
// parameters. docs/estimates.md compares this estimate with the synthesized student.
Graph published_student() {
  std::mt19937_64 rng(7);
  const char* layer_type = "fixed<12,4>";
  return export_test::quantized_chain(
      "cnn_student", {11, 16},
      {export_test::conv("conv", LayerKind::kConv1d, 11, {3}, {1}, Padding::kSame,
                         export_test::random_weights(rng, 4 * 11 * 3, 0.9, 0.125, 0),
                         export_test::random_weights(rng, 4, 0.9, 0.125, 0)),
       layer("relu1", LayerKind::kRelu), layer("flatten", LayerKind::kFlatten),
       dense("fc1", 64, export_test::random_weights(rng, 64 * 16, 0.9, 0.125, 0),
             export_test::random_weights(rng, 16, 0.9, 0.125, 0)),
       layer("relu2", LayerKind::kRelu),
       dense("out", 16, export_test::random_weights(rng, 32, 0.9, 0.125, 0), {0.5f, 0.25f})},
      "fixed<16,6>",
      {roles("fixed<4,1>", "fixed<4,1>", layer_type, layer_type),
       roles(nullptr, nullptr, nullptr, "ufixed<4,2>"),
       {},
       roles("fixed<4,1>", "fixed<4,1>", layer_type, layer_type),
       roles(nullptr, nullptr, nullptr, "ufixed<4,2>"),
       roles("fixed<4,1>", "fixed<4,1>", layer_type, layer_type)});
}

TEST(HlsEstimates, PublishedCnnStudentSetting) {
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  const ModelEstimate m = estimate_resources(published_student(), options);
  std::cout << m.table();
  EXPECT_EQ(m.dsp, 0);  // 4-bit weights: no DSP, as synthesized
  EXPECT_EQ(m.bram_18k, 0);
  EXPECT_EQ(m.initiation_interval, 1);
  EXPECT_GT(m.lut, 5000);
  EXPECT_LT(m.lut, 119000);  // io_parallel without streams' buffers: well below io_stream's
  EXPECT_LT(m.latency_ns, 100.0);
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

// hls4ml's io_parallel design with every position at once (the default parallelization factor)
// is hlslim's own design: the same multipliers and logic, only the registers at the edges
// differ (hls4ml registers its inputs, not its outputs).
TEST(Hls4mlEstimates, DefaultParallelizationFactorIsOurOwnDesign) {
  const Graph g = published_student();
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  const ModelEstimate ours = estimate_resources(g, options);
  const ModelEstimate theirs = estimate_hls4ml(g, options, {}, EstimateModel{});
  EXPECT_EQ(theirs.design, "hls4ml io_parallel");
  EXPECT_EQ(theirs.layers[0].parallelization_factor, 16);
  EXPECT_EQ(theirs.lut, ours.lut);
  EXPECT_EQ(theirs.dsp, ours.dsp);
  EXPECT_EQ(theirs.initiation_interval, 1);
  EXPECT_LE(theirs.latency_cycles, ours.latency_cycles);
  EXPECT_GE(theirs.latency_cycles, ours.latency_cycles - 1);
}

// PF 4 of 16 positions: 4 partitions in a loop pipelined at the reuse factor (1), a quarter of
// the convolution's multipliers, fill_buffer selects of 4:1 (1 LUT per operand bit).
TEST(Hls4mlEstimates, ParallelizationFactorLoopsOverPartitions) {
  Graph g = published_student();
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  const EstimateModel k;
  const ModelEstimate all = estimate_hls4ml(g, options, {}, k);
  g.layers[0].attrs["parallelization_factor"] = std::int64_t{4};
  const ModelEstimate part = estimate_hls4ml(g, options, {}, k);
  const LayerEstimate& conv = part.layers[0];
  EXPECT_EQ(conv.parallelization_factor, 4);
  EXPECT_EQ(conv.initiation_interval, 4);
  EXPECT_EQ(part.initiation_interval, 4);  // dataflow: the slowest layer
  EXPECT_EQ(conv.latency_cycles, 3 + std::max<std::int64_t>(all.layers[0].latency_cycles, 1));
  EXPECT_EQ(conv.dsp, 0);
  // 4 of 16 positions' logic, 4 x 33 operands x 16 bits of 4:1 selects, 64 outputs x 12 bits
  // of write selects.
  EXPECT_EQ(conv.lut, std::llround(all.layers[0].lut * 0.25) + 4 * 33 * 16 + 64 * 12);
  EXPECT_EQ(part.to_json()["layers"][0]["parallelization_factor"], 4);
}

// io_stream: the conv reads its 16 pixels one per cycle; the layers overlap.
TEST(Hls4mlEstimates, IoStreamReadsOnePixelPerCycle) {
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  Hls4mlEstimateOptions io;
  io.io_type = "io_stream";
  const ModelEstimate m = estimate_hls4ml(published_student(), options, io);
  std::cout << m.table();
  EXPECT_EQ(m.design, "hls4ml io_stream");
  EXPECT_EQ(m.to_json()["io_type"], "io_stream");
  EXPECT_EQ(m.layers[0].initiation_interval, 16);
  EXPECT_EQ(m.initiation_interval, 16);
  EXPECT_GT(m.latency_cycles, 16);
  EXPECT_EQ(m.dsp, 0);
  io.io_type = "io_serial";
  EXPECT_THROW(estimate_hls4ml(published_student(), options, io), Error);
}

TEST(Hls4mlEstimates, TargetsPickTheSmallestParallelizationFactor) {
  Graph g = published_student();
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  EXPECT_TRUE(choose_parallelization_factors(g, options, {}, {}).empty());
  std::vector<ParallelizationChoice> c =
      choose_parallelization_factors(g, options, {}, ConvTargets{0, 4});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].layer, "conv");
  EXPECT_EQ(c[0].positions, 16);
  EXPECT_EQ(c[0].parallelization_factor, 4);  // 4 partitions: interval 4
  EXPECT_EQ(c[0].reuse_factor, 1);
  EXPECT_TRUE(c[0].met);
  EXPECT_EQ(c[0].note, "");
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 4);
  c = choose_parallelization_factors(g, options, {}, ConvTargets{0, 0});
  EXPECT_TRUE(c.empty());
  // A factor already set (by the first call here, or by the export's parallelization_factors)
  // wins over the targets.
  c = choose_parallelization_factors(g, options, {}, ConvTargets{1, 0});
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 4);
  g.layers[0].attrs.erase("parallelization_factor");
  c = choose_parallelization_factors(g, options, {}, ConvTargets{1, 0});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].met);
  EXPECT_EQ(c[0].parallelization_factor, 16);
  EXPECT_EQ(c[0].note,
            "layer 'conv': no parallelization factor meets the target (latency 1 "
            "cycles): every one of its 16 output positions at once gives latency " +
                std::to_string(c[0].latency_cycles) +
                ", interval 1 (narrower types, or a longer clock period, take fewer "
                "cycles)");
  EXPECT_EQ(layer_parallelization_factor(g, g.layers[0]), 16);
}

// At reuse factor 33 (11 channels x 3 taps) the convolution needs 32 cycles of reuse per
// partition: an interval of 8 needs a lower reuse factor, the largest valid one that meets it.
TEST(Hls4mlEstimates, TargetsLowerTheReuseFactorWhenNoParallelizationFactorMeetsThem) {
  Graph g = published_student();
  g.layers[0].attrs["reuse_factor"] = std::int64_t{33};
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  const std::vector<ParallelizationChoice> c =
      choose_parallelization_factors(g, options, {}, ConvTargets{0, 8});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].met);
  // Valid reuse factors of 33 x 4 below 33: 11, 3, 1; the interval is partitions x reuse
  // factor. 11 meets 8 with no factor; 3 needs PF 8 (2 partitions x 3 = 6): 8 x 44 = 352
  // multipliers; 1 needs PF 2 (8 partitions x 1 = 8): 2 x 132 = 264, the fewest.
  EXPECT_EQ(c[0].reuse_factor, 1);
  EXPECT_EQ(c[0].parallelization_factor, 2);
  EXPECT_EQ(c[0].initiation_interval, 8);
  EXPECT_EQ(layer_reuse_factor(g, g.layers[0], options), 1);
  EXPECT_EQ(c[0].note,
            "layer 'conv': reuse factor lowered from 33 to 1 to meet the target (interval 8 "
            "cycles)");
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

// io_stream: nothing to choose; a convolution that reads its 16 pixels misses an interval of 4.
TEST(Hls4mlEstimates, IoStreamTargetsOnlyNote) {
  Graph g = published_student();
  HlsProjectOptions options;
  options.clock_period_ns = 2.38;
  Hls4mlEstimateOptions io;
  io.io_type = "io_stream";
  const std::vector<ParallelizationChoice> c =
      choose_parallelization_factors(g, options, io, ConvTargets{0, 4});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].met);
  EXPECT_EQ(c[0].initiation_interval, 16);
  EXPECT_GT(c[0].latency_cycles, 16);  // its pixels and its depth
  EXPECT_EQ(g.layers[0].attrs.count("parallelization_factor"), 0u);
  EXPECT_EQ(c[0].note, "layer 'conv': io_stream reads its input one pixel per step: latency " +
                           std::to_string(c[0].latency_cycles) +
                           ", interval 16 cycles, above the target (interval 4 cycles; "
                           "io_parallel with a parallelization factor is faster)");
}

}  // namespace
}  // namespace hlslim
