#pragma once

// Builders shared by the torch-free test executables (engine, HLS export): small graphs of a few
// layers with given weights, and their fixed-point types from hls4ml strings. Header-only; needs
// only the engine, graph and quant headers.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/quant/fixed_type.hpp"

namespace hlslim::testing::fixed {

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

/// A model precision: the input type and one precision a layer.
inline ModelPrecision model_precision(const std::string& input,
                                      std::vector<LayerPrecision> layers) {
  ModelPrecision p;
  p.input = fx(input);
  p.layers = std::move(layers);
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

/// Dense layer of weights [units, n_in] (row-major); no bias when `bias` is empty.
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
                  Padding padding, std::vector<float> weights, std::vector<float> bias = {}) {
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

/// Pooling layer with the given window (= stride) per spatial dimension.
inline Layer pool(const std::string& name, LayerKind kind, std::vector<std::int64_t> window) {
  Layer l = layer(name, kind);
  l.params.pool = std::move(window);
  return l;
}

/// Batch norm over gamma.size() channels; `eps` defaults to the layer parameter's default.
inline Layer batch_norm(const std::string& name, std::vector<float> gamma, std::vector<float> beta,
                        std::vector<float> mean, std::vector<float> var,
                        double eps = LayerParams{}.eps) {
  Layer l = layer(name, LayerKind::kBatchNorm);
  const std::int64_t c = static_cast<std::int64_t>(gamma.size());
  l.params.eps = eps;
  l.tensors["weight"] = tensor({c}, std::move(gamma));
  l.tensors["bias"] = tensor({c}, std::move(beta));
  l.tensors["running_mean"] = tensor({c}, std::move(mean));
  l.tensors["running_var"] = tensor({c}, std::move(var));
  return l;
}

/// A graph that runs `layers` one after the other on inputs of shape `input`.
inline Graph chain(Shape input, std::vector<Layer> layers, const std::string& name = "m") {
  Graph g;
  g.name = name;
  g.input_shape = std::move(input);
  g.layers = std::move(layers);
  return g;
}

}  // namespace hlslim::testing::fixed
