#pragma once

// An independent float forward pass of a model graph (double, channels-first, batch of one),
// the reference the ONNX Runtime test compares the standard ONNX export against. It follows
// LibTorch's definitions (docs/engine.md gives the same geometry).

#include <algorithm>
#include <cmath>
#include <vector>

#include "hlslim/graph/graph.hpp"

namespace hlslim::export_test {

inline std::vector<double> masked(const Layer& layer, const std::string& name) {
  const auto& v = layer.tensors.at(name).values;
  std::vector<double> out(v.begin(), v.end());
  const auto mask = layer.tensors.find(name + "_mask");
  if (mask != layer.tensors.end()) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] *= mask->second.values[i];
  }
  return out;
}

/// One event through the graph; `x` holds shape_numel(graph.input_shape) values.
inline std::vector<double> float_forward(const Graph& graph, std::vector<double> x) {
  const std::vector<Shape> shapes = graph.shapes();
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    const LayerParams& p = layer.params;
    const Shape& in = shapes[i];
    const Shape& out_shape = shapes[i + 1];
    std::vector<double> y(static_cast<std::size_t>(shape_numel(out_shape)), 0.0);
    switch (layer.kind) {
      case LayerKind::kDense: {
        const auto w = masked(layer, "weight");
        const std::size_t n_in = x.size();
        for (std::size_t o = 0; o < y.size(); ++o) {
          double sum = p.bias ? masked(layer, "bias")[o] : 0.0;
          for (std::size_t k = 0; k < n_in; ++k) sum += w[o * n_in + k] * x[k];
          y[o] = sum;
        }
        break;
      }
      case LayerKind::kConv1d:
      case LayerKind::kConv2d: {
        // Treat 1-D as 2-D with height 1.
        const bool two = layer.kind == LayerKind::kConv2d;
        const std::int64_t c_in = in[0], h = two ? in[1] : 1, w = two ? in[2] : in[1];
        const std::int64_t kh = two ? p.kernel[0] : 1, kw = p.kernel.back();
        const std::int64_t sh = two ? p.stride[0] : 1, sw = p.stride.back();
        const std::int64_t oh = two ? out_shape[1] : 1, ow = out_shape.back();
        const std::int64_t ph = p.padding == Padding::kSame ? (kh - 1) / 2 : 0;
        const std::int64_t pw = p.padding == Padding::kSame ? (kw - 1) / 2 : 0;
        const auto weight = masked(layer, "weight");
        const std::vector<double> bias = p.bias ? masked(layer, "bias") : std::vector<double>();
        for (std::int64_t m = 0; m < p.filters; ++m) {
          for (std::int64_t r = 0; r < oh; ++r) {
            for (std::int64_t c = 0; c < ow; ++c) {
              double sum = bias.empty() ? 0.0 : bias[m];
              for (std::int64_t ch = 0; ch < c_in; ++ch) {
                for (std::int64_t a = 0; a < kh; ++a) {
                  for (std::int64_t b = 0; b < kw; ++b) {
                    const std::int64_t yy = r * sh + a - ph, xx = c * sw + b - pw;
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                    sum += weight[((m * c_in + ch) * kh + a) * kw + b] * x[(ch * h + yy) * w + xx];
                  }
                }
              }
              y[(m * oh + r) * ow + c] = sum;
            }
          }
        }
        break;
      }
      case LayerKind::kMaxPool1d:
      case LayerKind::kMaxPool2d:
      case LayerKind::kAvgPool1d:
      case LayerKind::kAvgPool2d:
      case LayerKind::kGlobalMaxPool:
      case LayerKind::kGlobalAvgPool: {
        const bool global =
            layer.kind == LayerKind::kGlobalMaxPool || layer.kind == LayerKind::kGlobalAvgPool;
        const bool max = layer.kind == LayerKind::kMaxPool1d ||
                         layer.kind == LayerKind::kMaxPool2d ||
                         layer.kind == LayerKind::kGlobalMaxPool;
        const bool two = in.size() == 3;
        const std::int64_t c_in = in[0], h = two ? in[1] : 1, w = in.back();
        const std::int64_t kh = global ? h : (two ? p.pool[0] : 1);
        const std::int64_t kw = global ? w : p.pool.back();
        const std::int64_t oh = h / kh, ow = w / kw;
        for (std::int64_t ch = 0; ch < c_in; ++ch) {
          for (std::int64_t r = 0; r < oh; ++r) {
            for (std::int64_t c = 0; c < ow; ++c) {
              double acc = max ? -INFINITY : 0.0;
              for (std::int64_t a = 0; a < kh; ++a) {
                for (std::int64_t b = 0; b < kw; ++b) {
                  const double v = x[(ch * h + r * kh + a) * w + c * kw + b];
                  acc = max ? std::max(acc, v) : acc + v;
                }
              }
              y[(ch * oh + r) * ow + c] = max ? acc : acc / static_cast<double>(kh * kw);
            }
          }
        }
        break;
      }
      case LayerKind::kBatchNorm: {
        const std::size_t channels = static_cast<std::size_t>(in[0]);
        const std::size_t plane = x.size() / channels;
        const auto& g = layer.tensors.at("weight").values;
        const auto& b = layer.tensors.at("bias").values;
        const auto& m = layer.tensors.at("running_mean").values;
        const auto& v = layer.tensors.at("running_var").values;
        for (std::size_t k = 0; k < x.size(); ++k) {
          const std::size_t c = k / plane;
          y[k] = (x[k] - m[c]) / std::sqrt(v[c] + p.eps) * g[c] + b[c];
        }
        break;
      }
      case LayerKind::kFlatten:
      case LayerKind::kReshape:
      case LayerKind::kDropout:
        y = x;
        break;
      case LayerKind::kRelu:
        for (std::size_t k = 0; k < x.size(); ++k) y[k] = std::max(0.0, x[k]);
        break;
      case LayerKind::kLeakyRelu:
        for (std::size_t k = 0; k < x.size(); ++k) y[k] = x[k] >= 0 ? x[k] : p.alpha * x[k];
        break;
      case LayerKind::kTanh:
        for (std::size_t k = 0; k < x.size(); ++k) y[k] = std::tanh(x[k]);
        break;
      case LayerKind::kSigmoid:
        for (std::size_t k = 0; k < x.size(); ++k) y[k] = 1.0 / (1.0 + std::exp(-x[k]));
        break;
      case LayerKind::kSoftmax: {
        const double top = *std::max_element(x.begin(), x.end());
        double sum = 0;
        for (std::size_t k = 0; k < x.size(); ++k) sum += y[k] = std::exp(x[k] - top);
        for (double& v : y) v /= sum;
        break;
      }
    }
    x = std::move(y);
  }
  return x;
}

}  // namespace hlslim::export_test
