#pragma once

// Builders for the HLS export tests: small quantized graphs with given or random weights and
// types, and a runner for the generated C simulation.

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/quant/fixed_type.hpp"

namespace hlslim::export_test {

inline FixedType fx(const std::string& text) {
  const FixedTypeResult parsed = parse_fixed_type(text);
  if (!parsed) throw std::runtime_error(text + ": " + parsed.error);
  return *parsed.type;
}

/// A layer precision from hls4ml strings; nullptr leaves a role empty.
inline LayerPrecision roles(const char* weight, const char* bias, const char* accum,
                            const char* result) {
  LayerPrecision p;
  if (weight) p.weight = fx(weight);
  if (bias) p.bias = fx(bias);
  if (accum) p.accum = fx(accum);
  if (result) p.result = fx(result);
  return p;
}

inline Tensor tensor(std::vector<std::int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.shape = std::move(shape);
  t.values = std::move(values);
  return t;
}

inline Layer layer(const std::string& name, LayerKind kind) {
  Layer l;
  l.name = name;
  l.kind = kind;
  return l;
}

/// Dense layer with weights [units, n_in]; no bias when `bias` is empty.
inline Layer dense(const std::string& name, std::int64_t n_in, std::vector<float> weights,
                   std::vector<float> bias = {}) {
  Layer l = layer(name, LayerKind::kDense);
  l.params.units = static_cast<std::int64_t>(weights.size()) / n_in;
  l.params.bias = !bias.empty();
  l.tensors["weight"] = tensor({l.params.units, n_in}, std::move(weights));
  if (!bias.empty()) l.tensors["bias"] = tensor({l.params.units}, std::move(bias));
  return l;
}

/// Convolution with weights [filters, channels_in, kernel...]; no bias when `bias` is empty.
inline Layer conv(const std::string& name, LayerKind kind, std::int64_t channels_in,
                  std::vector<std::int64_t> kernel, std::vector<std::int64_t> stride,
                  const std::string& padding, std::vector<float> weights,
                  std::vector<float> bias = {}) {
  Layer l = layer(name, kind);
  std::int64_t per_filter = channels_in;
  for (std::int64_t k : kernel) per_filter *= k;
  l.params.filters = static_cast<std::int64_t>(weights.size()) / per_filter;
  l.params.kernel = kernel;
  l.params.stride = std::move(stride);
  l.params.padding = padding;
  l.params.bias = !bias.empty();
  std::vector<std::int64_t> shape{l.params.filters, channels_in};
  shape.insert(shape.end(), kernel.begin(), kernel.end());
  l.tensors["weight"] = tensor(shape, std::move(weights));
  if (!bias.empty()) l.tensors["bias"] = tensor({l.params.filters}, std::move(bias));
  return l;
}

inline Layer pool(const std::string& name, LayerKind kind, std::vector<std::int64_t> window) {
  Layer l = layer(name, kind);
  l.params.pool = std::move(window);
  return l;
}

inline Layer batch_norm(const std::string& name, std::vector<float> gamma, std::vector<float> beta,
                        std::vector<float> mean, std::vector<float> var) {
  Layer l = layer(name, LayerKind::kBatchNorm);
  const std::int64_t c = static_cast<std::int64_t>(gamma.size());
  l.tensors["weight"] = tensor({c}, std::move(gamma));
  l.tensors["bias"] = tensor({c}, std::move(beta));
  l.tensors["running_mean"] = tensor({c}, std::move(mean));
  l.tensors["running_var"] = tensor({c}, std::move(var));
  return l;
}

/// A chain with its precisions stored as attributes (as the quantize stage leaves it).
inline Graph quantized_chain(const std::string& name, Shape input, std::vector<Layer> layers,
                             const std::string& input_type, std::vector<LayerPrecision> types) {
  Graph g;
  g.name = name;
  g.input_shape = std::move(input);
  g.layers = std::move(layers);
  ModelPrecision p;
  p.input = fx(input_type);
  p.layers = std::move(types);
  store_precision(g, p);
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
