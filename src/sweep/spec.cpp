#include "hlslim/sweep/spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "hlslim/config/options.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

const EnumNames<SweepMethod>& sweep_method_names() {
  static const EnumNames<SweepMethod> names{{"grid", SweepMethod::kGrid},
                                            {"random", SweepMethod::kRandom}};
  return names;
}
namespace {

constexpr const char* kRangeHelp =
    "a list of values, or a range: {uniform: [low, high]}, {log_uniform: [low, high]} or "
    "{int: [low, high]}";

bool is_index(const std::string& part) {
  return !part.empty() &&
         std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `stages.NAME.key` is accepted as a spelling of `NAME.key`, the path `--set` takes.
std::string normalise_key(const std::string& key) {
  const std::string prefix = "stages.";
  if (key.compare(0, prefix.size(), prefix) != 0) return key;
  const std::string rest = key.substr(prefix.size());
  const std::string first = rest.substr(0, rest.find('.'));
  return is_index(first) ? key : rest;
}

std::string key_problem(const std::string& key) {
  if (key.empty()) return "an empty key";
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    if (key.substr(start, dot - start).empty()) return "a malformed key path";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return "";
}

std::optional<double> number(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  try {
    return node.as<double>();
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

void parse_range(const ConfigSource& source, const YAML::Node& node, const std::string& path,
                 const std::string& kind, SweepParameter& parameter, Diagnostics& diagnostics) {
  const YAML::Node bounds = node[kind];
  const std::string where = "'" + parameter.key + "': " + kind;
  const SourcePos pos = source.pos(bounds, join_path(path, kind));
  if (!bounds.IsSequence() || bounds.size() != 2) {
    diagnostics.error(pos, where + " needs two bounds [low, high], got " + describe_node(bounds));
    return;
  }
  const auto low = number(bounds[0]);
  const auto high = number(bounds[1]);
  if (!low || !high) {
    diagnostics.error(pos, where + " bounds must be numbers, got " + flow_text(bounds));
    return;
  }
  parameter.low = *low;
  parameter.high = *high;
  if (kind == "int") {
    parameter.kind = SweepParameter::Kind::kIntRange;
    if (*low != std::floor(*low) || *high != std::floor(*high)) {
      diagnostics.error(pos, where + " bounds must be integers, got " + flow_text(bounds));
    } else if (*low > *high) {
      diagnostics.error(pos, where + " needs low <= high, got " + flow_text(bounds));
    }
    return;
  }
  parameter.kind =
      kind == "uniform" ? SweepParameter::Kind::kUniform : SweepParameter::Kind::kLogUniform;
  if (!(*low < *high)) {
    diagnostics.error(pos, where + " needs low < high, got " + flow_text(bounds));
  } else if (parameter.kind == SweepParameter::Kind::kLogUniform && *low <= 0) {
    diagnostics.error(pos, where + " needs low > 0, got " + flow_text(bounds));
  }
}

SweepParameter parse_parameter(const ConfigSource& source, const YAML::Node& key_node,
                               const YAML::Node& node, const std::string& path,
                               Diagnostics& diagnostics) {
  SweepParameter parameter;
  parameter.key = normalise_key(key_node.Scalar());
  parameter.key_pos = source.pos(key_node, path);
  parameter.pos = source.pos(node, path);
  if (node.IsSequence()) {
    if (node.size() == 0) {
      diagnostics.error(parameter.pos, "'" + key_node.Scalar() + "' needs at least one value");
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      parameter.values.push_back(node[i]);
      parameter.value_pos.push_back(source.pos(node[i], join_path(path, std::to_string(i))));
    }
    return parameter;
  }
  if (node.IsMap() && node.size() == 1) {
    const std::string kind = node.begin()->first.Scalar();
    if (kind == "uniform" || kind == "log_uniform" || kind == "int") {
      parse_range(source, node, path, kind, parameter, diagnostics);
      return parameter;
    }
    diagnostics.error(source.pos(node.begin()->first, join_path(path, kind)),
                      "unknown range '" + kind + "' for '" + key_node.Scalar() + "'" +
                          did_you_mean(kind, {"uniform", "log_uniform", "int"}) + "; give " +
                          kRangeHelp);
    return parameter;
  }
  diagnostics.error(parameter.pos, "'" + key_node.Scalar() + "' must be " + kRangeHelp + ", got " +
                                       describe_node(node));
  return parameter;
}

// Six significant digits keep sampled values readable in tables and file names; the value the
// point runs with is exactly the text shown.
double round_sig(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return std::stod(text);
}

// A double in [0, 1) from 53 random bits: unlike std::uniform_real_distribution, the same on
// every standard library.
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

YAML::Node number_node(double value, bool integer) {
  if (integer) return YAML::Node(static_cast<std::int64_t>(value));
  return YAML::Node(format_double(value));
}

// The resource keys, shared by `sweep.slurm` (the points) and `sweep.slurm.prepare`.
void add_slurm_resources(OptionTable& table, SlurmResources& r, const std::string& job) {
  table.add_string("partition", r.partition, "", "Partition (--partition).");
  table.add_string("account", r.account, "", "Account charged (--account).");
  table.add_string("time", r.time, "", "Time limit per " + job + " (--time), e.g. 01:00:00.");
  table.add_string("memory", r.memory, "", "Memory per " + job + " (--mem), e.g. 4G.");
  table
      .add_int("cpus_per_task", r.cpus_per_task, 0,
               "CPUs per " + job + " (--cpus-per-task), also its thread count; 0: not stated.")
      .min(0);
  table.add_string_list("directives", r.directives, {},
                        "Extra #SBATCH directives, e.g. [--qos=short, --gres=gpu:1].");
}

// The prepare job's resources: each key stated under `prepare:` wins, every other one is the
// points'. A stated empty value ("" or []) means "not stated" for that job.
SlurmResources prepare_resources(const SlurmResources& points, const SlurmResources& stated,
                                 const OptionValues& values) {
  auto given = [&](const char* key) { return values.has(key) && !values.defaulted(key); };
  SlurmResources r = points;
  if (given("partition")) r.partition = stated.partition;
  if (given("account")) r.account = stated.account;
  if (given("time")) r.time = stated.time;
  if (given("memory")) r.memory = stated.memory;
  if (given("cpus_per_task")) r.cpus_per_task = stated.cpus_per_task;
  if (given("directives")) r.directives = stated.directives;
  return r;
}

}  // namespace

std::string flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

std::string index_ranges(const std::vector<std::size_t>& indices) {
  std::string out;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(indices[i]);
    if (j > i) out += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  return out;
}

SweepSpec parse_sweep(const ConfigSource& source, const YAML::Node& node, const std::string& path,
                      Diagnostics& diagnostics) {
  SweepSpec spec;
  spec.node = node;
  YAML::Node parameters;
  OptionTable table;
  table.add_enum("method", spec.method, SweepMethod::kGrid, sweep_method_names(),
                 "grid: every combination of the value lists; random: `count` points sampled "
                 "with `seed`.");
  table.add_int("seed", spec.seed, 1, "Seed of the random sampling.").min(0);
  table.add_int("count", spec.count, 0, "Number of points of a random sweep.").min(0);
  table.add_yaml("parameters", parameters,
                 "Swept keys (dotted config paths, as --set takes them) and what each scans.");
  OptionTable& slurm = table.add_group("slurm", "Resources of the Slurm jobs.");
  SlurmSettings& s = spec.slurm;
  slurm.add_string("job_name", s.job_name, "", "Job name; default hlslim-<name>.");
  add_slurm_resources(slurm, s, "point");
  slurm
      .add_int("max_parallel", s.max_parallel, 0,
               "Most points running at once (array throttle %N); 0: no limit.")
      .min(0);
  slurm
      .add_int("signal_seconds", s.signal_seconds, 120,
               "Seconds before the time limit when Slurm sends SIGTERM to hlslim "
               "(--signal=B:TERM@N), which checkpoints and stops, resumable; 0: none.")
      .min(0)
      .max(65535);
  slurm.add_string_list("setup", s.setup, {},
                        "Shell lines run first in every job, before hlslim (module load ...).");
  slurm.add_string("hlslim", s.hlslim, "", "The hlslim binary jobs run; default: this one.");
  OptionTable& prepare =
      slurm.add_group("prepare",
                      "Resources of the job that runs the shared stages; a key not stated here is "
                      "the points' value.");
  SlurmResources stated;
  add_slurm_resources(prepare, stated, "prepare job");

  const std::size_t errors_before = diagnostics.error_count();
  const OptionValues values =
      table.parse(source, node, path, "in the sweep block", {}, diagnostics);
  if (diagnostics.error_count() != errors_before) return spec;
  s.prepare = prepare_resources(s, stated, values.group("slurm").group("prepare"));
  const bool random = spec.method == SweepMethod::kRandom;

  const std::string parameters_path = join_path(path, "parameters");
  const SourcePos block_pos = source.pos(node, path);
  if (!parameters.IsMap() || parameters.size() == 0) {
    diagnostics.error(values.has("parameters") && !values.defaulted("parameters")
                          ? values.pos("parameters")
                          : block_pos,
                      "the sweep block needs 'parameters': a mapping from config keys to " +
                          std::string(kRangeHelp));
    return spec;
  }
  std::map<std::string, SourcePos> seen;
  for (const auto& item : parameters) {
    const std::string raw = item.first.Scalar();
    const std::string item_path = join_path(parameters_path, raw);
    SweepParameter parameter =
        parse_parameter(source, item.first, item.second, item_path, diagnostics);
    if (const std::string problem = key_problem(raw); !problem.empty()) {
      diagnostics.error(parameter.key_pos, "sweep key '" + raw + "' is " + problem);
      continue;
    }
    const std::string first = parameter.key.substr(0, parameter.key.find('.'));
    if (first == "output" || first == "sweep") {
      diagnostics.error(
          parameter.key_pos,
          "'" + first + "' cannot be swept" +
              (first == "output" ? ": every point runs into SWEEP_DIR/points/NNNN" : ""));
      continue;
    }
    if (auto [it, inserted] = seen.emplace(parameter.key, parameter.key_pos); !inserted) {
      diagnostics.error(parameter.key_pos, "sweep key '" + raw + "' is swept twice (first at " +
                                               it->second.str() + ")");
      continue;
    }
    if (!random && (parameter.kind == SweepParameter::Kind::kUniform ||
                    parameter.kind == SweepParameter::Kind::kLogUniform)) {
      diagnostics.error(parameter.pos, "'" + raw +
                                           "': a continuous range can only be sampled (method: "
                                           "random); a grid needs a list of values");
    }
    spec.parameters.push_back(std::move(parameter));
  }

  if (random && spec.count == 0) {
    diagnostics.error(values.defaulted("count") ? block_pos : values.pos("count"),
                      "a random sweep needs 'count', the number of points");
  }
  if (!random && !values.defaulted("count")) {
    diagnostics.error(values.pos("count"),
                      "'count' applies to method: random; a grid has one "
                      "point per combination of values");
  }
  if (random && spec.count > static_cast<std::int64_t>(kMaxSweepPoints)) {
    diagnostics.error(values.pos("count"),
                      "a sweep has at most " + std::to_string(kMaxSweepPoints) + " points");
  }
  if (!random && diagnostics.error_count() == errors_before) {
    double total = 1;
    for (const auto& p : spec.parameters) {
      total *= p.kind == SweepParameter::Kind::kIntRange ? p.high - p.low + 1
                                                         : static_cast<double>(p.values.size());
    }
    if (total > static_cast<double>(kMaxSweepPoints)) {
      diagnostics.error(source.pos(parameters, parameters_path),
                        "the grid has " + format_double(total) + " points; a sweep has at most " +
                            std::to_string(kMaxSweepPoints));
    }
  }
  return spec;
}

std::vector<SweepPoint> expand_sweep(const SweepSpec& spec) {
  std::vector<SweepPoint> points;
  const std::size_t n = spec.parameters.size();
  auto add_value = [](SweepPoint& point, YAML::Node value, const SourcePos& origin) {
    point.texts.push_back(flow_text(value));
    point.values.push_back(std::move(value));
    point.origins.push_back(origin);
  };
  if (spec.method == SweepMethod::kRandom) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(spec.seed));
    for (std::int64_t k = 0; k < spec.count; ++k) {
      SweepPoint point;
      point.index = static_cast<std::size_t>(k);
      for (const auto& p : spec.parameters) {
        const double u = unit(rng);
        switch (p.kind) {
          case SweepParameter::Kind::kValues: {
            const auto i =
                std::min(p.values.size() - 1,
                         static_cast<std::size_t>(u * static_cast<double>(p.values.size())));
            add_value(point, p.values[i], p.value_pos[i]);
            break;
          }
          case SweepParameter::Kind::kUniform:
            add_value(point, number_node(round_sig(p.low + u * (p.high - p.low)), false), p.pos);
            break;
          case SweepParameter::Kind::kLogUniform:
            add_value(point,
                      number_node(round_sig(std::exp(std::log(p.low) +
                                                     u * (std::log(p.high) - std::log(p.low)))),
                                  false),
                      p.pos);
            break;
          case SweepParameter::Kind::kIntRange:
            add_value(
                point,
                number_node(std::min(p.high, p.low + std::floor(u * (p.high - p.low + 1))), true),
                p.pos);
            break;
        }
      }
      points.push_back(std::move(point));
    }
    return points;
  }

  // Grid: an odometer over the parameters, the last one turning fastest.
  std::vector<std::size_t> sizes;
  for (const auto& p : spec.parameters) {
    sizes.push_back(p.kind == SweepParameter::Kind::kIntRange
                        ? static_cast<std::size_t>(p.high - p.low + 1)
                        : p.values.size());
  }
  if (n == 0 || std::find(sizes.begin(), sizes.end(), 0u) != sizes.end()) return points;
  std::vector<std::size_t> digit(n, 0);
  for (std::size_t k = 0;; ++k) {
    SweepPoint point;
    point.index = k;
    for (std::size_t j = 0; j < n; ++j) {
      const auto& p = spec.parameters[j];
      if (p.kind == SweepParameter::Kind::kIntRange) {
        add_value(point, number_node(p.low + static_cast<double>(digit[j]), true), p.pos);
      } else {
        add_value(point, p.values[digit[j]], p.value_pos[digit[j]]);
      }
    }
    points.push_back(std::move(point));
    std::size_t j = n;
    while (j > 0) {
      --j;
      if (++digit[j] < sizes[j]) break;
      digit[j] = 0;
      if (j == 0) return points;
    }
  }
}

}  // namespace hlslim
