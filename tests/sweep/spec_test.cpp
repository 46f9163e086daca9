// The sweep block: parsing, exact error texts, grid and random expansion.
#include "hlslim/sweep/spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace hlslim {
namespace {

struct Parsed {
  SweepSpec spec;
  std::string errors;
};

Parsed parse(const std::string& yaml) {
  Diagnostics diagnostics;
  const ConfigSource source = ConfigSource::load_string(yaml, "s.yaml", ".", diagnostics);
  Parsed out;
  out.spec = parse_sweep(source, source.root()["sweep"], "sweep", diagnostics);
  out.errors = diagnostics.format();
  return out;
}

std::vector<std::string> texts(const std::vector<SweepPoint>& points) {
  std::vector<std::string> out;
  for (const auto& point : points) {
    std::string line;
    for (const auto& text : point.texts) line += (line.empty() ? "" : " ") + text;
    out.push_back(line);
  }
  return out;
}

TEST(SweepSpec, GridIsTheCartesianProductWithTheLastKeyFastest) {
  const auto parsed = parse(R"(sweep:
  parameters:
    distill.prune.sparsity: [0.2, 0.5]
    models.student.layers.1.units: {int: [4, 6]}
)");
  ASSERT_EQ(parsed.errors, "");
  EXPECT_EQ(parsed.spec.method, SweepMethod::kGrid);
  const auto points = expand_sweep(parsed.spec);
  EXPECT_EQ(texts(points),
            (std::vector<std::string>{"0.2 4", "0.2 5", "0.2 6", "0.5 4", "0.5 5", "0.5 6"}));
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].index, i);
  // Each list value remembers where it was written.
  EXPECT_EQ(points[3].origins[0].str(), "s.yaml:3:35");
}

TEST(SweepSpec, ValuesMayBeAnyYamlAndStagesPrefixIsAnAlias) {
  const auto parsed = parse(R"(sweep:
  parameters:
    stages.distill.quantize.precision: [{weight: 'fixed<6,1>'}, {weight: 'fixed<4,1>'}]
    stages.2.epochs: [1]
)");
  ASSERT_EQ(parsed.errors, "");
  EXPECT_EQ(parsed.spec.parameters[0].key, "distill.quantize.precision");
  EXPECT_EQ(parsed.spec.parameters[1].key, "stages.2.epochs");
  EXPECT_EQ(texts(expand_sweep(parsed.spec)),
            (std::vector<std::string>{"{weight: \"fixed<6,1>\"} 1", "{weight: \"fixed<4,1>\"} 1"}));
}

constexpr const char* kRandom = R"(sweep:
  method: random
  seed: 7
  count: 50
  parameters:
    a.lr: {log_uniform: [1.0e-4, 1.0e-2]}
    a.t: {uniform: [1, 8]}
    a.units: {int: [2, 5]}
    a.kind: [x, y, z]
)";

TEST(SweepSpec, RandomIsDeterministicForASeedAndStaysInRange) {
  const auto first = parse(kRandom);
  ASSERT_EQ(first.errors, "");
  const auto points = expand_sweep(first.spec);
  ASSERT_EQ(points.size(), 50u);
  EXPECT_EQ(texts(points), texts(expand_sweep(parse(kRandom).spec)));
  std::string other = kRandom;
  other.replace(other.find("seed: 7"), 7, "seed: 8");
  EXPECT_NE(texts(points), texts(expand_sweep(parse(other).spec)));

  std::set<std::string> units, kinds;
  for (const auto& point : points) {
    const double lr = std::stod(point.texts[0]);
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1e-2);
    const double t = std::stod(point.texts[1]);
    EXPECT_GE(t, 1);
    EXPECT_LE(t, 8);
    units.insert(point.texts[2]);
    kinds.insert(point.texts[3]);
  }
  // Fifty draws cover every integer and every listed value.
  EXPECT_EQ(units, (std::set<std::string>{"2", "3", "4", "5"}));
  EXPECT_EQ(kinds, (std::set<std::string>{"x", "y", "z"}));
}

TEST(SweepSpec, RandomValuesHaveSixSignificantDigits) {
  const auto points = expand_sweep(parse(kRandom).spec);
  for (const auto& point : points) {
    const std::string& text = point.texts[1];
    std::size_t digits = 0;
    for (char c : text) digits += c >= '0' && c <= '9';
    EXPECT_LE(digits, 6u) << text;
  }
}

