#include "hlslim/train/learned_widths.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/engine/firmware.hpp"
#include "hlslim/graph/layer_traits.hpp"
#include "hlslim/graph/layer_types.hpp"
#include "hlslim/train/fake_quant.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

// The widths fake quantization is exact for (raws within float's significand).
constexpr int kMaxLearnedWidth = 24;

bool is_linear(LayerKind kind) {
  return layer_traits(kind).category == LayerCategory::kLinear;
}

bool learns_result(LayerKind kind) {
  return kind == LayerKind::kRelu || kind == LayerKind::kLeakyRelu;
}

// The fewest fraction bits on whose grid v (a multiple of 2^-f) lies.
int needed_fraction_bits(double v, int f) {
  while (f > -kMaxIntegerBitsMagnitude + 1) {
    const double scaled = std::ldexp(v, f - 1);
    if (scaled != std::floor(scaled)) break;
    --f;
  }
  return f;
}

// The fewest integer bits of a type with `fraction` fraction bits holding [lo, hi].
int integer_bits_holding(bool is_signed, double lo, double hi, int fraction) {
  const double step = std::ldexp(1.0, -fraction);
  for (int i = 1 - fraction; i < 64 - fraction; ++i) {
    const double top = is_signed ? std::ldexp(1.0, i - 1) : std::ldexp(1.0, i);
    const double bottom = is_signed ? -top : 0.0;
    if (lo >= bottom && hi <= top - step) return i;
  }
  return 64 - fraction;
}

// The narrowest type of `base`'s modes that holds every value of `values` exactly, each a
// multiple of 2^-grid[k].
FixedType exact_type(const std::vector<float>& values, const std::vector<float>& grid,
                     const FixedType& base, const std::string& where) {
  double lo = 0, hi = 0;
  int fraction = -kMaxIntegerBitsMagnitude;
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (values[k] == 0.0f) continue;
    lo = std::min(lo, static_cast<double>(values[k]));
    hi = std::max(hi, static_cast<double>(values[k]));
    fraction = std::max(fraction, needed_fraction_bits(values[k], static_cast<int>(grid[k])));
  }
  if (fraction == -kMaxIntegerBitsMagnitude) fraction = 0;  // all zero
  const bool is_signed = base.is_signed || lo < 0;
  int integer = integer_bits_holding(is_signed, lo, hi, fraction);
  const int narrowest = is_signed ? 2 : 1;
  if (integer + fraction < narrowest) integer = narrowest - fraction;
  const auto made =
      make_fixed_type(is_signed, integer + fraction, integer, base.quant, base.overflow);
  if (!made) throw Error(where + ": " + made.error);
  return *made.type;
}

PrecisionSpec fixed_spec(const FixedType& type) {
  PrecisionSpec spec;
  spec.kind = PrecisionSpec::Kind::kFixed;
  spec.type = type;
  spec.text = type.to_string();
  return spec;
}

