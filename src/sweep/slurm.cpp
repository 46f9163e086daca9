#include "hlslim/sweep/slurm.hpp"

#include <cctype>
#include <sstream>

namespace fs = std::filesystem;

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
  const SlurmResources& r = job.resources;
  std::ostringstream out;
  out << "#!/bin/bash\n";
  out << "# Written by hlslim sweep --submit; submit with sbatch.\n";
  out << "#SBATCH --job-name=" << shell_quote(job.job_name) << "\n";
  if (!job.array.empty()) out << "#SBATCH --array=" << job.array << "\n";
  out << "#SBATCH --output=" << shell_quote(job.log.string()) << "\n";
  out << "#SBATCH --chdir=" << shell_quote(job.workdir.string()) << "\n";
  out << "#SBATCH --ntasks=1\n";
  // B: signals the batch shell only, which is hlslim itself (exec below): it checkpoints and
  // stops before the time limit's SIGKILL.
  if (slurm.signal_seconds > 0) out << "#SBATCH --signal=B:TERM@" << slurm.signal_seconds << "\n";
  // An array that waits for the prepare job is cancelled when that job fails, instead of
  // pending forever with reason DependencyNeverSatisfied.
  if (!job.array.empty()) out << "#SBATCH --kill-on-invalid-dep=yes\n";
  if (!r.partition.empty()) out << "#SBATCH --partition=" << r.partition << "\n";
  if (!r.account.empty()) out << "#SBATCH --account=" << r.account << "\n";
  if (!r.time.empty()) out << "#SBATCH --time=" << r.time << "\n";
  if (!r.memory.empty()) out << "#SBATCH --mem=" << r.memory << "\n";
  if (r.cpus_per_task > 0) out << "#SBATCH --cpus-per-task=" << r.cpus_per_task << "\n";
  for (const auto& directive : r.directives) {
    const std::string prefix = "#SBATCH";
    out << (directive.compare(0, prefix.size(), prefix) == 0 ? directive : prefix + " " + directive)
        << "\n";
  }
  // Site setup scripts often expand unset variables or return non-zero: they run before the
  // strict mode that guards hlslim's own line.
  for (const auto& line : slurm.setup) out << line << "\n";
  out << "set -euo pipefail\n";
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

fs::path latest_point_log(const fs::path& log_dir, std::size_t index) {
  const std::string suffix = "_" + std::to_string(index) + ".out";
  const std::string prefix = "point-";
  fs::path best;
  std::string best_job;
  std::error_code ec;
  for (fs::directory_iterator it(log_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix))
      continue;
    const std::string job = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (job.find_first_not_of("0123456789") != std::string::npos) continue;
    // Job ids grow: compare them as numbers, by length first.
    if (best.empty() || job.size() > best_job.size() ||
        (job.size() == best_job.size() && job > best_job)) {
      best = it->path();
      best_job = job;
    }
  }
  return best;
}

std::vector<fs::path> node_local_dirs(const std::string& tmpdir) {
  std::vector<fs::path> dirs = {"/tmp", "/var/tmp", "/dev/shm"};
  const fs::path tmp = fs::path(tmpdir).lexically_normal();
  if (tmp.is_absolute() && tmp != tmp.root_path()) dirs.push_back(tmp);
  return dirs;
}

namespace {

bool lies_in(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> node_local_warnings(
    const std::vector<std::pair<std::string, fs::path>>& paths,
    const std::vector<fs::path>& local_dirs) {
  std::vector<std::string> warnings;
  for (const auto& [what, path] : paths) {
    const fs::path normal = fs::absolute(path).lexically_normal();
    for (const auto& dir : local_dirs) {
      if (!lies_in(normal, dir.lexically_normal())) continue;
      warnings.push_back(what + " " + normal.string() + " is in " + dir.string() +
                         ", which is local to each node: the compute nodes see their own " +
                         dir.string() + ", not this one; put it on a shared file system");
      break;
    }
  }
  return warnings;
}

std::string submission_line(const Submission& submission) {
  return submission.time +
         " prepare=" + (submission.prepare_job.empty() ? "-" : submission.prepare_job) +
         " points=" + submission.points_job + " array=" + submission.points;
}

std::vector<Submission> parse_submissions(const std::string& text) {
  std::vector<Submission> submissions;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Submission s;
    std::string prepare, points, array;
    if (!(words >> s.time >> prepare >> points >> array)) continue;
    auto value = [](const std::string& word, const std::string& key, std::string& into) {
      if (word.compare(0, key.size() + 1, key + "=") != 0) return false;
      into = word.substr(key.size() + 1);
      return true;
    };
    if (!value(prepare, "prepare", s.prepare_job) || !value(points, "points", s.points_job) ||
        !value(array, "array", s.points))
      continue;
    if (s.prepare_job == "-") s.prepare_job.clear();
    submissions.push_back(s);
  }
  return submissions;
}

}  // namespace hlslim