TEST(SweepSpec, MistakesAreReportedWithTheirPosition) {
  EXPECT_EQ(parse(R"(sweep:
  methd: grid
  parameters: {a.b: [1]}
)")
                .errors,
            "s.yaml:2:3: error: unknown key 'methd' in the sweep block (did you mean 'method'?)\n"
            "1 error found; nothing was run.\n");
  EXPECT_EQ(parse(R"(sweep:
  parameters:
    a.b: {uniform: [0, 1]}
    a.c: 3
    a.d: {unifrom: [0, 1]}
    a.e: {log_uniform: [0, 1]}
)")
                .errors,
            "s.yaml:3:10: error: 'a.b': a continuous range can only be sampled (method: random); "
            "a grid needs a list of values\n"
            "s.yaml:4:10: error: 'a.c' must be a list of values, or a range: {uniform: [low, "
            "high]}, {log_uniform: [low, high]} or {int: [low, high]}, got '3'\n"
            "s.yaml:5:11: error: unknown range 'unifrom' for 'a.d' (did you mean 'uniform'?); "
            "give a list of values, or a range: {uniform: [low, high]}, {log_uniform: [low, "
            "high]} or {int: [low, high]}\n"
            "s.yaml:6:10: error: 'a.e': a continuous range can only be sampled (method: "
            "random); a grid needs a list of values\n"
            "s.yaml:6:24: error: 'a.e': log_uniform needs low > 0, got [0, 1]\n"
            "5 errors found; nothing was run.\n");
}

TEST(SweepSpec, ExactErrorTexts) {
  const std::string errors = parse(R"(sweep:
  method: random
  parameters:
    output: [a]
    x.y: {int: [5, 2]}
    x..z: [1]
    stages.distill.lr: [1]
    distill.lr: [2]
)")
                                 .errors;
  EXPECT_EQ(errors,
            "s.yaml:2:3: error: a random sweep needs 'count', the number of points\n"
            "s.yaml:4:5: error: 'output' cannot be swept: every point runs into "
            "SWEEP_DIR/points/NNNN\n"
            "s.yaml:5:16: error: 'x.y': int needs low <= high, got [5, 2]\n"
            "s.yaml:6:5: error: sweep key 'x..z' is a malformed key path\n"
            "s.yaml:8:5: error: sweep key 'distill.lr' is swept twice (first at s.yaml:7:5)\n"
            "5 errors found; nothing was run.\n");
  EXPECT_EQ(parse("sweep: {parameters: {}}\n").errors,
            "s.yaml:1:21: error: the sweep block needs 'parameters': a mapping from config keys "
            "to a list of values, or a range: {uniform: [low, high]}, {log_uniform: [low, "
            "high]} or {int: [low, high]}\n"
            "1 error found; nothing was run.\n");
  EXPECT_EQ(parse("sweep: {count: 3, parameters: {a.b: [1]}}\n").errors,
            "s.yaml:1:16: error: 'count' applies to method: random; a grid has one point per "
            "combination of values\n"
            "1 error found; nothing was run.\n");
}

TEST(SweepSpec, SlurmSettingsAreParsed) {
  const auto parsed = parse(R"(sweep:
  parameters: {a.b: [1, 2]}
  slurm:
    partition: short
    time: "00:30:00"
    memory: 4G
    cpus_per_task: 2
    directives: [--qos=low]
    parttion: x
)");
  EXPECT_EQ(parsed.errors,
            "s.yaml:9:5: error: unknown key 'parttion' in 'sweep.slurm' in the sweep block (did "
            "you mean 'partition'?)\n"
            "1 error found; nothing was run.\n");
  const auto ok = parse(R"(sweep:
  parameters: {a.b: [1, 2]}
  slurm: {partition: short, time: "00:30:00", memory: 4G, cpus_per_task: 2,
          directives: [--qos=low]}
)");
  ASSERT_EQ(ok.errors, "");
  EXPECT_EQ(ok.spec.slurm.partition, "short");
  EXPECT_EQ(ok.spec.slurm.time, "00:30:00");
  EXPECT_EQ(ok.spec.slurm.memory, "4G");
  EXPECT_EQ(ok.spec.slurm.cpus_per_task, 2);
  EXPECT_EQ(ok.spec.slurm.directives, (std::vector<std::string>{"--qos=low"}));
}

TEST(SweepSpec, IndexRanges) {
  EXPECT_EQ(index_ranges({}), "");
  EXPECT_EQ(index_ranges({4}), "4");
  EXPECT_EQ(index_ranges({0, 1, 2, 3, 5, 7, 8}), "0-3,5,7-8");
}

}  // namespace
}  // namespace hlslim
