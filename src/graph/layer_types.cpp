#include "hlslim/graph/layer_types.hpp"

#include "hlslim/graph/layer_traits.hpp"

namespace hlslim {

void declare_layer_params(LayerKind kind, LayerParams& p, OptionTable& t) {
  const auto dims = static_cast<std::size_t>(spatial_dims(kind));
  switch (kind) {
    case LayerKind::kDense:
      t.add_int("units", p.units, 0, "Output features.").required().min(1);
      t.add_bool("bias", p.bias, true, "Learn an additive bias.");
      break;
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
      t.add_int("filters", p.filters, 0, "Output channels.").required().min(1);
      t.add_int_list("kernel", p.kernel, {}, "Kernel size per spatial dimension (or one number).")
          .required()
          .size(dims)
          .broadcast_scalar()
          .min(1);
      t.add_int_list("stride", p.stride, std::vector<std::int64_t>(dims, 1),
                     "Stride per spatial dimension (or one number).")
          .size(dims)
          .broadcast_scalar()
          .min(1);
      t.add_enum("padding", p.padding, Padding::kValid,
                 {{"valid", Padding::kValid}, {"same", Padding::kSame}},
                 "'valid' (no padding) or 'same' (zero padding keeping the size; stride 1).");
      t.add_bool("bias", p.bias, true, "Learn an additive bias.");
      break;
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
      t.add_int_list("pool", p.pool, std::vector<std::int64_t>(dims, 2),
                     "Window per spatial dimension (or one number); the stride equals the window.")
          .size(dims)
          .broadcast_scalar()
          .min(1);
      break;
    case LayerKind::kReshape:
      t.add_int_list("shape", p.shape, {}, "Target shape without the batch dimension.")
          .required()
          .min(1);
      break;
    case LayerKind::kBatchNorm:
      t.add_float("eps", p.eps, 1e-5, "Added to the variance for numerical stability.")
          .greater_than(0);
      t.add_float("momentum", p.momentum, 0.1, "Weight of the newest batch in running statistics.")
          .min(0)
          .max(1);
      break;
    case LayerKind::kDropout:
      t.add_float("rate", p.rate, 0.0, "Probability of zeroing an activation in training.")
          .min(0)
          .max(0.99);
      break;
    case LayerKind::kLeakyRelu:
      t.add_float("alpha", p.alpha, 0.01, "Slope for negative inputs.").min(0);
      break;
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
    case LayerKind::kRelu:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      break;  // no parameters
  }
}

const char* layer_kind_summary(LayerKind kind) {
  return layer_traits(kind).summary;
}

ShapeResult infer_output_shape(const Layer& layer, const Shape& in) {
  const LayerParams& p = layer.params;
  auto fail = [&](const std::string& text) { return ShapeResult{{}, text}; };
  switch (layer.kind) {
    case LayerKind::kDense:
      if (in.size() != 1)
        return fail("needs a flat input, got " + shape_str(in) + ": add a flatten layer");
      return {{p.units}, ""};
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d: {
      const auto dims = static_cast<std::size_t>(spatial_dims(layer.kind));
      if (in.size() != dims + 1) {
        return fail("needs an input of shape " +
                    std::string(dims == 1 ? "[channels, length]" : "[channels, height, width]") +
                    ", got " + shape_str(in));
      }
      const bool conv = layer_traits(layer.kind).category == LayerCategory::kLinear;
      const auto& window = conv ? p.kernel : p.pool;
      Shape out{conv ? p.filters : in[0]};
      for (std::size_t d = 0; d < dims; ++d) {
        const std::int64_t size = in[d + 1];
        const std::int64_t stride = conv ? p.stride[d] : p.pool[d];
        if (conv && p.padding == Padding::kSame) {
          if (stride != 1) return fail("padding 'same' needs stride 1");
          out.push_back(size);
          continue;
        }
        if (window[d] > size) {
          return fail("window " + shape_str(window) + " is larger than the input " + shape_str(in));
        }
        out.push_back((size - window[d]) / stride + 1);
      }
      return {out, ""};
    }
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
      if (in.size() < 2) return fail("needs spatial dimensions, got " + shape_str(in));
      return {{in[0]}, ""};
    case LayerKind::kFlatten:
      return {{shape_numel(in)}, ""};
    case LayerKind::kReshape:
      if (shape_numel(p.shape) != shape_numel(in))
        return fail("cannot reshape " + shape_str(in) + " to " + shape_str(p.shape));
      return {p.shape, ""};
    case LayerKind::kBatchNorm:
      if (in.empty() || in.size() > 3) return fail("cannot normalise shape " + shape_str(in));
      return {in, ""};
    case LayerKind::kSoftmax:
      if (in.size() != 1) return fail("needs a flat input, got " + shape_str(in));
      return {in, ""};
    case LayerKind::kDropout:
    case LayerKind::kRelu:
    case LayerKind::kLeakyRelu:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
      return {in, ""};
  }
  return fail("unknown layer type");
}

std::vector<std::pair<std::string, Shape>> expected_tensors(const Layer& layer, const Shape& in) {
  const LayerParams& p = layer.params;
  std::vector<std::pair<std::string, Shape>> out;
  switch (layer.kind) {
    case LayerKind::kDense:
      out.push_back({"weight", {p.units, in.at(0)}});
      if (p.bias) out.push_back({"bias", {p.units}});
      break;
    case LayerKind::kConv1d:
    case LayerKind::kConv2d: {
      Shape w{p.filters, in.at(0)};
      w.insert(w.end(), p.kernel.begin(), p.kernel.end());
      out.push_back({"weight", w});
      if (p.bias) out.push_back({"bias", {p.filters}});
      break;
    }
    case LayerKind::kBatchNorm:
      for (const char* name : {"weight", "bias", "running_mean", "running_var"})
        out.push_back({name, {in.at(0)}});
      break;
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kDropout:
    case LayerKind::kRelu:
    case LayerKind::kLeakyRelu:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      break;  // no tensors (layer_traits(kind).has_tensors is false)
  }
  return out;
}

std::int64_t count_parameters(const Layer& layer, const Shape& in) {
  std::int64_t n = 0;
  for (const auto& [name, shape] : expected_tensors(layer, in)) {
    if (name != "running_mean" && name != "running_var") n += shape_numel(shape);
  }
  return n;
}

std::int64_t count_macs(const Layer& layer, const Shape& in) {
  const auto out = infer_output_shape(layer, in);
  if (!out.ok()) return 0;
  switch (layer.kind) {
    case LayerKind::kDense:
      return in.at(0) * layer.params.units;
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
      // Every output position of every filter reads the whole kernel over all input channels.
      return shape_numel(out.shape) * in.at(0) * shape_numel(layer.params.kernel);
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kBatchNorm:
    case LayerKind::kDropout:
    case LayerKind::kRelu:
    case LayerKind::kLeakyRelu:
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      return 0;  // counted as multiply-accumulates only where weights multiply
  }
  return 0;
}

}  // namespace hlslim
