// sbatch scripts, array specs, job ids, logs, node-local paths and the submission record.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "hlslim/sweep/slurm.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;

SlurmResources point_resources() {
  SlurmResources r;
  r.partition = "short";
  r.account = "lhc";
  r.time = "00:30:00";
  r.memory = "4G";
  r.cpus_per_task = 2;
  r.directives = {"--qos=low", "#SBATCH --gres=gpu:1"};
  return r;
}

TEST(Slurm, ScriptHasTheJobTheResourcesAndTheCommand) {
  SlurmSettings slurm;
  slurm.setup = {"module load gcc"};
  const SbatchJob job{
      "hlslim-demo",
      array_spec({0, 1, 2, 5}, 3),
      "/s/logs/point-%A_%a.out",
      "/s",
      {"/opt/hlslim", "sweep", "/c/my config.yaml", "--point", "\"$SLURM_ARRAY_TASK_ID\""},
      point_resources()};
  EXPECT_EQ(sbatch_script(job, slurm),
            "#!/bin/bash\n"
            "# Written by hlslim sweep --submit; submit with sbatch.\n"
            "#SBATCH --job-name=hlslim-demo\n"
            "#SBATCH --array=0-2,5%3\n"
            "#SBATCH --output=/s/logs/point-%A_%a.out\n"
            "#SBATCH --chdir=/s\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --signal=B:TERM@120\n"
            "#SBATCH --kill-on-invalid-dep=yes\n"
            "#SBATCH --partition=short\n"
            "#SBATCH --account=lhc\n"
            "#SBATCH --time=00:30:00\n"
            "#SBATCH --mem=4G\n"
            "#SBATCH --cpus-per-task=2\n"
            "#SBATCH --qos=low\n"
            "#SBATCH --gres=gpu:1\n"
            "module load gcc\n"
            "set -euo pipefail\n"
            "exec /opt/hlslim sweep '/c/my config.yaml' --point \"$SLURM_ARRAY_TASK_ID\"\n");
}

TEST(Slurm, UnstatedResourcesAreLeftToTheCluster) {
  const SbatchJob job{
      "j", "", "/s/logs/shared-%j.out", "/s", {"hlslim", "sweep", "c.yaml", "--prepare"}, {}};
  EXPECT_EQ(sbatch_script(job, SlurmSettings{}),
            "#!/bin/bash\n"
            "# Written by hlslim sweep --submit; submit with sbatch.\n"
            "#SBATCH --job-name=j\n"
            "#SBATCH --output=/s/logs/shared-%j.out\n"
            "#SBATCH --chdir=/s\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --signal=B:TERM@120\n"
            "set -euo pipefail\n"
            "exec hlslim sweep c.yaml --prepare\n");
}

// Site setup scripts expand unset variables: under `set -u` the job would die in them.
TEST(Slurm, SetupLinesRunBeforeTheStrictMode) {
  SlurmSettings slurm;
  slurm.setup = {"source /cvmfs/site/setup.sh", "module load gcc/12"};
  const std::string script = sbatch_script({"j", "", "/s/j.out", "/s", {"hlslim"}, {}}, slurm);
  const auto strict = script.find("set -euo pipefail\n");
  ASSERT_NE(strict, std::string::npos) << script;
  EXPECT_LT(script.find("source /cvmfs/site/setup.sh\nmodule load gcc/12\n"), strict) << script;
  EXPECT_LT(strict, script.find("exec hlslim\n")) << script;
}

TEST(Slurm, TheSignalLeadIsConfigurable) {
  SlurmSettings slurm;
  slurm.signal_seconds = 300;
  const SbatchJob job{"j", "", "/s/j.out", "/s", {"hlslim"}, {}};
  EXPECT_NE(sbatch_script(job, slurm).find("\n#SBATCH --signal=B:TERM@300\n"), std::string::npos);
  slurm.signal_seconds = 0;
  EXPECT_EQ(sbatch_script(job, slurm).find("--signal"), std::string::npos);
}

SlurmSettings parse_slurm(const std::string& yaml, std::string& errors) {
  Diagnostics diagnostics;
  const ConfigSource source = ConfigSource::load_string(yaml, "s.yaml", ".", diagnostics);
  const SweepSpec spec = parse_sweep(source, source.root()["sweep"], "sweep", diagnostics);
  errors = diagnostics.format();
  return spec.slurm;
}

