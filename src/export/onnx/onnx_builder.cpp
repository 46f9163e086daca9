#include "onnx_builder.hpp"

#include <cctype>
#include <string>

#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim::onnx_export {
namespace {

void set_dims(onnx::TypeProto_Tensor* tensor_type, const Dims& dims) {
  tensor_type->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor_type->mutable_shape();
  for (std::int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(d);
    }
  }
}

void fill_value_info(onnx::ValueInfoProto* info, const std::string& name, const Dims& dims) {
  info->set_name(name);
  set_dims(info->mutable_type()->mutable_tensor_type(), dims);
}

}  // namespace

OnnxBuilder::OnnxBuilder(const std::string& graph_name,
                         const std::vector<std::string>& custom_domains) {
  // IR version 7 is what opset 13 came with; ONNX Runtime and onnx 1.12 both read it.
  model_.set_ir_version(7);
  model_.set_producer_name("hlslim");
  auto* opset = model_.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  for (const std::string& domain : custom_domains) {
    auto* custom = model_.add_opset_import();
    custom->set_domain(domain);
    custom->set_version(1);
  }
  graph_ = model_.mutable_graph();
  graph_->set_name(graph_name);
}

void OnnxBuilder::add_initializer(const std::string& name, const Dims& dims,
                                  const std::vector<float>& values) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) t->add_dims(d);
  t->mutable_float_data()->Add(values.begin(), values.end());
  // hls4ml reads the shape of every tensor a node takes from the value infos or graph inputs.
  add_value_info(name, dims);
}

void OnnxBuilder::add_int64_initializer(const std::string& name, const Dims& dims,
                                        const std::vector<std::int64_t>& values) {
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (std::int64_t d : dims) t->add_dims(d);
  t->mutable_int64_data()->Add(values.begin(), values.end());
  onnx::ValueInfoProto* info = graph_->add_value_info();
  info->set_name(name);
  auto* tensor_type = info->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(onnx::TensorProto::INT64);
  auto* shape = tensor_type->mutable_shape();
  for (std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

onnx::NodeProto& OnnxBuilder::add_node(const std::string& op_type, const std::string& name,
                                       const std::vector<std::string>& inputs,
                                       const std::vector<std::string>& outputs,
                                       const std::string& domain) {
  onnx::NodeProto* node = graph_->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  if (!domain.empty()) node->set_domain(domain);
  for (const auto& in : inputs) node->add_input(in);
  for (const auto& out : outputs) node->add_output(out);
  return *node;
}

void OnnxBuilder::set_int(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void OnnxBuilder::set_float(onnx::NodeProto& node, const std::string& name, float value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void OnnxBuilder::set_string(onnx::NodeProto& node, const std::string& name,
                             const std::string& value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

void OnnxBuilder::set_ints(onnx::NodeProto& node, const std::string& name,
                           const std::vector<std::int64_t>& values) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t v : values) a->add_ints(v);
}

void OnnxBuilder::add_input(const std::string& name, const Dims& dims) {
  fill_value_info(graph_->add_input(), name, dims);
}

void OnnxBuilder::add_output(const std::string& name, const Dims& dims) {
  fill_value_info(graph_->add_output(), name, dims);
}

void OnnxBuilder::add_value_info(const std::string& name, const Dims& dims) {
  fill_value_info(graph_->add_value_info(), name, dims);
}

void save_model(const onnx::ModelProto& model, const std::filesystem::path& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    throw Error("cannot serialize the ONNX model for '" + path.string() + "'");
  }
  write_file_atomic(path, bytes);
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// 0: free; 1: taken, or a prefix of a taken name; 2: a taken name followed by '_' is its prefix.
int NameTable::conflict(const std::string& candidate, std::size_t& prefix_size) const {
  for (const std::string& used : used_lower_) {
    if (used == candidate) return 1;
    if (used.size() > candidate.size() &&
        used.compare(0, candidate.size() + 1, candidate + "_") == 0)
      return 1;
    if (candidate.size() > used.size() && candidate.compare(0, used.size() + 1, used + "_") == 0) {
      prefix_size = used.size();
      return 2;
    }
  }
  return 0;
}

std::string NameTable::claim(const std::string& wanted) {
  std::string base;
  for (char c : wanted) {
    const char mapped = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    // Identifiers with "__" are reserved in C++.
    if (mapped == '_' && !base.empty() && base.back() == '_') continue;
    base += mapped;
  }
  // A leading digit is not a C identifier (and hls4ml renames such layers); a leading
  // underscore would make reserved identifiers of some derived names.
  if (base.empty() || !std::isalpha(static_cast<unsigned char>(base[0]))) base = "layer_" + base;
  while (base.size() > 1 && base.back() == '_') base.pop_back();
  // "fc" then "fc" again gives "fc2"; "fc" then "fc_out" gives "fcout" (a name that begins with
  // another one and '_' would collide with that one's derived names).
  std::string name = base;
  int n = 1;
  for (;;) {
    std::size_t prefix_size = 0;
    const int kind = conflict(lower(name), prefix_size);
    if (kind == 0) break;
    if (kind == 2) {
      base = name.erase(prefix_size, 1);
      n = 1;
    } else {
      name = base + std::to_string(++n);
    }
  }
  used_lower_.insert(lower(name));
  return name;
}

}  // namespace hlslim::onnx_export
