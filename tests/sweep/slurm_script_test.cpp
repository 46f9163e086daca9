// sbatch scripts, array specs and job ids.
#include <gtest/gtest.h>

#include "hlslim/sweep/slurm.hpp"

namespace hlslim {
namespace {

TEST(Slurm, ScriptHasTheJobTheResourcesAndTheCommand) {
  SlurmSettings slurm;
  slurm.partition = "short";
  slurm.account = "lhc";
  slurm.time = "00:30:00";
  slurm.memory = "4G";
  slurm.cpus_per_task = 2;
  slurm.directives = {"--qos=low", "#SBATCH --gres=gpu:1"};
  slurm.setup = {"module load gcc"};
  const SbatchJob job{
      "hlslim-demo",
      array_spec({0, 1, 2, 5}, 3),
      "/s/logs/point-%a.out",
      "/s",
      {"/opt/hlslim", "sweep", "/c/my config.yaml", "--point", "\"$SLURM_ARRAY_TASK_ID\""}};
  EXPECT_EQ(sbatch_script(job, slurm),
            "#!/bin/bash\n"
            "# Written by hlslim sweep --submit; submit with sbatch.\n"
            "#SBATCH --job-name=hlslim-demo\n"
            "#SBATCH --array=0-2,5%3\n"
            "#SBATCH --output=/s/logs/point-%a.out\n"
            "#SBATCH --chdir=/s\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --partition=short\n"
            "#SBATCH --account=lhc\n"
            "#SBATCH --time=00:30:00\n"
            "#SBATCH --mem=4G\n"
            "#SBATCH --cpus-per-task=2\n"
            "#SBATCH --qos=low\n"
            "#SBATCH --gres=gpu:1\n"
            "set -euo pipefail\n"
            "module load gcc\n"
            "exec /opt/hlslim sweep '/c/my config.yaml' --point \"$SLURM_ARRAY_TASK_ID\"\n");
}

TEST(Slurm, UnstatedResourcesAreLeftToTheCluster) {
  const SbatchJob job{
      "j", "", "/s/logs/shared-%j.out", "/s", {"hlslim", "sweep", "c.yaml", "--prepare"}};
  EXPECT_EQ(sbatch_script(job, SlurmSettings{}),
            "#!/bin/bash\n"
            "# Written by hlslim sweep --submit; submit with sbatch.\n"
            "#SBATCH --job-name=j\n"
            "#SBATCH --output=/s/logs/shared-%j.out\n"
            "#SBATCH --chdir=/s\n"
            "#SBATCH --ntasks=1\n"
            "set -euo pipefail\n"
            "exec hlslim sweep c.yaml --prepare\n");
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

}  // namespace
}  // namespace hlslim