std::vector<float> float_values(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

LearnedWidthsImpl::LearnedWidthsImpl(const Graph& architecture, const ModelPrecision& calibrated,
                                     WidthGranularity granularity, int min_fraction_bits,
                                     int max_fraction_bits)
    : graph_(architecture), calibrated_(calibrated) {
  if (calibrated.layers.size() != architecture.layers.size()) {
    throw Error("model '" + architecture.name + "': precisions for " +
                std::to_string(calibrated.layers.size()) + " layers, the model has " +
                std::to_string(architecture.layers.size()));
  }
  for (auto& layer : graph_.layers) layer.tensors.clear();
  const auto shapes = architecture.shapes();
  const std::size_t n = architecture.layers.size();
  weight_.resize(n);
  bias_.resize(n);
  result_.resize(n);
  source_.assign(n, -1);
  positions_.assign(n, 1);
  std::vector<float> start, lo, hi;
  const auto entry = [&](std::int64_t groups, std::vector<std::int64_t> view, const FixedType& type,
                         bool activation, std::int64_t per) {
    Entry e;
    e.spec.base = type;
    e.spec.activation = activation;
    e.spec.per = per;
    e.spec.lo = min_fraction_bits;
    e.spec.hi = max_fraction_bits;
    if (activation) {
      // A width of at least 1 (unsigned) or 2 (signed), at most kMaxLearnedWidth.
      e.spec.lo = std::max(e.spec.lo, (type.is_signed ? 2 : 1) - type.integer_bits);
      e.spec.hi = std::min(e.spec.hi, kMaxLearnedWidth - type.integer_bits);
      e.spec.hi = std::max(e.spec.hi, e.spec.lo);
    }
    e.offset = static_cast<std::int64_t>(start.size());
    e.count = groups;
    e.shape = std::move(view);
    const float first = static_cast<float>(std::clamp(type.fraction_bits(), e.spec.lo, e.spec.hi));
    start.insert(start.end(), static_cast<std::size_t>(groups), first);
    // Half a bit of slack either side, so that a value at a bound can be pushed back in.
    lo.insert(lo.end(), static_cast<std::size_t>(groups), static_cast<float>(e.spec.lo) - 0.49f);
    hi.insert(hi.end(), static_cast<std::size_t>(groups), static_cast<float>(e.spec.hi) + 0.49f);
    return e;
  };
  // A one-bit input (binary data, such as the hit images) keeps its type: its fraction bits
  // could only grow, which a binary value does not use, and skipping it spares the backward
  // pass the gradient of the input, the largest product of a small network.
  if (calibrated.input.width > 1 || calibrated.input.is_signed) {
    input_ = entry(1, {1}, calibrated.input, true, 0);
  }
  std::int64_t source = -1;
  for (std::size_t i = 0; i < n; ++i) {
    const Layer& layer = architecture.layers[i];
    const LayerPrecision& p = calibrated.layers[i];
    source_[i] = source;
    if (p.result) source = static_cast<std::int64_t>(i);
    if (dropped_by_firmware(architecture, i)) continue;
    if (is_linear(layer.kind) && p.weight) {
      for (const auto& [name, shape] : expected_tensors(layer, shapes[i])) {
        if (name != "weight" && name != "bias") continue;
        const bool is_weight = name == "weight";
        const auto& type = is_weight ? p.weight : p.bias;
        if (!type) continue;
        std::int64_t numel = 1;
        for (auto d : shape) numel *= d;
        std::int64_t groups = 1;
        std::vector<std::int64_t> view{1};
        if (granularity == WidthGranularity::kWeight) {
          groups = numel;
          view = shape;
        } else if (granularity == WidthGranularity::kChannel) {
          groups = shape.at(0);
          view.assign(shape.size(), 1);
          view[0] = shape.at(0);
        }
        (is_weight ? weight_[i] : bias_[i]) = entry(groups, view, *type, false, numel / groups);
      }
      const Shape& out = shapes[i + 1];
      std::int64_t plane = 1;
      for (std::size_t d = 1; d < out.size(); ++d) plane *= out[d];
      positions_[i] = plane;
    }
    if (learns_result(layer.kind) && p.result) result_[i] = entry(1, {1}, *p.result, true, 0);
  }
  f_ = register_parameter("fraction_bits", torch::tensor(start));
  lo_ = torch::tensor(lo);
  hi_ = torch::tensor(hi);
}

const LearnedWidthsImpl::Entry& LearnedWidthsImpl::entry(std::size_t layer, QuantRole role) const {
  switch (role) {
    case QuantRole::kInput:
      return input_;
    case QuantRole::kWeight:
      return weight_.at(layer);
    case QuantRole::kBias:
      return bias_.at(layer);
    case QuantRole::kResult:
      break;
  }
  return result_.at(layer);
}

torch::Tensor LearnedWidthsImpl::fraction_bits(std::size_t layer, QuantRole role) const {
  const Entry& e = entry(layer, role);
  return e.defined() ? slice(e) : torch::Tensor();
}

torch::Tensor LearnedWidthsImpl::fraction_bit_gradient(std::size_t layer, QuantRole role) const {
  const Entry& e = entry(layer, role);
  if (!e.defined() || !f_.grad().defined()) return {};
  return f_.grad().narrow(0, e.offset, e.count);
}

torch::Tensor LearnedWidthsImpl::rounded(const Entry& e) const {
  torch::NoGradGuard no_grad;
  return torch::clamp(torch::round(slice(e)), e.spec.lo, e.spec.hi);
}

torch::Tensor LearnedWidthsImpl::quantize(std::size_t layer, QuantRole role,
                                          const torch::Tensor& x) {
  const Entry& e = entry(role == QuantRole::kInput ? 0 : layer, role);
  if (!e.defined()) return {};
  // The whole parameter with the entry's offset: no slice (and its backward) per quantizer.
  LearnedQuantSpec spec = e.spec;
  spec.offset = e.offset;
  spec.groups = e.count;
  if (spec.activation) spec.per = x.numel();
  return learned_quantize(x, f_, spec);
}

void LearnedWidthsImpl::clamp_() {
  torch::NoGradGuard no_grad;
  f_.clamp_(lo_, hi_);
}

void LearnedWidthsImpl::bind(GraphModuleImpl& module) {
  const auto parameters = module.named_parameters();
  const auto buffers = module.named_buffers();
  weights_.assign(graph_.layers.size(), torch::Tensor());
  masks_.assign(graph_.layers.size(), torch::Tensor());
  for (std::size_t i = 0; i < graph_.layers.size(); ++i) {
    if (!weight_[i].defined()) continue;
    const std::string& name = graph_.layers[i].name;
    if (const auto* w = parameters.find(name + ".weight")) weights_[i] = *w;
    if (const auto* m = buffers.find(name + ".weight_mask")) masks_[i] = *m;
  }
}

double LearnedWidthsImpl::proxy_value(std::vector<float>& gradient) const {
  return proxy_pass(gradient, true);
}

double LearnedWidthsImpl::proxy_pass(std::vector<float>& gradient, bool with_value) const {
  const torch::Tensor fc = f_.detach().contiguous();
  const float* f = fc.data_ptr<float>();
  gradient.assign(static_cast<std::size_t>(fc.numel()), 0.0f);
  const auto fraction = [&](const Entry& e, std::int64_t g) {
    return std::clamp<double>(std::nearbyint(f[e.offset + g]), e.spec.lo, e.spec.hi);
  };
  double total = 0;
  for (std::size_t i = 0; i < weight_.size(); ++i) {
    const Entry& e = weight_[i];
    if (!e.defined() || !weights_[i].defined()) continue;
    const torch::Tensor w = weights_[i].detach().contiguous();
    const torch::Tensor m = masks_[i].defined() ? masks_[i].contiguous() : torch::Tensor();
    const float* wp = w.data_ptr<float>();
    const float* mp = m.defined() ? m.data_ptr<float>() : nullptr;
    const double positions = static_cast<double>(positions_[i]);
    // The values the layer reads: width and fraction bits, learned or calibrated.
    const std::int64_t s = source_[i];
    const Entry& x = s < 0 ? input_ : result_[static_cast<std::size_t>(s)];
    const FixedType& x_type =
        s < 0 ? calibrated_.input : *calibrated_.layers[static_cast<std::size_t>(s)].result;
    const double x_fraction = x.defined() ? fraction(x, 0) : x_type.fraction_bits();
    const double x_bits = x_type.integer_bits + x_fraction;
    // The bits of the weights enter the value and the gradient of a learned x; without
    // either, the logarithms are skipped.
    const bool need_bits = with_value || x.defined();
    double bits_sum = 0, nonzero = 0, magnitude = -1e9, weight_fraction = -1e9;
    std::int64_t weight_arg = -1;
    for (std::int64_t g = 0; g < e.count; ++g) {
      const double fg = fraction(e, g);
      const double threshold = std::ldexp(1.0, -static_cast<int>(fg) - 1);
      bool any = false;
      for (std::int64_t k = g * e.spec.per; k < (g + 1) * e.spec.per; ++k) {
        const double a = std::fabs(static_cast<double>(wp[k]) * (mp ? mp[k] : 1.0f));
        if (a <= threshold) continue;  // log2(a) + fg + 1 <= 0: the weight rounds to 0
        if (need_bits) {
          const double log_a = std::log2(static_cast<float>(a));
          bits_sum += std::max(log_a + fg + 1, 0.0);
          magnitude = std::max(magnitude, log_a + 1);
        }
        nonzero += 1;
        any = true;
        gradient[static_cast<std::size_t>(e.offset + g)] += static_cast<float>(x_bits * positions);
      }
      if (any && fg > weight_fraction) weight_fraction = fg, weight_arg = e.offset + g;
    }
    total += positions * bits_sum * x_bits;
    if (x.defined()) gradient[static_cast<std::size_t>(x.offset)] += positions * bits_sum;
    if (nonzero == 0) continue;
    // The accumulator: integer bits of the worst sum, fraction bits of a product or the bias.
    const double fan_in = static_cast<double>(w.numel() / std::max<std::int64_t>(w.size(0), 1));
    double fraction_bits = x_fraction + weight_fraction;
    std::int64_t bias_arg = -1;
    if (const Entry& b = bias_[i]; b.defined()) {
      for (std::int64_t g = 0; g < b.count; ++g) {
        if (fraction(b, g) > fraction_bits) fraction_bits = fraction(b, g), bias_arg = b.offset + g;
      }
    }
    const double accumulator =
        x_type.integer_bits + magnitude + std::log2(std::max(fan_in, 1.0)) + fraction_bits;
    total += positions * nonzero * accumulator;
    const float share = static_cast<float>(positions * nonzero);
    if (bias_arg >= 0) {
      gradient[static_cast<std::size_t>(bias_arg)] += share;
    } else {
      if (x.defined()) gradient[static_cast<std::size_t>(x.offset)] += share;
      gradient[static_cast<std::size_t>(weight_arg)] += share;
    }
  }
  return total;
}

namespace {

// proxy() as one operation: the value and its gradient are computed together in the forward.
class ProxyFunction : public torch::autograd::Function<ProxyFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor f,
                               const LearnedWidthsImpl* widths) {
    std::vector<float> gradient;
    const double value = widths->proxy_value(gradient);
    ctx->save_for_backward({torch::tensor(gradient)});
    (void)f;
    return torch::full({}, value, torch::kFloat32);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    return {ctx->get_saved_variables()[0] * grads[0], torch::Tensor()};
  }
};

}  // namespace

