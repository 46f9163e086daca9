#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/config/source.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

/// How a sweep picks its points: every combination, or random samples.
enum class SweepMethod { kGrid, kRandom };
const EnumNames<SweepMethod>& sweep_method_names();

/// Resources of one kind of Slurm job of a sweep; empty or zero means "not stated", so the
/// cluster's defaults apply.
struct SlurmResources {
  std::string partition;
  std::string account;
  std::string time;                     ///< e.g. "01:00:00"
  std::string memory;                   ///< `--mem`, e.g. "4G"
  std::int64_t cpus_per_task = 0;       ///< also the job's thread count when set
  std::vector<std::string> directives;  ///< extra `#SBATCH` lines, e.g. "--qos=short"
};

/// The Slurm settings of a sweep (`sweep.slurm`): the points' resources (the base class), the
/// prepare job's (`sweep.slurm.prepare`, each key not stated there taken from the points') and
/// what every job shares.
struct SlurmSettings : SlurmResources {
  std::string job_name;               ///< default: hlslim-<config name>
  std::int64_t max_parallel = 0;      ///< array throttle (`%N`); 0: no limit
  std::int64_t signal_seconds = 120;  ///< SIGTERM this long before the time limit; 0: none
  std::vector<std::string> setup;     ///< shell lines run before hlslim (module load ...)
  std::string hlslim;                 ///< the hlslim binary; default: the one submitting
  SlurmResources prepare;             ///< the prepare job's resources, fallbacks applied
};

/// One swept key: a dotted config path (the same path `--set` takes) and what it scans.
struct SweepParameter {
  enum class Kind { kValues, kUniform, kLogUniform, kIntRange };
  std::string key;  ///< normalised: `stages.NAME.x` becomes `NAME.x`
  Kind kind = Kind::kValues;
  std::vector<YAML::Node> values;  ///< kValues: the list as written
  std::vector<SourcePos> value_pos;
  double low = 0;  ///< ranges: inclusive bounds
  double high = 0;
  SourcePos key_pos;  ///< the key in the sweep block
  SourcePos pos;      ///< the list or range
};

/// The `sweep:` block of a pipeline config: which keys to scan and how, and the Slurm settings.
struct SweepSpec {
  SweepMethod method = SweepMethod::kGrid;
  std::int64_t seed = 1;   ///< random: seed of the sampling
  std::int64_t count = 0;  ///< random: number of points
  std::vector<SweepParameter> parameters;
  SlurmSettings slurm;
  YAML::Node node;  ///< the block as written (for dump-config)
};

/// One point of a sweep: the value of every parameter, in parameter order.
struct SweepPoint {
  std::size_t index = 0;
  std::vector<YAML::Node> values;
  std::vector<std::string> texts;  ///< each value as flow YAML ("0.5", "[4, 2]")
  std::vector<SourcePos> origins;  ///< where each value was stated (a list item, a range)
};

/// The largest sweep `expand_sweep` builds.
constexpr std::size_t kMaxSweepPoints = 100000;

/// Parses and checks a `sweep:` block (at config path `path`): its keys, types, ranges and
/// parameters. Reports every problem into `diagnostics` against the block's file positions;
/// never throws.
SweepSpec parse_sweep(const ConfigSource& source, const YAML::Node& node, const std::string& path,
                      Diagnostics& diagnostics);

/// The points of a valid spec: for a grid, the cartesian product of the value lists with the
/// first parameter varying slowest; for random, `count` points sampled with `seed` (the same on
/// every platform; floats rounded to 6 significant digits).
std::vector<SweepPoint> expand_sweep(const SweepSpec& spec);

/// A YAML node as one line of flow YAML ("0.5", "[4, 2]", "{a: 1}").
std::string flow_text(const YAML::Node& node);

/// Compact text of a sorted index list: {0,1,2,3,5,7,8} -> "0-3,5,7-8".
std::string index_ranges(const std::vector<std::size_t>& indices);

}  // namespace hlslim
