// check_hls4ml_readiness(): exact findings for what hls4ml rejects or computes differently.

#include "hlslim/export/readiness.hpp"

#include <gtest/gtest.h>

#include "test_models.hpp"

namespace hlslim::export_test {
namespace {

std::string describe(const std::vector<ExportFinding>& findings) {
  std::string text;
  for (const auto& f : findings)
    text += std::string(severity_name(f.severity)) + " [" + f.node + "] " + f.message + "\n";
  return text;
}

TEST(Hls4mlReadiness, ExactModelsHaveNoFindings) {
  for (const Graph& graph : exact_models()) {
    EXPECT_TRUE(check_hls4ml_readiness(graph, {}).empty())
        << graph.name << "\n"
        << describe(check_hls4ml_readiness(graph, {}));
  }
}

TEST(Hls4mlReadiness, DenseResultsTakeTheirTypeFromTheQuantNode) {
  Graph graph = dense_model();
  graph.layers[0].attrs["precision.result"] = std::string("fixed<12,4,RND,SAT>");
  graph.layers[2].attrs["precision.result"] = std::string("fixed<12,4,RND_CONV,WRAP>");
  const auto findings = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(findings.size(), 2u) << describe(findings);
  EXPECT_EQ(findings[0].node, "fc1_result_quant");
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].message,
            "layer 'fc1': hls4ml takes a dense layer's result type from the Quant node after it, "
            "which cannot carry fixed<12,4,RND,SAT>: RND rounds ties toward +infinity but the "
            "Quant rounds them to even (ROUND): values exactly halfway between two steps may "
            "differ by one step");
  EXPECT_EQ(findings[1].node, "out_result_quant");
  EXPECT_EQ(findings[1].message,
            "layer 'out': hls4ml takes a dense layer's result type from the Quant node after it, "
            "which cannot carry fixed<12,4,RND_CONV>: WRAP wraps values beyond the range "
            "around but the Quant saturates them");
}

TEST(Hls4mlReadiness, OtherLayersCarryAnyModeThroughTheConfiguration) {
  // Convolution, relu, pool and input types reach hls4ml through the configuration, exactly.
  Graph graph = conv1d_model();
  graph.default_attrs["precision.input"] = std::string("fixed<10,3,RND,WRAP>");
  graph.layers[0].attrs["precision.result"] = std::string("fixed<12,4,RND,WRAP>");
  graph.layers[1].attrs["precision.result"] = std::string("ufixed<10,3,TRN_ZERO,WRAP>");
  EXPECT_TRUE(check_hls4ml_readiness(graph, {}).empty())
      << describe(check_hls4ml_readiness(graph, {}));
}

TEST(Hls4mlReadiness, SoftmaxTanhAndSigmoidAreAcceptedWithAWarningThatTheyAreNotExact) {
  Graph graph = dense_model();
  graph.layers.push_back(make_layer("tanh", LayerKind::kTanh));
  graph.layers.push_back(make_layer("sigmoid", LayerKind::kSigmoid));
  graph.layers.push_back(make_layer("softmax", LayerKind::kSoftmax));
  // Not last: a trailing softmax is not exported (the firmware ends at the logits).
  graph.layers.push_back(make_layer("relu_last", LayerKind::kRelu));
  const auto findings = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(findings.size(), 3u) << describe(findings);
  for (const auto& f : findings) EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(findings[0].node, "tanh");
  EXPECT_EQ(findings[2].message,
            "layer 'softmax': hls4ml computes a softmax from lookup tables (1024 entries of "
            "fixed<18,8> by default) that the fixed-point engine does not model: its outputs are "
            "not checked bit for bit");
}

TEST(Hls4mlReadiness, ReportsReuseFactorsHls4mlWouldReplace) {
  Graph graph = dense_model();  // fc1: 12 inputs x 8 outputs
  graph.layers[0].attrs["reuse_factor"] = std::int64_t{7};
  Hls4mlOptions options;
  options.strategy = "Resource";
  auto findings = check_hls4ml_readiness(graph, options);
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].node, "fc1");
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].message,
            "layer 'fc1': reuse factor 7 is not valid for 12 inputs x 8 outputs under the "
            "Resource strategy; hls4ml will use 6 instead (valid: 1, 2, 3, 4, 6, 12, 24, 48, 96)");
  // Under Latency hls4ml keeps any reuse factor.
  EXPECT_TRUE(check_hls4ml_readiness(graph, {}).empty());
  // Convolutions: n_in = channels x kernel = 4 x 3, n_out = filters = 5.
  Graph conv = conv1d_model();
  conv.layers[0].attrs["reuse_factor"] = std::int64_t{5};
  findings = check_hls4ml_readiness(conv, options);
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].message,
            "layer 'conv.1': reuse factor 5 is not valid for 12 inputs x 5 outputs under the "
            "Resource strategy; hls4ml will use 4 instead (valid: 1, 2, 3, 4, 6, 12, 60)");
  conv.layers[0].attrs["reuse_factor"] = std::int64_t{0};
  findings = check_hls4ml_readiness(conv, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].message, "layer 'conv.1': reuse factor 0 must be at least 1");
}

