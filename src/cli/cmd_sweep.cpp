#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
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
  } else if (slurm.cpus_per_task > 0) {
    command.push_back("--threads");
    command.push_back(std::to_string(slurm.cpus_per_task));
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
  if (plan.shared_stages > 0) {
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

void do_submit(const SweepPlan& plan, const SweepArgs& args) {
  using State = PointStatus::State;
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
  const SlurmSettings& slurm = plan.spec().slurm;
  const std::string name =
      slurm.job_name.empty() ? "hlslim-" + plan.base.settings.name : slurm.job_name;
  const bool prepare = !shared_complete(plan);

  SbatchJob prepare_job{name + "-shared", "", plan.dir / "logs" / "shared-%j.out", plan.dir,
                        job_command(plan, args, "prepare")};
  SbatchJob points_job{name, array_spec(indices, slurm.max_parallel),
                       plan.dir / "logs" / "point-%a.out", plan.dir,
                       job_command(plan, args, "point")};
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
    return;
  }
  fs::create_directories(plan.dir / "logs");
  write_sweep_plan(plan);
  std::string dependency;
  if (prepare) {
    write_file_atomic(prepare_script, prepare_text);
    dependency = submit(prepare_script, "");
    std::cout << "submitted shared stages as job " << dependency << "\n";
  }
  write_file_atomic(points_script, points_text);
  const std::string job = submit(points_script, dependency);
  std::cout << "submitted points " << index_ranges(indices) << " as array job " << job
            << (dependency.empty() ? "" : " (after job " + dependency + ")") << "\n";
  write_file_atomic(plan.dir / "slurm" / "last_submission",
                    "shared " + (dependency.empty() ? "-" : dependency) + "\npoints " + job +
                        "\narray " + index_ranges(indices) + "\n");
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
  auto* prepare = cmd->add_flag("--prepare", args->prepare,
                                "Run the shared stages once into SWEEP_DIR/shared.");
  auto* point = cmd->add_option("--point", args->point,
                                "Run point K into SWEEP_DIR/points/K (a Slurm array task).")
                    ->check(CLI::NonNegativeNumber);
  auto* submit_flag = cmd->add_flag(
      "--submit", args->submit,
      "Write the sbatch scripts and submit the points not yet done (and the shared stages).");
  cmd->add_flag("--dry-run", args->dry_run, "With --submit: print the scripts, submit nothing.")
      ->needs(submit_flag);
  cmd->add_flag("--only-failed", args->only_failed,
                "With --submit: resubmit only the failed or interrupted points.")
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