// The prepare job trains the shared stages once: it gets resources of its own, each key it does
// not state falling back to the points'.
TEST(Slurm, ThePrepareJobHasItsOwnResources) {
  std::string errors;
  const SlurmSettings slurm = parse_slurm(R"(sweep:
  parameters: {a.b: [1, 2]}
  slurm:
    partition: short
    account: lhc
    time: "00:30:00"
    memory: 4G
    cpus_per_task: 2
    directives: [--qos=low]
    signal_seconds: 300
    prepare: {time: "04:00:00", memory: 16G, cpus_per_task: 8, directives: []}
)",
                                          errors);
  ASSERT_EQ(errors, "");
  EXPECT_EQ(slurm.time, "00:30:00");
  EXPECT_EQ(slurm.memory, "4G");
  EXPECT_EQ(slurm.cpus_per_task, 2);
  EXPECT_EQ(slurm.signal_seconds, 300);
  EXPECT_EQ(slurm.prepare.partition, "short");
  EXPECT_EQ(slurm.prepare.account, "lhc");
  EXPECT_EQ(slurm.prepare.time, "04:00:00");
  EXPECT_EQ(slurm.prepare.memory, "16G");
  EXPECT_EQ(slurm.prepare.cpus_per_task, 8);
  EXPECT_TRUE(slurm.prepare.directives.empty());
  const SbatchJob job{"j", "", "/s/j.out", "/s", {"hlslim"}, slurm.prepare};
  EXPECT_NE(sbatch_script(job, slurm)
                .find("#SBATCH --partition=short\n"
                      "#SBATCH --account=lhc\n"
                      "#SBATCH --time=04:00:00\n"
                      "#SBATCH --mem=16G\n"
                      "#SBATCH --cpus-per-task=8\n"
                      "set -euo pipefail\n"),
            std::string::npos);

  // Without a prepare block, the prepare job asks for what a point asks for.
  const SlurmSettings same = parse_slurm(
      "sweep:\n  parameters: {a.b: [1]}\n  slurm: {time: '00:10:00', directives: [--qos=x]}\n",
      errors);
  ASSERT_EQ(errors, "");
  EXPECT_EQ(same.signal_seconds, 120);
  EXPECT_EQ(same.prepare.time, "00:10:00");
  EXPECT_EQ(same.prepare.directives, std::vector<std::string>{"--qos=x"});

  parse_slurm(
      "sweep:\n  parameters: {a.b: [1]}\n  slurm: {prepare: {tme: 1}, signal_seconds: -1}\n",
      errors);
  EXPECT_EQ(errors,
            "s.yaml:3:21: error: unknown key 'tme' in 'sweep.slurm.prepare' in 'sweep.slurm' in "
            "the sweep block (did you mean 'time'?)\n"
            "s.yaml:3:46: error: value -1 of 'signal_seconds' in 'sweep.slurm' in the sweep block "
            "is out of range (0 <= value <= 65535)\n"
            "2 errors found; nothing was run.\n");
}

TEST(Slurm, JobIds) {
  EXPECT_EQ(parse_job_id("1234\n"), "1234");
  EXPECT_EQ(parse_job_id("1234;cluster\n"), "1234");
  EXPECT_EQ(parse_job_id("Submitted batch job 77\n"), "77");
  EXPECT_EQ(parse_job_id("sbatch: error: invalid partition\n"), std::nullopt);
  EXPECT_EQ(parse_job_id(""), std::nullopt);
}

TEST(Slurm, ShellQuoting) {
  EXPECT_EQ(shell_quote("plain/path-1.yaml"), "plain/path-1.yaml");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(array_spec({3, 4, 9}, 0), "3-4,9");
}

TEST(Slurm, TheLatestLogOfAPointIsTheOneOfTheHighestJob) {
  const fs::path dir =
      fs::temp_directory_path() / ("hlslim-slurm-logs-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* name : {"point-998_3.out", "point-1002_3.out", "point-1002_13.out",
                           "point-3.out", "point-x_3.out", "shared-1001.out"}) {
    std::ofstream(dir / name) << "log\n";
  }
  EXPECT_EQ(latest_point_log(dir, 3), dir / "point-1002_3.out");
  EXPECT_EQ(latest_point_log(dir, 13), dir / "point-1002_13.out");
  EXPECT_EQ(latest_point_log(dir, 4), fs::path());
  EXPECT_EQ(latest_point_log(dir / "none", 3), fs::path());
  fs::remove_all(dir);
}

TEST(Slurm, NodeLocalPathsAreNamed) {
  EXPECT_EQ(node_local_dirs(""), (std::vector<fs::path>{"/tmp", "/var/tmp", "/dev/shm"}));
  EXPECT_EQ(node_local_dirs("/"), (std::vector<fs::path>{"/tmp", "/var/tmp", "/dev/shm"}));
  EXPECT_EQ(node_local_dirs("/scratch/local/"),
            (std::vector<fs::path>{"/tmp", "/var/tmp", "/dev/shm", "/scratch/local/"}));
  const auto warnings = node_local_warnings({{"the hlslim binary", "/home/u/bin/hlslim"},
                                             {"the config", "/tmp/u/../u/sweep.yaml"},
                                             {"the sweep directory", "/scratch/local/run"},
                                             {"the output", "/tmpfs/run"},
                                             {"the log", "/dev/shm"}},
                                            node_local_dirs("/scratch/local"));
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0],
            "the config /tmp/u/sweep.yaml is in /tmp, which is local to each node: the compute "
            "nodes see their own /tmp, not this one; put it on a shared file system");
  EXPECT_EQ(warnings[1].substr(0, 60),
            "the sweep directory /scratch/local/run is in /scratch/local,");
  EXPECT_EQ(warnings[2].substr(0, 31), "the log /dev/shm is in /dev/shm");
}

TEST(Slurm, SubmissionsAreRecordedOneLineEach) {
  const Submission first{"2024-05-01T10:00:00.000Z", "12", "13", "0-3,7"};
  const Submission second{"2024-05-02T08:00:00.000Z", "", "20", "3"};
  EXPECT_EQ(submission_line(first), "2024-05-01T10:00:00.000Z prepare=12 points=13 array=0-3,7");
  EXPECT_EQ(submission_line(second), "2024-05-02T08:00:00.000Z prepare=- points=20 array=3");
  const auto parsed = parse_submissions("# a comment\n" + submission_line(first) +
                                        "\ngarbage line here\n" + submission_line(second) + "\n");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].prepare_job, "12");
  EXPECT_EQ(parsed[0].points_job, "13");
  EXPECT_EQ(parsed[0].points, "0-3,7");
  EXPECT_EQ(parsed[1].time, "2024-05-02T08:00:00.000Z");
  EXPECT_EQ(parsed[1].prepare_job, "");
  EXPECT_TRUE(parse_submissions("").empty());
}

}  // namespace
}  // namespace hlslim
