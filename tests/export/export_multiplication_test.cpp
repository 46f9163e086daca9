// The export stage's `multiplication: adder_graph`: the HLS project's adder graphs in a
// pipeline (the layers that keep csd products as readiness notes, the comparison with csd in
// estimates.json and the metrics) and the configuration error with io_stream. The generated
// code itself is checked in tests/export_hls/adder_graph_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kConfig = R"(output: out
threads: 2
models:
  net:
    layers:
      - {type: flatten}
      - {type: dense, name: fc, units: 8}
      - {type: relu}
      - {type: dense, name: out, units: 2}
stages:
  - {stage: data, events: 3000, noise_events: 300}
  - {stage: train, model: net, epochs: 1}
  - {stage: quantize, model: net}
  - stage: export
    model: net
    project: muon_mlp
    test_vectors: 50
    reuse_factors: {fc: 4}
    multiplication: adder_graph
)";

std::string load_error(const std::string& yaml) {
  const auto path = testing::write_text(testing::temp_dir("cfg") / "e.yaml", yaml);
  try {
    PipelineConfig::load(path, {}, testing::test_registry());
  } catch (const ConfigError& e) {
    std::string text = e.what();
    const std::string prefix = path.string() + ":";
    for (std::size_t at; (at = text.find(prefix)) != std::string::npos;)
      text.erase(at, prefix.size());
    return text;
  }
  return "no error";
}

TEST(ExportMultiplication, AdderGraphsWithNotesAndTheComparisonWithCsd) {
  const auto dir = testing::temp_dir("export_ag");
  run_pipeline(PipelineConfig::load(testing::write_text(dir / "x.yaml", kConfig), {},
                                    testing::test_registry()),
               {});
  const fs::path out = dir / "out" / "04-export";
  const std::string source = read_file(out / "hls" / "firmware" / "muon_mlp.cpp");
  EXPECT_NE(source.find("static void out_graph("), std::string::npos);
  EXPECT_EQ(source.find("static void fc_graph("), std::string::npos);  // reuse factor 4

  const json readiness = json::parse(read_file(out / "readiness.json"));
  bool noted = false;
  for (const json& f : readiness) {
    if (f["node"] != "fc") continue;
    noted = true;
    EXPECT_EQ(f["severity"], "note");
    EXPECT_EQ(f["message"],
              "hlslim's HLS project (multiplication: adder_graph): layer 'fc': reuse factor 4: "
              "csd products on shared multipliers (an adder graph needs reuse factor 1)");
  }
  EXPECT_TRUE(noted) << readiness.dump(2);

  const json estimates = json::parse(read_file(out / "estimates.json"));
  const json& m = estimates.at("multiplication");
  EXPECT_EQ(m["method"], "adder_graph");
  EXPECT_EQ(m["lut"], estimates["total"]["lut"]);
  EXPECT_EQ(m["lut_saving"].get<std::int64_t>(),
            m["lut_csd"].get<std::int64_t>() - m["lut"].get<std::int64_t>());
  EXPECT_EQ(estimates["layers"][3]["name"], "out");
  EXPECT_EQ(estimates["layers"][3]["multiplication"], "adder_graph");
  EXPECT_GT(estimates["layers"][3]["adders"].get<std::int64_t>(), 0);
  EXPECT_FALSE(estimates["layers"][1].contains("multiplication"));
  const json metrics = json::parse(read_file(out / "metrics.json"));
  EXPECT_EQ(metrics["multiplication"], m);
}

TEST(ExportMultiplication, AdderGraphWithIoStreamIsAConfigError) {
  std::string yaml = kConfig;
  yaml.replace(yaml.find("    test_vectors: 50\n"), 21,
               "    test_vectors: 50\n    io_type: io_stream\n");
  EXPECT_EQ(load_error(yaml),
            "20:21: error: stage 'export': multiplication 'adder_graph' needs io_type "
            "io_parallel: the io_stream kernels compute one window at a time with csd "
            "products\n1 error found; nothing was run.\n");
  std::string unknown = kConfig;
  unknown.replace(unknown.find("adder_graph"), 11, "adder_tree");
  EXPECT_NE(load_error(unknown).find("19:21: error: "), std::string::npos) << load_error(unknown);
}

}  // namespace
}  // namespace hlslim