void LearnedWidthsImpl::add_proxy_gradient(double weight) {
  torch::NoGradGuard no_grad;
  std::vector<float> gradient;
  proxy_pass(gradient, false);
  torch::Tensor& grad = f_.mutable_grad();
  if (!grad.defined()) grad = torch::zeros_like(f_);
  float* out = grad.data_ptr<float>();
  for (std::size_t k = 0; k < gradient.size(); ++k) {
    out[k] += static_cast<float>(weight * gradient[k]);
  }
}

torch::Tensor LearnedWidthsImpl::proxy() {
  return ProxyFunction::apply(f_, this);
}

ModelPrecision LearnedWidthsImpl::apply(Graph& graph, const PrecisionRequest& request) const {
  torch::NoGradGuard no_grad;
  if (graph.layers.size() != graph_.layers.size()) {
    throw Error("model '" + graph.name + "': cannot apply learned widths of another architecture");
  }
  ModelPrecision precision = calibrated_;
  const auto activation_type = [](const Entry& e, int fraction) {
    FixedType t = e.spec.base;
    t.width = e.spec.base.integer_bits + fraction;
    return t;
  };
  if (input_.defined()) {
    precision.input = activation_type(input_, static_cast<int>(rounded(input_).item<float>()));
  }
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    Layer& layer = graph.layers[i];
    const std::string where = "model '" + graph.name + "', layer '" + layer.name + "'";
    for (const bool is_weight : {true, false}) {
      const Entry& e = is_weight ? weight_[i] : bias_[i];
      const char* name = is_weight ? "weight" : "bias";
      const auto it = layer.tensors.find(name);
      if (!e.defined() || it == layer.tensors.end()) continue;
      torch::Tensor value = to_torch(it->second);
      const auto mask = layer.tensors.find(std::string(name) + "_mask");
      if (mask != layer.tensors.end()) value = value * to_torch(mask->second);
      const torch::Tensor grid = rounded(e).view(e.shape).expand_as(value).contiguous();
      const torch::Tensor q = quantize_to_grid(value, grid, e.spec.base.quant);
      const std::vector<float> values = float_values(q);
      it->second.values = values;
      const FixedType type = exact_type(values, float_values(grid), e.spec.base,
                                        where + ", " + name + " (learned widths)");
      *precision.layers[i].role(name) = type;
      if (!is_weight) continue;
      // A weight that learned to be 0 is pruned.
      const bool any_zero = std::find(values.begin(), values.end(), 0.0f) != values.end();
      if (!any_zero) continue;
      Tensor& m = layer.tensors["weight_mask"];
      if (m.values.size() != values.size()) {
        m.shape = it->second.shape;
        m.values.assign(values.size(), 1.0f);
      }
      for (std::size_t k = 0; k < values.size(); ++k) {
        if (values[k] == 0.0f) m.values[k] = 0.0f;
      }
    }
    if (result_[i].defined()) {
      precision.layers[i].result =
          activation_type(result_[i], static_cast<int>(rounded(result_[i]).item<float>()));
    }
  }
  // Accumulators as the request asks, for these weights and types; every other role fixed.
  PrecisionRequest fixed = request;
  fixed.defaults["input"] = fixed_spec(precision.input);
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    for (const char* role : {"weight", "bias", "result"}) {
      if (const auto& type = *precision.layers[i].role(role)) {
        fixed.layers[graph.layers[i].name][role] = fixed_spec(*type);
      }
    }
  }
  ValueRanges ranges;
  ranges.layers.assign(graph.layers.size(), {0.0, 0.0});
  return resolve_precision(graph, fixed, ranges);
}

