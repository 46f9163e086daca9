#pragma once

// Builders for the HLS export tests: small quantized graphs with given (the shared builders of
// support/fixed_graphs.hpp) or random weights and types, and a runner for the generated C
// simulation.

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"
#include "support/fixed_graphs.hpp"

namespace hlslim::export_test {

// The shared builders, under this namespace too (export_test::dense, ...).
using namespace testing::fixed;

/// A chain with its precisions stored as attributes (as the quantize stage leaves it).
inline Graph quantized_chain(const std::string& name, Shape input, std::vector<Layer> layers,
                             const std::string& input_type, std::vector<LayerPrecision> types) {
  Graph g = chain(std::move(input), std::move(layers), name);
  store_precision(g, model_precision(input_type, std::move(types)));
  return g;
}

/// Random weights: multiples of `step` in [-range, range], `zero_percent` of them exactly 0.
inline std::vector<float> random_weights(std::mt19937_64& rng, std::size_t n, double range,
                                         double step, int zero_percent) {
  std::uniform_real_distribution<double> value(-range, range);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<float> w(n);
  for (float& v : w) {
    if (percent(rng) < zero_percent) continue;
    v = static_cast<float>(std::round(value(rng) / step) * step);
    if (v == 0) v = static_cast<float>(step);
  }
  return w;
}

/// Random inputs in [lo, hi] with some values on exact half-steps of `step`.
inline std::vector<float> random_inputs(std::mt19937_64& rng, std::size_t n, double lo, double hi,
                                        double step) {
  std::uniform_real_distribution<double> value(lo, hi);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<float> x(n);
  for (float& v : x) {
    const double r = value(rng);
    v = static_cast<float>(percent(rng) < 30 ? (std::floor(r / step) + 0.5) * step : r);
  }
  return x;
}

/// Runs a shell command, returning its exit status and its output (stdout and stderr).
inline int run_command(const std::string& command, std::string& output) {
  output.clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// A fresh, empty directory under the system's temporary directory.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("hlslim_export_hls_" + name + "_" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace hlslim::export_test
