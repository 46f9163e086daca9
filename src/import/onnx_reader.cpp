#include "onnx_reader.hpp"

#include <cstring>
#include <fstream>

#include "hlslim/util/errors.hpp"

namespace hlslim::onnx_import {
namespace {

template <typename T>
std::vector<double> from_raw(const std::string& raw, std::size_t count, const std::string& what) {
  if (raw.size() != count * sizeof(T)) {
    throw Error(what + ": holds " + std::to_string(raw.size()) + " bytes for " +
                std::to_string(count) + " values");
  }
  std::vector<double> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, raw.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(value);
  }
  return out;
}

}  // namespace

onnx::ModelProto read_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path.string() + "'");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) {
    throw Error("'" + path.string() + "' is not an ONNX model (the protobuf does not parse)");
  }
  if (!model.has_graph()) throw Error("'" + path.string() + "' holds no ONNX graph");
  return model;
}

Constant tensor_values(const onnx::TensorProto& tensor, const std::string& what) {
  Constant out;
  out.dims.assign(tensor.dims().begin(), tensor.dims().end());
  std::size_t count = 1;
  for (auto d : out.dims) count *= static_cast<std::size_t>(d);
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    throw Error(what +
                ": its data lies in an external file, which is not supported; save the "
                "model with its weights inside (onnx.save(..., save_as_external_data=False))");
  }
  const std::string& raw = tensor.raw_data();
  const bool has_raw = tensor.has_raw_data();
  switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      out.values =
          has_raw ? from_raw<float>(raw, count, what)
                  : std::vector<double>(tensor.float_data().begin(), tensor.float_data().end());
      break;
    case onnx::TensorProto::DOUBLE:
      out.values =
          has_raw ? from_raw<double>(raw, count, what)
                  : std::vector<double>(tensor.double_data().begin(), tensor.double_data().end());
      break;
    case onnx::TensorProto::INT64:
      out.values =
          has_raw ? from_raw<std::int64_t>(raw, count, what)
                  : std::vector<double>(tensor.int64_data().begin(), tensor.int64_data().end());
      break;
    case onnx::TensorProto::INT32:
      out.values =
          has_raw ? from_raw<std::int32_t>(raw, count, what)
                  : std::vector<double>(tensor.int32_data().begin(), tensor.int32_data().end());
      break;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::BOOL:
      if (has_raw) {
        const int type = tensor.data_type();
        out.values = type == onnx::TensorProto::INT8     ? from_raw<std::int8_t>(raw, count, what)
                     : type == onnx::TensorProto::INT16  ? from_raw<std::int16_t>(raw, count, what)
                     : type == onnx::TensorProto::UINT16 ? from_raw<std::uint16_t>(raw, count, what)
                                                         : from_raw<std::uint8_t>(raw, count, what);
      } else {
        out.values.assign(tensor.int32_data().begin(), tensor.int32_data().end());
      }
      break;
    default:
      throw Error(what + ": tensors of ONNX data type " + std::to_string(tensor.data_type()) +
                  " are not supported");
  }
  if (out.values.size() != count) {
    throw Error(what + ": holds " + std::to_string(out.values.size()) +
                " values for dimensions of " + std::to_string(count));
  }
  return out;
}

std::string join_ints(const std::vector<std::int64_t>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + std::to_string(values[i]);
  return out;
}

std::string node_label(const onnx::NodeProto& node) {
  if (node.name().empty()) {
    const std::string output = node.output_size() ? node.output(0) : std::string();
    return "the unnamed " + node.op_type() + " node writing '" + output + "'";
  }
  return "node '" + node.name() + "' (" + node.op_type() + ")";
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::int64_t int_attr(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) {
  const auto* a = attribute(node, name);
  return a ? a->i() : fallback;
}

double float_attr(const onnx::NodeProto& node, const std::string& name, double fallback) {
  const auto* a = attribute(node, name);
  return a ? static_cast<double>(a->f()) : fallback;
}

std::string string_attr(const onnx::NodeProto& node, const std::string& name,
                        const std::string& fallback) {
  const auto* a = attribute(node, name);
  return a ? a->s() : fallback;
}

std::optional<std::vector<std::int64_t>> ints_attr(const onnx::NodeProto& node,
                                                   const std::string& name) {
  const auto* a = attribute(node, name);
  if (!a) return std::nullopt;
  return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
}

}  // namespace hlslim::onnx_import