nlohmann::json LearnedWidthsImpl::summary(const Graph& graph,
                                          const ModelPrecision& precision) const {
  torch::NoGradGuard no_grad;
  nlohmann::json out = nlohmann::json::array();
  const auto stats = [&](const std::string& layer, const char* role, const Entry& e,
                         const std::vector<float>* values, const FixedType& type) {
    std::vector<float> f = float_values(rounded(e));
    double sum = 0, total_bits = 0;
    for (float& v : f) {
      v += 0.0f;  // -0 (a rounded -0.4) reads as 0
      sum += v;
    }
    // Total bits per group: the integer bits its quantized values need, plus its fraction bits.
    const std::size_t groups = f.size();
    const std::size_t per = values && groups > 0 ? values->size() / groups : 0;
    for (std::size_t g = 0; g < groups; ++g) {
      const int fraction = static_cast<int>(f[g]);
      int integer = e.spec.base.integer_bits;
      if (values) {
        double lo = 0, hi = 0;
        for (std::size_t k = g * per; k < (g + 1) * per; ++k) {
          lo = std::min(lo, static_cast<double>((*values)[k]));
          hi = std::max(hi, static_cast<double>((*values)[k]));
        }
        integer = integer_bits_holding(true, lo, hi, fraction);
      }
      total_bits += integer + fraction;
    }
    const double n = static_cast<double>(std::max<std::size_t>(groups, 1));
    return nlohmann::json{{"layer", layer},
                          {"role", role},
                          {"groups", groups},
                          {"fraction_bits",
                           {{"min", *std::min_element(f.begin(), f.end())},
                            {"mean", sum / n},
                            {"max", *std::max_element(f.begin(), f.end())}}},
                          {"mean_total_bits", total_bits / n},
                          {"type", type.to_string()}};
  };
  if (input_.defined()) out.push_back(stats("input", "input", input_, nullptr, precision.input));
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    for (const bool is_weight : {true, false}) {
      const Entry& e = is_weight ? weight_[i] : bias_[i];
      const char* name = is_weight ? "weight" : "bias";
      const auto it = layer.tensors.find(name);
      if (!e.defined() || it == layer.tensors.end()) continue;
      // Per-weight granularity: one group per value; per channel: the channel's values.
      out.push_back(
          stats(layer.name, name, e, &it->second.values, **precision.layers[i].role(name)));
    }
    if (result_[i].defined()) {
      out.push_back(stats(layer.name, "result", result_[i], nullptr, *precision.layers[i].result));
    }
  }
  return out;
}

std::vector<torch::Tensor> LearnedWidthsImpl::values() const {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters()) out.push_back(p.detach().clone());
  return out;
}

void LearnedWidthsImpl::load_values(const std::vector<torch::Tensor>& values) {
  torch::NoGradGuard no_grad;
  auto params = parameters();
  if (values.size() != params.size()) {
    throw Error("learned widths: " + std::to_string(values.size()) + " saved tensors for " +
                std::to_string(params.size()) + " parameters");
  }
  for (std::size_t k = 0; k < params.size(); ++k) params[k].copy_(values[k]);
}

}  // namespace hlslim
