#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "hlslim/cli/cli.hpp"
#include "hlslim/pipeline/plan.hpp"
#include "hlslim/sweep/slurm.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "hlslim/util/text.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

/// `hlslim sweep --submit`: sbatch is missing or refused a job.
constexpr int kExitSubmit = 4;
/// `hlslim sweep --submit`: the sweep was submitted before and --resubmit was not given.
constexpr int kExitSubmitted = 5;

struct SweepArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string output;
  bool plan = false;
  bool prepare = false;
  std::int64_t point = -1;
  bool submit = false;
  bool dry_run = false;
  bool only_failed = false;
  bool resubmit = false;
  int threads = -1;
};

std::string self_path() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("hlslim") : self.string();
}

// The command a job runs: this hlslim on the same config, overrides and sweep directory.
std::vector<std::string> job_command(const SweepPlan& plan, const SweepArgs& args,
                                     const std::string& mode) {
  const SlurmSettings& slurm = plan.spec().slurm;
  const SlurmResources& resources = mode == "prepare" ? slurm.prepare : slurm;
  std::vector<std::string> command = {slurm.hlslim.empty() ? self_path() : slurm.hlslim, "sweep",
                                      plan.config_path.string()};
  for (const auto& override : plan.overrides) {
    command.push_back("--set");
    command.push_back(override);
  }
  command.push_back("--output");
  command.push_back(plan.dir.string());
  if (args.threads >= 0) {
    command.push_back("--threads");
    command.push_back(std::to_string(args.threads));
  } else if (resources.cpus_per_task > 0) {
    command.push_back("--threads");
    command.push_back(std::to_string(resources.cpus_per_task));
  }
  if (mode == "prepare") {
    command.push_back("--prepare");
  } else {
    command.push_back("--point");
    command.push_back("\"$SLURM_ARRAY_TASK_ID\"");
  }
  return command;
}

// Runs a command line, returning its exit status and standard output.
std::pair<int, std::string> capture(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, ""};
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string submit(const fs::path& script, const std::string& dependency) {
  std::string command = "sbatch --parsable";
  if (!dependency.empty()) command += " --dependency=afterok:" + dependency;
  command += " " + shell_quote(script.string());
  const auto [status, output] = capture(command);
  if (status != 0) {
    throw Error("'" + command + "' failed" +
                    (status == 127 ? " (is Slurm installed? sbatch was not found)" : "") + ": " +
                    output,
                kExitSubmit);
  }
  const auto id = parse_job_id(output);
  if (!id) throw Error("'" + command + "' printed no job id: " + output, kExitSubmit);
  return *id;
}

