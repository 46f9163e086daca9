#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/sweep/spec.hpp"

namespace hlslim {

/// One Slurm batch job of a sweep: the prepare job, or the array of points.
struct SbatchJob {
  std::string job_name;
  std::string array;                 ///< `--array` value ("0-3,7%2"); empty for a single job
  std::filesystem::path log;         ///< `--output` (stdout and stderr), may hold %a, %j, %A
  std::filesystem::path workdir;     ///< `--chdir`
  std::vector<std::string> command;  ///< the command, one argument per element (quoted here)
};

/// A complete sbatch script: `#SBATCH` lines for the job and the sweep's resources (partition,
/// account, time, memory, cpus per task, extra directives), `set -euo pipefail`, the setup
/// lines, then `exec` of the command.
std::string sbatch_script(const SbatchJob& job, const SlurmSettings& slurm);

/// The array spec of a list of point indices with the throttle: "0-3,5%4".
std::string array_spec(const std::vector<std::size_t>& indices, std::int64_t max_parallel);

/// The job id in sbatch's output: "1234" from "--parsable" output ("1234" or "1234;cluster") or
/// from "Submitted batch job 1234"; nullopt when there is none.
std::optional<std::string> parse_job_id(const std::string& sbatch_output);

/// Quotes an argument for a POSIX shell when it needs it: `a b` -> `'a b'`.
std::string shell_quote(const std::string& argument);

}  // namespace hlslim
