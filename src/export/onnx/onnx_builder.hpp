#pragma once

// A thin layer over the ONNX protobuf classes for the writers: initializers, nodes with
// attributes, declared tensor shapes, unique C-identifier names and the atomic file write.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace hlslim::onnx_export {

/// A dimension list with -1 standing for the symbolic batch dimension "N".
using Dims = std::vector<std::int64_t>;

/// Builds one ModelProto: opset 13 of the default domain plus the given custom domains.
class OnnxBuilder {
 public:
  OnnxBuilder(const std::string& graph_name, const std::vector<std::string>& custom_domains);

  /// Float32 initializer; `values` are in row-major order of `dims`.
  void add_initializer(const std::string& name, const Dims& dims, const std::vector<float>& values);
  void add_int64_initializer(const std::string& name, const Dims& dims,
                             const std::vector<std::int64_t>& values);

  /// Adds a node; attributes are added with the helpers below on the returned node.
  onnx::NodeProto& add_node(const std::string& op_type, const std::string& name,
                            const std::vector<std::string>& inputs,
                            const std::vector<std::string>& outputs,
                            const std::string& domain = "");

  static void set_int(onnx::NodeProto& node, const std::string& name, std::int64_t value);
  static void set_float(onnx::NodeProto& node, const std::string& name, float value);
  static void set_string(onnx::NodeProto& node, const std::string& name, const std::string& value);
  static void set_ints(onnx::NodeProto& node, const std::string& name,
                       const std::vector<std::int64_t>& values);

  /// Graph input/output and intermediate shapes (float32).
  void add_input(const std::string& name, const Dims& dims);
  void add_output(const std::string& name, const Dims& dims);
  void add_value_info(const std::string& name, const Dims& dims);

  onnx::ModelProto& model() { return model_; }

 private:
  onnx::ModelProto model_;
  onnx::GraphProto* graph_;
};

/// Serializes and writes a model atomically; throws hlslim::Error on failure.
void save_model(const onnx::ModelProto& model, const std::filesystem::path& path);

/// Hands out base names for layers: valid C identifiers starting with a letter, unique
/// case-insensitively (hls4ml looks names up in lower case), and such that no base is another
/// one followed by '_' and more. A layer's nodes and tensors are its base plus "_suffix", so
/// no two layers' derived names can collide. Disambiguates by appending 2, 3, ... or, for a
/// name that begins with a taken one and '_', by dropping that '_'.
class NameTable {
 public:
  std::string claim(const std::string& wanted);

 private:
  int conflict(const std::string& candidate_lower, std::size_t& prefix_size) const;
  std::set<std::string> used_lower_;
};

/// Lower-cases ASCII.
std::string lower(std::string text);

}  // namespace hlslim::onnx_export