void print_plan(const SweepPlan& plan) {
  const SweepSpec& spec = plan.spec();
  std::cout << "sweep '" << plan.base.settings.name
            << "': " << enum_name(sweep_method_names(), spec.method) << ", " << plan.points.size()
            << " point(s), in " << plan.dir.string() << "\n";
  if (plan.shared_per_seed) {
    // Which seeds still need theirs: all of them reads "[to run]".
    std::vector<std::string> missing;
    for (std::size_t g = 0; g < plan.shared_groups.size(); ++g) {
      if (!shared_complete(plan, g)) missing.push_back(std::to_string(plan.shared_groups[g].seed));
    }
    std::string state = " [complete]";
    if (missing.size() == plan.shared_groups.size()) {
      state = " [to run]";
    } else if (!missing.empty()) {
      state = std::string(" [to run for seed") + (missing.size() > 1 ? "s " : " ") +
              join(missing, ", ") + "]";
    }
    std::cout << "shared stages (run once per seed into shared/seed-N/, "
              << plan.shared_groups.size() << " seed(s)): " << join(plan.shared_stage_names(), ", ")
              << state << "\n";
  } else if (plan.shared_stages > 0) {
    std::cout << "shared stages (run once into shared/): " << join(plan.shared_stage_names(), ", ")
              << (shared_complete(plan) ? " [complete]" : " [to run]") << "\n";
  } else {
    std::cout << "shared stages: none (a swept key changes the first stage)\n";
  }
  std::vector<std::string> header = {"point", "status"};
  for (const auto& parameter : spec.parameters) header.push_back(parameter.key);
  std::vector<std::vector<std::string>> rows;
  for (const auto& point : plan.points) {
    std::vector<std::string> row = {std::to_string(point.index),
                                    point_status(plan, point.index).text};
    row.insert(row.end(), point.texts.begin(), point.texts.end());
    rows.push_back(row);
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

// Jobs run on compute nodes: a binary, config or sweep directory in a node-local directory is
// not there (or is another one) when the job starts.
void warn_node_local(const SweepPlan& plan, const std::string& binary) {
  auto real = [](const fs::path& path) {
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(path, ec);
    return ec ? path : resolved;
  };
  const char* tmpdir = std::getenv("TMPDIR");
  const auto warnings = node_local_warnings({{"the hlslim binary", real(binary)},
                                             {"the config", real(plan.config_path)},
                                             {"the sweep directory", real(plan.dir)}},
                                            node_local_dirs(tmpdir ? tmpdir : ""));
  for (const auto& warning : warnings) spdlog::warn("{}", warning);
}

std::string describe(const Submission& submission) {
  return "on " + submission.time + ": " +
         (submission.prepare_job.empty() ? "" : "prepare job " + submission.prepare_job + " and ") +
         "array job " + submission.points_job + " (points " + submission.points + ")";
}

// The error for a second --submit without --resubmit: what was submitted, how to look at it and
// how to go on.
Error already_submitted(const std::vector<Submission>& submissions, const fs::path& record) {
  const Submission& last = submissions.back();
  std::string jobs = last.points_job;
  if (!last.prepare_job.empty()) jobs = last.prepare_job + "," + jobs;
  return Error(
      "hlslim sweep --submit: this sweep was submitted " +
          (submissions.size() > 1 ? std::to_string(submissions.size()) + " times, last "
                                  : std::string()) +
          describe(last) + " (recorded in " + record.string() +
          "); nothing was submitted. Check those jobs ('squeue -j " + jobs + "', 'sacct -j " +
          jobs + "') and cancel any still queued or running ('scancel " + jobs +
          "'), then give --resubmit to submit every point not done, or --only-failed for the "
          "failed and interrupted ones only",
      kExitSubmitted);
}

void do_submit(const SweepPlan& plan, const SweepArgs& args) {
  using State = PointStatus::State;
  const SlurmSettings& slurm = plan.spec().slurm;
  warn_node_local(plan, slurm.hlslim.empty() ? self_path() : slurm.hlslim);
  std::vector<std::size_t> indices;
  std::size_t done = 0;
  for (const auto& point : plan.points) {
    const PointStatus status = point_status(plan, point.index);
    if (status.state == State::kDone) ++done;
    if (status.state == State::kRunning) {
      spdlog::warn("point {} is marked running; if its job is still active, cancel it first",
                   point.index);
    }
    const bool wanted =
        args.only_failed ? status.state == State::kFailed : status.state != State::kDone;
    if (wanted) indices.push_back(point.index);
  }
  if (indices.empty()) {
    std::cout << (args.only_failed ? "no point has failed" : "every point is complete")
              << "; nothing to submit (" << done << " of " << plan.points.size() << " done)\n";
    return;
  }
  // A second submission would run points twice while the first jobs are still queued: it needs
  // the user's word. --only-failed asks for exactly that, for points that no job is running.
  const fs::path record = plan.dir / "slurm" / "submissions";
  std::vector<Submission> submissions;
  std::error_code ec;
  if (fs::exists(record, ec)) submissions = parse_submissions(read_file(record));
  const bool refused = !submissions.empty() && !args.resubmit && !args.only_failed;
  if (refused && !args.dry_run) throw already_submitted(submissions, record);

  const std::string name =
      slurm.job_name.empty() ? "hlslim-" + plan.base.settings.name : slurm.job_name;
  const bool prepare = !shared_complete(plan);

  // %A_%a and %j: every attempt keeps its own log, so a resubmission never overwrites the log
  // of the attempt that failed.
  SbatchJob prepare_job{name + "-shared",
                        "",
                        plan.dir / "logs" / "shared-%j.out",
                        plan.dir,
                        job_command(plan, args, "prepare"),
                        slurm.prepare};
  SbatchJob points_job{
      name,     array_spec(indices, slurm.max_parallel), plan.dir / "logs" / "point-%A_%a.out",
      plan.dir, job_command(plan, args, "point"),        slurm};
  const fs::path prepare_script = plan.dir / "slurm" / "prepare.sbatch";
  const fs::path points_script = plan.dir / "slurm" / "points.sbatch";
  const std::string prepare_text = sbatch_script(prepare_job, slurm);
  const std::string points_text = sbatch_script(points_job, slurm);

  if (args.dry_run) {
    if (prepare) {
      std::cout << "# " << prepare_script.string() << " (submitted first: sbatch --parsable "
                << prepare_script.string() << ")\n"
                << prepare_text << "\n";
    }
    std::cout << "# " << points_script.string() << " (sbatch --parsable "
              << (prepare ? "--dependency=afterok:<shared job> " : "") << points_script.string()
              << ")\n"
              << points_text;
    std::cout << "# dry run: " << indices.size() << " point(s) to submit: " << index_ranges(indices)
              << "; nothing was written or submitted\n";
    if (refused) {
      std::cout << "# this sweep was submitted " << describe(submissions.back())
                << ": --submit needs --resubmit (or --only-failed) to submit again\n";
    }
    return;
  }
  fs::create_directories(plan.dir / "logs");
  write_sweep_plan(plan);
  Submission submission;
  if (prepare) {
    write_file_atomic(prepare_script, prepare_text);
    submission.prepare_job = submit(prepare_script, "");
    std::cout << "submitted shared stages as job " << submission.prepare_job << "\n";
  }
  write_file_atomic(points_script, points_text);
  try {
    submission.points_job = submit(points_script, submission.prepare_job);
  } catch (const Error& e) {
    if (submission.prepare_job.empty()) throw;
    throw Error(std::string(e.what()) + "; the shared stages' job " + submission.prepare_job +
                    " was submitted: cancel it with 'scancel " + submission.prepare_job + "'",
                e.exit_code());
  }
  submission.time = utc_timestamp();
  submission.points = index_ranges(indices);
  std::cout << "submitted points " << submission.points << " as array job " << submission.points_job
            << (prepare ? " (after job " + submission.prepare_job + ")" : "") << "\n";
  std::string text =
      "# hlslim sweep --submit: one line per submission (UTC time, the shared stages' job, the "
      "array job, its points)\n";
  for (const auto& previous : submissions) text += submission_line(previous) + "\n";
  write_file_atomic(record, text + submission_line(submission) + "\n");
}

}  // namespace

void add_sweep_command(CLI::App& app, CliContext& context) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Scan the keys of a config's sweep block: list, prepare, run or submit its points "
      "(docs/sweeps.md).");
  cmd->add_option("config", args->config, "Pipeline config with a 'sweep:' block (YAML).")
      ->required();
  cmd->add_option("--set", args->overrides, "Override a config key (repeatable).")
      ->allow_extra_args(false);
  cmd->add_option("--output", args->output, "Sweep directory (overrides the config's 'output').");
  auto* plan = cmd->add_flag("--plan", args->plan, "List the points, their values and status.");
  auto* prepare =
      cmd->add_flag("--prepare", args->prepare,
                    "Run the shared stages once into SWEEP_DIR/shared (once per seed into "
                    "SWEEP_DIR/shared/seed-N when seed is swept with other keys).");
  auto* point = cmd->add_option("--point", args->point,
                                "Run point K into SWEEP_DIR/points/K (a Slurm array task).")
                    ->check(CLI::NonNegativeNumber);
  auto* submit_flag = cmd->add_flag(
      "--submit", args->submit,
      "Write the sbatch scripts and submit the points not yet done (and the shared stages).");
  cmd->add_flag("--dry-run", args->dry_run, "With --submit: print the scripts, submit nothing.")
      ->needs(submit_flag);
  cmd->add_flag("--resubmit", args->resubmit,
                "With --submit: submit again a sweep that was submitted before (the points not "
                "done); cancel its jobs that are still queued or running first.")
      ->needs(submit_flag);
  cmd->add_flag("--only-failed", args->only_failed,
                "With --submit: resubmit only the failed or interrupted points (implies "
                "--resubmit).")
      ->needs(submit_flag);
  cmd->add_option("--threads", args->threads, "CPU threads of the runs (same as --set threads=N).")
      ->check(CLI::Range(0, 1024));
  plan->excludes(prepare, point, submit_flag);
  prepare->excludes(point, submit_flag);
  point->excludes(submit_flag);
  cmd->callback([args, &context] {
    if (!args->plan && !args->prepare && args->point < 0 && !args->submit) {
      throw Error("hlslim sweep: give one of --plan, --prepare, --point K or --submit",
                  kExitConfig);
    }
    auto overrides = args->overrides;
    if (args->threads >= 0) overrides.push_back("threads=" + std::to_string(args->threads));
    const SweepPlan plan = load_sweep(args->config, overrides, args->output, *context.registry);
    if (args->submit) {
      do_submit(plan, *args);
      return;
    }
    fs::create_directories(plan.dir);
    write_sweep_plan(plan);
    if (args->plan) {
      print_plan(plan);
      return;
    }
    install_interrupt_handlers();
    if (args->prepare) {
      prepare_shared(plan);
      return;
    }
    const RunResult result = run_point(plan, static_cast<std::size_t>(args->point));
    spdlog::info("point {}: {} stage(s) ran, {} reused ({} shared); outputs in {}", args->point,
                 result.ran.size(), result.reused.size(), result.linked.size(),
                 result.run_dir.string());
  });
}

}  // namespace hlslim