TEST(Hls4mlReadiness, ReportsUnknownProjectSettings) {
  Hls4mlOptions options;
  options.backend = "Verilog";
  options.io_type = "io_serial";
  options.strategy = "Fast";
  const auto findings = check_hls4ml_readiness(dense_model(), options);
  ASSERT_EQ(findings.size(), 3u) << describe(findings);
  EXPECT_EQ(findings[0].message,
            "backend 'Verilog' is not an hls4ml backend (Vivado, Vitis, VivadoAccelerator, "
            "Quartus, Catapult, oneAPI)");
  EXPECT_EQ(findings[1].message, "I/O type 'io_serial' is not io_parallel or io_stream");
  EXPECT_EQ(findings[2].message,
            "strategy 'Fast' is not an hls4ml strategy (Latency, Resource, ResourceUnrolled, "
            "DistributedArithmetic or da): hls4ml would silently use Latency");
  for (const auto& f : findings) EXPECT_EQ(f.severity, Severity::kError);
}

TEST(Hls4mlReadiness, ReportsAveragePoolsDividingInANarrowAccumulator) {
  Graph graph = pooled_model();  // avg pools 2 values of leaky relu results (8 fraction bits)
  graph.type_attrs["avg_pool2d"]["precision.accum"] = std::string("fixed<16,9>");
  const auto findings = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].node, "avg");
  EXPECT_EQ(findings[0].message,
            "layer 'avg': hls4ml divides the sum of 2 values inside the accumulator fixed<16,9> "
            "(7 fraction bits), which drops bits the engine keeps; an accumulator with at least "
            "9 fraction bits makes the two agree");
}

TEST(Hls4mlReadiness, ReportsSaturatingAccumulatorsThatCanOverflowInAnotherOrder) {
  Graph graph = conv1d_model();
  graph.layers[0].attrs["precision.accum"] = std::string("fixed<14,2,TRN,SAT>");
  const auto findings = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].node, "conv_1");
  EXPECT_EQ(findings[0].message,
            "layer 'conv.1': the saturating accumulator fixed<14,2,TRN,SAT> can overflow "
            "part-way, and hls4ml adds the products in channels-last order, not the engine's: "
            "results may differ where it saturates (a WRAP or wider accumulator does not depend "
            "on the order)");
  // Wide enough that no partial sum can saturate: the order does not matter.
  graph.layers[0].attrs["precision.accum"] = std::string("fixed<24,12,TRN,SAT>");
  EXPECT_TRUE(check_hls4ml_readiness(graph, {}).empty());
}

TEST(Hls4mlReadiness, ReportsTheResourceStrategysInterleavedSumsAtReuseFactorsAboveOne) {
  // A dense layer without a flatten before it adds in the engine's order under Latency at any
  // reuse factor; under Resource at R > 1 hls4ml interleaves the products with step R.
  Graph graph = dense_model();
  graph.layers[0].attrs["precision.accum"] = std::string("fixed<9,2,TRN,SAT>");
  Hls4mlOptions options;
  options.reuse_factor = 4;
  options.strategy = "Latency";
  EXPECT_TRUE(check_hls4ml_readiness(graph, options).empty())
      << describe(check_hls4ml_readiness(graph, options));
  options.strategy = "Resource";
  auto findings = check_hls4ml_readiness(graph, options);
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].node, "fc1");
  EXPECT_EQ(findings[0].message,
            "layer 'fc1': the saturating accumulator fixed<9,2,TRN,SAT> can overflow part-way, "
            "and hls4ml adds the products in an order interleaved by the reuse factor 4 "
            "(Resource strategy), not the engine's: results may differ where it saturates (a "
            "WRAP or wider accumulator does not depend on the order)");
  // Reuse factor 1 keeps the input order; a wrapping accumulator does not depend on it.
  options.reuse_factor = 1;
  EXPECT_TRUE(check_hls4ml_readiness(graph, options).empty());
  options.reuse_factor = 4;
  graph.layers[0].attrs["precision.accum"] = std::string("fixed<9,2,TRN,WRAP>");
  EXPECT_TRUE(check_hls4ml_readiness(graph, options).empty());
}

TEST(Hls4mlReadiness, ReportsAnIoStreamAveragePoolWhoseSaturatingSumCanOverflow) {
  // pooled_model's average pool reads fixed<12,4> values (|x| < 8) two at a time.
  Graph graph = pooled_model();
  Layer* avg = nullptr;
  for (Layer& layer : graph.layers) {
    if (layer.name == "avg") avg = &layer;
  }
  ASSERT_NE(avg, nullptr);
  avg->attrs["precision.accum"] = std::string("fixed<16,4,TRN,SAT>");
  Hls4mlOptions options;
  options.io_type = "io_stream";
  const auto findings = check_hls4ml_readiness(graph, options);
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].node, "avg");
  EXPECT_EQ(findings[0].message,
            "layer 'avg': the saturating accumulator fixed<16,4,TRN,SAT> can overflow part-way, "
            "and hls4ml's io_stream pool adds the window as a tree, not in the engine's order: "
            "results may differ where it saturates");
  // The same pool in io_parallel adds in window order, as the engine does.
  EXPECT_TRUE(check_hls4ml_readiness(graph, {}).empty())
      << describe(check_hls4ml_readiness(graph, {}));
  // Wide enough for the sum of the window: no order can saturate.
  avg->attrs["precision.accum"] = std::string("fixed<18,6,TRN,SAT>");
  EXPECT_TRUE(check_hls4ml_readiness(graph, options).empty())
      << describe(check_hls4ml_readiness(graph, options));
}

TEST(Hls4mlReadiness, ReportsAMissingPrecisionAsAnError) {
  Graph graph = dense_model();
  graph.default_attrs.erase("precision.input");
  const auto findings = check_hls4ml_readiness(graph, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].node, "");
  EXPECT_EQ(findings[0].message, "model 'dense': precision.input missing");
}

}  // namespace
}  // namespace hlslim::export_test
