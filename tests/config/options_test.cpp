#include "hlslim/config/options.hpp"

#include <gtest/gtest.h>

namespace hlslim {
namespace {

struct Parsed {
  std::string errors;
  OptionValues values;
};

Parsed parse(const OptionTable& table, const std::string& yaml) {
  Diagnostics diagnostics;
  auto source = ConfigSource::load_string(yaml, "t.yaml", ".", diagnostics);
  Parsed out;
  out.values = table.parse(source, source.root(), "", "", {}, diagnostics);
  for (const auto& d : diagnostics.all()) out.errors += d.str() + "\n";
  return out;
}

TEST(Options, TypedValuesAreStoredIntoBoundMembers) {
  bool flag;
  std::int64_t count;
  double rate;
  std::string mode;
  std::vector<std::int64_t> kernel;
  std::vector<double> weights;
  OptionTable table;
  table.add_bool("flag", flag, false, "h");
  table.add_int("count", count, 3, "h").min(1).max(10);
  table.add_float("rate", rate, 0.5, "h").greater_than(0);
  table.add_choice("mode", mode, "a", {"a", "bb"}, "h");
  table.add_int_list("kernel", kernel, {1, 1}, "h").size(2).broadcast_scalar();
  table.add_float_list("weights", weights, {}, "h");
  auto parsed = parse(table, "flag: true\ncount: 10\nrate: 1e-3\nkernel: 3\nweights: [1, 0.25]\n");
  EXPECT_EQ(parsed.errors, "");
  EXPECT_TRUE(flag);
  EXPECT_EQ(count, 10);
  EXPECT_DOUBLE_EQ(rate, 1e-3);
  EXPECT_EQ(mode, "a");
  EXPECT_TRUE(parsed.values.defaulted("mode"));
  EXPECT_EQ(kernel, (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(weights, (std::vector<double>{1.0, 0.25}));
}

TEST(Options, EveryKindOfMistake) {
  std::int64_t count;
  double rate;
  std::string mode;
  std::vector<std::int64_t> kernel;
  OptionTable table;
  table.add_int("count", count, 3, "h").min(1).max(10);
  table.add_float("rate", rate, 0.5, "h").greater_than(0);
  table.add_choice("mode", mode, "a", {"adam", "sgd"}, "h");
  table.add_int_list("kernel", kernel, {}, "h").required().size(2);
  auto parsed = parse(table, "count: 11\nrate: 0\nmode: adm\ncuont: 1\n");
  EXPECT_EQ(parsed.errors,
            "t.yaml:4:1: error: unknown key 'cuont' (did you mean 'count'?)\n"
            "t.yaml:1:8: error: value 11 of 'count' is out of range (1 <= value <= 10)\n"
            "t.yaml:2:7: error: value 0 of 'rate' is out of range (> 0)\n"
            "t.yaml:3:7: error: invalid value 'adm' for 'mode' (did you mean 'adam'?); expected "
            "one of: adam, sgd\n"
            "t.yaml:1:1: error: missing required key 'kernel'\n");
  parsed = parse(table, "count: 2.5\nrate: .nan\nkernel: [1, x]\n");
  EXPECT_EQ(parsed.errors,
            "t.yaml:1:8: error: 'count' must be an integer, got '2.5'\n"
            "t.yaml:2:7: error: 'rate' must be a number, got '.nan'\n"
            "t.yaml:3:13: error: 'kernel' must be a list of integers, got 'x'\n");
}

TEST(Options, DocsTextForConstraints) {
  std::int64_t n;
  std::string s;
  OptionTable table;
  auto& a = table.add_int("n", n, 1, "h").min(0).max(5);
  EXPECT_EQ(a.constraint_text(), "0 <= value <= 5");
  auto& b = table.add_choice("s", s, "x", {"x", "y"}, "h");
  EXPECT_EQ(b.constraint_text(), "one of: x, y");
  EXPECT_EQ(value_text(std::vector<double>{0.1, 2}), "[0.1, 2.0]");
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

TEST(Options, NestedGroupsParseValidateAndDump) {
  std::int64_t events;
  double efficiency;
  double noise;
  OptionTable table;
  table.add_int("events", events, 10, "h");
  OptionTable& sim = table.add_group("simulation", "Physics.");
  sim.add_float("efficiency", efficiency, 0.95, "h").min(0).max(1);
  sim.add_float("noise", noise, 1e-3, "h").min(0);
  auto parsed = parse(table, "simulation:\n  efficiency: 0.9\n  nosie: 2\n");
  EXPECT_EQ(parsed.errors,
            "t.yaml:3:3: error: unknown key 'nosie' in 'simulation' (did you mean 'noise'?)\n");
  EXPECT_DOUBLE_EQ(efficiency, 0.9);
  parsed = parse(table, "events: 5\n");
  EXPECT_EQ(parsed.errors, "");
  EXPECT_DOUBLE_EQ(efficiency, 0.95);
  YAML::Emitter out;
  out << parsed.values.to_yaml(table);
  EXPECT_EQ(std::string(out.c_str()), "events: 5\nsimulation:\n  efficiency: 0.95\n  noise: 0.001");
  parsed = parse(table, "simulation:\n  efficiency: 2\n");
  EXPECT_EQ(parsed.errors,
            "t.yaml:2:15: error: value 2 of 'efficiency' in 'simulation' is out "
            "of range (0 <= value <= 1)\n");
}

}  // namespace
}  // namespace hlslim
