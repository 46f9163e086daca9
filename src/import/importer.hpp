#pragma once

// The ONNX importer's state while it walks the nodes of one file in order: the constants known
// so far, the one value that flows from layer to layer (the activation) with how its ONNX
// layout maps to hlslim's, and the graph built so far.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hlslim/graph/graph.hpp"
#include "hlslim/quant/fixed_type.hpp"
#include "onnx_reader.hpp"

namespace hlslim::onnx_import {

/// The value flowing between layers. `dims` are its ONNX dimensions without the batch; its
/// elements, in ONNX row-major order, are the elements of hlslim's current tensor (shape
/// `Importer::shape_`, channels first) at the flat positions `order` (empty: the same order).
struct Activation {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> order;
};

/// True when `values` holds each of 0 .. n - 1 exactly once.
bool is_permutation(const std::vector<std::int64_t>& values, std::size_t n);

/// True when `order` is empty or maps every position to itself.
bool identity_order(const std::vector<std::int64_t>& order);

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string file, std::string model_name);
  Graph run();

 private:
  // onnx_import.cpp: the walk, constants, layout-only operators.
  void read_inputs();
  void visit(const onnx::NodeProto& node);
  bool fold_constant(const onnx::NodeProto& node);
  const Constant& constant(const onnx::NodeProto& node, int input) const;
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }
  void advance(const onnx::NodeProto& node, std::vector<std::int64_t> dims,
               std::vector<std::int64_t> order);
  void transpose(const onnx::NodeProto& node);
  void reshape(const onnx::NodeProto& node, const std::vector<std::int64_t>& target);
  void to_layout(const onnx::NodeProto& node, std::size_t rank);
  void flatten_for(const onnx::NodeProto& node);
  Layer& add_layer(const onnx::NodeProto& node, LayerKind kind, LayerParams params = {});
  [[noreturn]] void fail(const onnx::NodeProto& node, const std::string& message) const;

  // onnx_layers.cpp: operators that become layers.
  void dense(const onnx::NodeProto& node, const Constant& weight, bool transposed, double alpha,
             const std::string& weight_name);
  void gemm(const onnx::NodeProto& node);
  void matmul(const onnx::NodeProto& node);
  void add_bias(const onnx::NodeProto& node);
  void conv(const onnx::NodeProto& node);
  void pool(const onnx::NodeProto& node);
  void global_pool(const onnx::NodeProto& node);
  void batch_norm(const onnx::NodeProto& node);
  void activation(const onnx::NodeProto& node, LayerKind kind);
  void softmax(const onnx::NodeProto& node);
  void channels_last(const onnx::NodeProto& node);
  void scale(const onnx::NodeProto& node);
  std::vector<std::int64_t> channel_map(const onnx::NodeProto& node, const Constant& c) const;

  // quant_import.cpp: QONNX.
  void quant(const onnx::NodeProto& node);
  FixedType quant_type(const onnx::NodeProto& node) const;
  void set_role(const onnx::NodeProto& node, std::size_t layer, const std::string& role,
                const FixedType& type);
  void role_from_constant(const std::string& constant_name, std::size_t layer,
                          const std::string& role);
  void store_precisions();

  const onnx::ModelProto& model_;
  std::string file_;
  Graph graph_;
  int opset_ = 13;
  std::map<std::string, Constant> constants_;
  std::map<std::string, std::pair<std::string, FixedType>> constant_types_;  ///< name -> node, type
  Activation act_;
  Shape shape_;                             ///< hlslim's shape of the current tensor
  std::optional<std::size_t> bias_target_;  ///< a dense/conv layer whose output is act_
  std::vector<std::int64_t> shift_map_;     ///< a Mul's batch norm: constant position -> channel
  std::string flatten_node_;  ///< the Flatten/Reshape that made act_ flat, named for its layer
  std::set<std::string> names_;
  std::map<std::string, int> kind_counts_;
  // QONNX precisions: per layer and role, with the Quant node that set it.
  std::optional<FixedType> input_type_;
  std::vector<std::map<std::string, FixedType>> roles_;
  bool quantized_ = false;
};

}  // namespace hlslim::onnx_import
