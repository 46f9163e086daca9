#pragma once

// Reading the parts of an ONNX protobuf the importer needs: the model file, tensors as doubles
// and node attributes, each failing with an hlslim::Error that names the node.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace hlslim::onnx_import {

/// A constant: an initializer, a Constant node's value, or a value computed from constants.
struct Constant {
  std::vector<std::int64_t> dims;
  std::vector<double> values;
};

/// Parses the file. Throws hlslim::Error when it is missing or not an ONNX model.
onnx::ModelProto read_model(const std::filesystem::path& path);

/// The values of a tensor (float, double, int32/64, int8/16, uint8/16, bool), from its typed
/// fields or its raw bytes. Throws hlslim::Error naming `what` for other types and for data
/// stored outside the file.
Constant tensor_values(const onnx::TensorProto& tensor, const std::string& what);

/// "1, 2, 3"
std::string join_ints(const std::vector<std::int64_t>& values);

/// "node 'Gemm_0' (Gemm)"
std::string node_label(const onnx::NodeProto& node);

/// An attribute of `node`, or nullptr.
const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name);
std::int64_t int_attr(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback);
double float_attr(const onnx::NodeProto& node, const std::string& name, double fallback);
std::string string_attr(const onnx::NodeProto& node, const std::string& name,
                        const std::string& fallback);
std::optional<std::vector<std::int64_t>> ints_attr(const onnx::NodeProto& node,
                                                   const std::string& name);

}  // namespace hlslim::onnx_import
