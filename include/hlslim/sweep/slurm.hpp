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
  SlurmResources resources;          ///< this job's partition, time, memory, ...
};

/// A complete sbatch script: `#SBATCH` lines for the job, `--signal=B:TERM@N` (when
/// `slurm.signal_seconds` > 0), `--kill-on-invalid-dep=yes` for an array, the job's resources
/// (partition, account, time, memory, cpus per task, extra directives, in that order, so that
/// a directive can override the others); then the setup lines, then `set -euo pipefail` (site
/// setup scripts often expand unset variables), then `exec` of the command, so that the
/// command is the batch shell and receives the `B:` signal itself.
std::string sbatch_script(const SbatchJob& job, const SlurmSettings& slurm);

/// The array spec of a list of point indices with the throttle: "0-3,5%4".
std::string array_spec(const std::vector<std::size_t>& indices, std::int64_t max_parallel);

/// The job id in sbatch's output: "1234" from "--parsable" output ("1234" or "1234;cluster") or
/// from "Submitted batch job 1234"; nullopt when there is none.
std::optional<std::string> parse_job_id(const std::string& sbatch_output);

/// Quotes an argument for a POSIX shell when it needs it: `a b` -> `'a b'`.
std::string shell_quote(const std::string& argument);

/// The log of array task `index` that Slurm wrote last in `log_dir`, from logs named
/// `point-JOBID_INDEX.out` (`point-%A_%a.out`): the highest job id, so that a resubmission
/// never hides behind an older attempt. Empty when there is none.
std::filesystem::path latest_point_log(const std::filesystem::path& log_dir, std::size_t index);

/// Directories that are local to each compute node: /tmp, /var/tmp, /dev/shm and `tmpdir`
/// (the submitting shell's $TMPDIR) when it is set and not "/".
std::vector<std::filesystem::path> node_local_dirs(const std::string& tmpdir);

/// One warning per path that lies in one of `local_dirs` (compared component by component,
/// after making it absolute and normal), naming it, the directory and why that breaks a
/// cluster job. `paths` pairs a description ("the hlslim binary") with the path.
std::vector<std::string> node_local_warnings(
    const std::vector<std::pair<std::string, std::filesystem::path>>& paths,
    const std::vector<std::filesystem::path>& local_dirs);

/// What one `hlslim sweep --submit` submitted; recorded, one line each, in
/// SWEEP_DIR/slurm/submissions.
struct Submission {
  std::string time;         ///< UTC, "2024-05-01T10:00:00Z"
  std::string prepare_job;  ///< the prepare job's id; empty when none was needed
  std::string points_job;   ///< the array job's id
  std::string points;       ///< the array's point indices, "0-3,7"
};

/// One line of the record: `2024-05-01T10:00:00Z prepare=12 points=13 array=0-3,7`
/// (`prepare=-` without a prepare job).
std::string submission_line(const Submission& submission);

/// The submissions of a record, oldest first; lines that are not submission lines (comments,
/// damage) are skipped.
std::vector<Submission> parse_submissions(const std::string& text);

}  // namespace hlslim
