#include "hlslim/sweep/slurm.hpp"

#include <cctype>
#include <sstream>

namespace hlslim {

std::string shell_quote(const std::string& argument) {
  const bool plain = !argument.empty() && argument.find_first_not_of(
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-.,/:=+@%") == std::string::npos;
  if (plain) return argument;
  std::string out = "'";
  for (char c : argument) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string array_spec(const std::vector<std::size_t>& indices, std::int64_t max_parallel) {
  std::string spec = index_ranges(indices);
  if (max_parallel > 0) spec += "%" + std::to_string(max_parallel);
  return spec;
}

std::string sbatch_script(const SbatchJob& job, const SlurmSettings& slurm) {
  std::ostringstream out;
  out << "#!/bin/bash\n";
  out << "# Written by hlslim sweep --submit; submit with sbatch.\n";
  out << "#SBATCH --job-name=" << shell_quote(job.job_name) << "\n";
  if (!job.array.empty()) out << "#SBATCH --array=" << job.array << "\n";
  out << "#SBATCH --output=" << shell_quote(job.log.string()) << "\n";
  out << "#SBATCH --chdir=" << shell_quote(job.workdir.string()) << "\n";
  out << "#SBATCH --ntasks=1\n";
  if (!slurm.partition.empty()) out << "#SBATCH --partition=" << slurm.partition << "\n";
  if (!slurm.account.empty()) out << "#SBATCH --account=" << slurm.account << "\n";
  if (!slurm.time.empty()) out << "#SBATCH --time=" << slurm.time << "\n";
  if (!slurm.memory.empty()) out << "#SBATCH --mem=" << slurm.memory << "\n";
  if (slurm.cpus_per_task > 0) out << "#SBATCH --cpus-per-task=" << slurm.cpus_per_task << "\n";
  for (const auto& directive : slurm.directives) {
    const std::string prefix = "#SBATCH";
    out << (directive.compare(0, prefix.size(), prefix) == 0 ? directive : prefix + " " + directive)
        << "\n";
  }
  out << "set -euo pipefail\n";
  for (const auto& line : slurm.setup) out << line << "\n";
  out << "exec";
  for (const auto& argument : job.command) {
    // $SLURM_ARRAY_TASK_ID and friends must expand in the job, so they stay double-quoted.
    if (argument.size() > 1 && argument[0] == '"')
      out << " " << argument;
    else
      out << " " << shell_quote(argument);
  }
  out << "\n";
  return out.str();
}

std::optional<std::string> parse_job_id(const std::string& sbatch_output) {
  std::string text = sbatch_output;
  const std::string phrase = "Submitted batch job";
  if (const auto at = text.find(phrase); at != std::string::npos)
    text = text.substr(at + phrase.size());
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::size_t j = i;
  while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
  if (j == i) return std::nullopt;
  if (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != ';')
    return std::nullopt;
  return text.substr(i, j - i);
}

}  // namespace hlslim
