#pragma once

// An independent evaluator of the QONNX files the exporter writes, in double precision, straight
// from the protobuf: Quant as QONNX defines it (y = clamp(round(x / scale + zeropt)) - zeropt)
// * scale, ROUND = half to even, FLOOR), MatMul, Add, Mul (trailing broadcast), channels-last
// Conv and MaxPool/AveragePool, Relu, LeakyRelu, Identity, Flatten, Reshape, Transpose. It
// knows nothing of the writer's internals: it is the file's semantics.

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hlslim::export_test {

struct EvalTensor {
  std::vector<std::int64_t> dims;
  std::vector<double> data;
};

inline const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node,
                                                  const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

inline std::vector<std::int64_t> ints_attribute(const onnx::NodeProto& node,
                                                const std::string& name) {
  const auto* a = find_attribute(node, name);
  if (!a) throw std::runtime_error(node.name() + ": attribute " + name + " missing");
  return {a->ints().begin(), a->ints().end()};
}

inline std::int64_t numel(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

class QonnxEvaluator {
 public:
  explicit QonnxEvaluator(const onnx::ModelProto& model) : model_(model) {}

  /// Runs one event; `input` holds the graph input's values (channels-last, batch 1).
  std::vector<double> run(const std::vector<double>& input) {
    std::map<std::string, EvalTensor> values;
    for (const auto& t : model_.graph().initializer()) {
      EvalTensor e;
      e.dims.assign(t.dims().begin(), t.dims().end());
      if (t.data_type() == onnx::TensorProto::FLOAT) {
        e.data.assign(t.float_data().begin(), t.float_data().end());
      } else {
        e.data.assign(t.int64_data().begin(), t.int64_data().end());
      }
      values[t.name()] = e;
    }
    const auto& in = model_.graph().input(0);
    EvalTensor x;
    for (const auto& d : in.type().tensor_type().shape().dim()) x.dims.push_back(d.dim_value());
    x.data = input;
    values[in.name()] = x;
    for (const auto& node : model_.graph().node()) {
      std::vector<const EvalTensor*> args;
      for (const auto& name : node.input()) args.push_back(&values.at(name));
      values[node.output(0)] = evaluate(node, args);
    }
    return values.at(model_.graph().output(0).name()).data;
  }

 private:
  static EvalTensor quant(const onnx::NodeProto& node, const std::vector<const EvalTensor*>& a) {
    const double scale = a[1]->data.at(0), zeropt = a[2]->data.at(0);
    const int bits = static_cast<int>(a[3]->data.at(0));
    const bool is_signed = find_attribute(node, "signed")->i() != 0;
    const bool narrow = find_attribute(node, "narrow")->i() != 0;
    const std::string mode = find_attribute(node, "rounding_mode")->s();
    double lo = is_signed ? -std::ldexp(1.0, bits - 1) : 0.0;
    const double hi = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    if (narrow && is_signed) lo += 1;
    EvalTensor y = *a[0];
    for (double& v : y.data) {
      double q = v / scale + zeropt;
      q = std::min(std::max(q, lo), hi);
      if (mode == "ROUND") {
        std::fesetround(FE_TONEAREST);
        q = std::nearbyint(q);  // half to even
      } else if (mode == "FLOOR") {
        q = std::floor(q);
      } else {
        throw std::runtime_error(node.name() + ": rounding mode " + mode);
      }
      v = (q - zeropt) * scale;
    }
    return y;
  }

  // a op b where b has the shape of a or of its trailing dimensions.
  static EvalTensor broadcast(const EvalTensor& a, const EvalTensor& b, bool multiply) {
    EvalTensor y = a;
    const std::size_t n = b.data.size();
    for (std::size_t k = 0; k < y.data.size(); ++k) {
      y.data[k] = multiply ? y.data[k] * b.data[k % n] : y.data[k] + b.data[k % n];
    }
    return y;
  }

  // Channels-last convolution or pooling over [1, H, W, C] (1-D inputs as H = 1).
  static EvalTensor window_op(const onnx::NodeProto& node,
                              const std::vector<const EvalTensor*>& a) {
    const EvalTensor& x = *a[0];
    const bool one_d = x.dims.size() == 3;
    const std::int64_t h = one_d ? 1 : x.dims[1], w = x.dims[x.dims.size() - 2], c = x.dims.back();
    std::vector<std::int64_t> k = ints_attribute(node, "kernel_shape");
    std::vector<std::int64_t> s = ints_attribute(node, "strides");
    std::vector<std::int64_t> pads = ints_attribute(node, "pads");
    if (one_d) {
      k.insert(k.begin(), 1);
      s.insert(s.begin(), 1);
      pads = {0, pads[0], 0, pads[1]};
    }
    const std::int64_t oh = (h + pads[0] + pads[2] - k[0]) / s[0] + 1;
    const std::int64_t ow = (w + pads[1] + pads[3] - k[1]) / s[1] + 1;
    const bool conv = node.op_type() == "Conv";
    const std::int64_t m_out = conv ? a[1]->dims[0] : c;
    EvalTensor y;
    y.dims = one_d ? std::vector<std::int64_t>{1, ow, m_out}
                   : std::vector<std::int64_t>{1, oh, ow, m_out};
    y.data.assign(static_cast<std::size_t>(oh * ow * m_out), 0.0);
    for (std::int64_t r = 0; r < oh; ++r) {
      for (std::int64_t q = 0; q < ow; ++q) {
        for (std::int64_t m = 0; m < m_out; ++m) {
          double acc = conv ? (a.size() > 2 ? a[2]->data[m] : 0.0)
                            : (node.op_type() == "MaxPool" ? -INFINITY : 0.0);
          for (std::int64_t i = 0; i < k[0]; ++i) {
            for (std::int64_t j = 0; j < k[1]; ++j) {
              const std::int64_t yy = r * s[0] + i - pads[0], xx = q * s[1] + j - pads[1];
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              if (conv) {
                for (std::int64_t ch = 0; ch < c; ++ch) {
                  acc += a[1]->data[((m * k[0] + i) * k[1] + j) * c + ch] *
                         x.data[(yy * w + xx) * c + ch];
                }
              } else {
                const double v = x.data[(yy * w + xx) * c + m];
                acc = node.op_type() == "MaxPool" ? std::max(acc, v) : acc + v;
              }
            }
          }
          if (node.op_type() == "AveragePool") acc /= static_cast<double>(k[0] * k[1]);
          y.data[(r * ow + q) * m_out + m] = acc;
        }
      }
    }
    return y;
  }

  static EvalTensor transpose(const onnx::NodeProto& node, const EvalTensor& x) {
    const std::vector<std::int64_t> perm = ints_attribute(node, "perm");
    EvalTensor y;
    for (auto p : perm) y.dims.push_back(x.dims[p]);
    y.data.resize(x.data.size());
    const std::size_t rank = x.dims.size();
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t d = rank - 1; d-- > 0;) in_strides[d] = in_strides[d + 1] * x.dims[d + 1];
    std::vector<std::int64_t> index(rank, 0);
    for (std::size_t flat = 0; flat < y.data.size(); ++flat) {
      std::int64_t rest = static_cast<std::int64_t>(flat), src = 0;
      for (std::size_t d = rank; d-- > 0;) {
        const std::int64_t i = rest % y.dims[d];
        rest /= y.dims[d];
        src += i * in_strides[perm[d]];
      }
      y.data[flat] = x.data[static_cast<std::size_t>(src)];
    }
    return y;
  }

  static EvalTensor evaluate(const onnx::NodeProto& node, const std::vector<const EvalTensor*>& a) {
    const std::string& op = node.op_type();
    if (op == "Quant") return quant(node, a);
    if (op == "MatMul") {
      const std::int64_t k = a[1]->dims[0], n = a[1]->dims[1];
      EvalTensor y{{1, n}, std::vector<double>(static_cast<std::size_t>(n), 0.0)};
      for (std::int64_t j = 0; j < n; ++j) {
        for (std::int64_t i = 0; i < k; ++i) y.data[j] += a[0]->data[i] * a[1]->data[i * n + j];
      }
      return y;
    }
    if (op == "Add") return broadcast(*a[0], *a[1], false);
    if (op == "Mul") return broadcast(*a[0], *a[1], true);
    if (op == "Conv" || op == "MaxPool" || op == "AveragePool") return window_op(node, a);
    EvalTensor y = *a[0];
    if (op == "Relu") {
      for (double& v : y.data) v = std::max(0.0, v);
    } else if (op == "LeakyRelu") {
      const double alpha = find_attribute(node, "alpha")->f();
      for (double& v : y.data) v = v >= 0 ? v : alpha * v;
    } else if (op == "Flatten") {
      y.dims = {1, numel(a[0]->dims)};
    } else if (op == "Reshape") {
      y.dims.assign(a[1]->data.begin(), a[1]->data.end());
    } else if (op == "Transpose") {
      return transpose(node, *a[0]);
    } else if (op != "Identity") {
      throw std::runtime_error("the evaluator has no " + op);
    }
    return y;
  }

  const onnx::ModelProto& model_;
};

}  // namespace hlslim::export_test
