// What every step shares: its sizes, the checks on precisions and tensors, and the choice of
// builder by layer type.

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "steps.hpp"

namespace hlslim::engine_detail {

std::string StepInput::context() const {
  return "model '" + graph->name + "', layer '" + layer->name + "'";
}

const FixedType& StepInput::require(const char* role) const {
  const std::optional<FixedType>* type = precision.role(role);
  if (!type || !type->has_value()) {
    throw Error(context() + ": " + precision_attr(role) + " missing");
  }
  return **type;
}

Step::Step(const StepInput& input, const FixedType& out_type)
    : out_type_(out_type),
      in_size_(static_cast<std::size_t>(shape_numel(input.in_shape))),
      out_size_(static_cast<std::size_t>(shape_numel(input.out_shape))) {}

const Tensor& layer_tensor(const StepInput& input, const std::string& name) {
  const auto it = input.layer->tensors.find(name);
  if (it == input.layer->tensors.end()) {
    throw Error(input.context() + ": tensor '" + name + "' missing (the model has no weights)");
  }
  for (const auto& [expected_name, shape] : expected_tensors(*input.layer, input.in_shape)) {
    if (expected_name == name && it->second.shape != shape) {
      throw Error(input.context() + ": tensor '" + name + "' has shape " +
                  shape_str(it->second.shape) + ", expected " + shape_str(shape));
    }
  }
  return it->second;
}

std::vector<float> masked_values(const StepInput& input, const std::string& name) {
  std::vector<float> values = layer_tensor(input, name).values;
  const auto mask = input.layer->tensors.find(name + "_mask");
  if (mask == input.layer->tensors.end()) return values;
  if (mask->second.values.size() != values.size()) {
    throw Error(input.context() + ": tensor '" + name + "_mask' has shape " +
                shape_str(mask->second.shape) + ", unlike '" + name + "'");
  }
  for (std::size_t i = 0; i < values.size(); ++i) values[i] *= mask->second.values[i];
  return values;
}

std::unique_ptr<Step> make_step(const StepInput& input) {
  switch (input.layer->kind) {
    case LayerKind::kDense:
    case LayerKind::kConv1d:
    case LayerKind::kConv2d:
      return make_linear_step(input);
    case LayerKind::kBatchNorm:
      return make_batch_norm_step(input);
    case LayerKind::kRelu:
    case LayerKind::kLeakyRelu:
      return make_activation_step(input);
    case LayerKind::kMaxPool1d:
    case LayerKind::kMaxPool2d:
    case LayerKind::kAvgPool1d:
    case LayerKind::kAvgPool2d:
    case LayerKind::kGlobalMaxPool:
    case LayerKind::kGlobalAvgPool:
      return make_pool_step(input);
    case LayerKind::kFlatten:
    case LayerKind::kReshape:
    case LayerKind::kDropout:
      return make_passthrough_step(input);
    case LayerKind::kTanh:
    case LayerKind::kSigmoid:
    case LayerKind::kSoftmax:
      break;
  }
  const std::string kind = layer_kind_name(input.layer->kind);
  throw Error(input.context() + ": " + kind +
              " is not supported by the fixed-point engine: hls4ml computes it with lookup "
              "tables that the engine does not model");
}

}  // namespace hlslim::engine_detail
