#include "hlslim/graph/model_file.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/version.hpp"

namespace hlslim {
namespace {

using json = nlohmann::json;

constexpr char kMagic[8] = {'H', 'L', 'S', 'L', 'I', 'M', 'M', '\n'};
constexpr std::size_t kPreamble = sizeof(kMagic) + sizeof(std::uint32_t) + sizeof(std::uint64_t);
constexpr std::size_t kChecksumSize = 64;  // SHA-256 as hex

static_assert(sizeof(float) == 4, "model files store IEEE float32");

// Attribute values keep their type through JSON: [tag, value].
json attr_to_json(const AttrValue& value) {
  struct Visitor {
    json operator()(bool v) const { return json::array({"bool", v}); }
    json operator()(std::int64_t v) const { return json::array({"int", v}); }
    json operator()(double v) const { return json::array({"float", v}); }
    json operator()(const std::string& v) const { return json::array({"string", v}); }
    json operator()(const std::vector<std::int64_t>& v) const {
      return json::array({"int_list", v});
    }
    json operator()(const std::vector<double>& v) const { return json::array({"float_list", v}); }
    json operator()(const std::vector<std::string>& v) const {
      return json::array({"string_list", v});
    }
  };
  return std::visit(Visitor{}, value);
}

AttrValue attr_from_json(const json& j) {
  const std::string tag = j.at(0).get<std::string>();
  const json& v = j.at(1);
  if (tag == "bool") return v.get<bool>();
  if (tag == "int") return v.get<std::int64_t>();
  if (tag == "float") return v.get<double>();
  if (tag == "string") return v.get<std::string>();
  if (tag == "int_list") return v.get<std::vector<std::int64_t>>();
  if (tag == "float_list") return v.get<std::vector<double>>();
  if (tag == "string_list") return v.get<std::vector<std::string>>();
  throw std::runtime_error("unknown attribute type '" + tag + "'");
}

json attrs_to_json(const AttrMap& attrs) {
  json out = json::object();
  for (const auto& [key, value] : attrs) out[key] = attr_to_json(value);
  return out;
}

AttrMap attrs_from_json(const json& j) {
  AttrMap out;
  for (const auto& [key, value] : j.items()) out[key] = attr_from_json(value);
  return out;
}

json option_to_json(const OptionValue& value) {
  if (auto* v = std::get_if<bool>(&value)) return *v;
  if (auto* v = std::get_if<std::int64_t>(&value)) return *v;
  if (auto* v = std::get_if<double>(&value)) return *v;
  if (auto* v = std::get_if<std::string>(&value)) return *v;
  if (auto* v = std::get_if<std::vector<std::int64_t>>(&value)) return *v;
  if (auto* v = std::get_if<std::vector<double>>(&value)) return *v;
  if (auto* v = std::get_if<std::vector<std::string>>(&value)) return *v;
  return nullptr;
}

OptionValue option_from_json(OptionType type, const json& j) {
  switch (type) {
    case OptionType::kBool:
      return j.get<bool>();
    case OptionType::kInt:
      return j.get<std::int64_t>();
    case OptionType::kFloat:
      return j.get<double>();
    case OptionType::kIntList:
      return j.get<std::vector<std::int64_t>>();
    case OptionType::kFloatList:
      return j.get<std::vector<double>>();
    case OptionType::kStringList:
      return j.get<std::vector<std::string>>();
    default:
      return j.get<std::string>();
  }
}

template <typename T>
void append_pod(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T read_pod(const std::string& bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

void save_model(const Graph& graph, const std::filesystem::path& path) {
  json header;
  header["format"] = "hlslim-model";
  header["format_version"] = kModelFormatVersion;
  header["hlslim_version"] = version();
  header["name"] = graph.name;
  header["input_shape"] = graph.input_shape;
  header["default_attrs"] = attrs_to_json(graph.default_attrs);
  json type_attrs = json::object();
  for (const auto& [type, attrs] : graph.type_attrs) type_attrs[type] = attrs_to_json(attrs);
  header["type_attrs"] = type_attrs;

  std::string data;
  json layers = json::array();
  for (const auto& layer : graph.layers) {
    json entry;
    entry["name"] = layer.name;
    entry["type"] = layer_kind_name(layer.kind);
    LayerParams params;
    OptionTable table;
    declare_layer_params(layer.kind, params, table);
    params = layer.params;
    json params_json = json::object();
    for (const auto& spec : table.specs()) params_json[spec.key()] = option_to_json(spec.current());
    entry["params"] = params_json;
    entry["attrs"] = attrs_to_json(layer.attrs);
    json tensors = json::array();
    for (const auto& [name, tensor] : layer.tensors) {
      tensors.push_back({{"name", name},
                         {"shape", tensor.shape},
                         {"offset", data.size()},
                         {"count", tensor.values.size()}});
      data.append(reinterpret_cast<const char*>(tensor.values.data()),
                  tensor.values.size() * sizeof(float));
    }
    entry["tensors"] = tensors;
    layers.push_back(entry);
  }
  header["layers"] = layers;
  header["data_bytes"] = data.size();

  const std::string header_text = header.dump();
  std::string bytes(kMagic, sizeof(kMagic));
  append_pod<std::uint32_t>(bytes, kModelFormatVersion);
  append_pod<std::uint64_t>(bytes, header_text.size());
  bytes += header_text;
  bytes += data;
  bytes += sha256_hex(bytes);
  write_file_atomic(path, bytes);
}

Graph load_model(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto fail = [&](const std::string& why) -> FileFormatError {
    return FileFormatError("model file '" + file + "': " + why);
  };
  const std::string bytes = read_file(path);
  const std::size_t magic_len = std::min(bytes.size(), sizeof(kMagic));
  if (std::memcmp(bytes.data(), kMagic, magic_len) != 0) {
    throw fail("not an hlslim model file (bad magic bytes)");
  }
  auto truncated = [&](std::size_t expected) {
    return fail("truncated (expected " + std::to_string(expected) + " bytes, found " +
                std::to_string(bytes.size()) + ")");
  };
  if (bytes.size() < kPreamble) throw truncated(kPreamble);
  const auto format_version = read_pod<std::uint32_t>(bytes, sizeof(kMagic));
  if (format_version != kModelFormatVersion) {
    throw fail("format version " + std::to_string(format_version) +
               " is not supported (this hlslim reads version " +
               std::to_string(kModelFormatVersion) + ")");
  }
  const auto header_len = read_pod<std::uint64_t>(bytes, sizeof(kMagic) + 4);
  if (header_len > bytes.size() || kPreamble + header_len + kChecksumSize > bytes.size()) {
    throw truncated(kPreamble + header_len + kChecksumSize);
  }
  json header;
  try {
    header = json::parse(bytes.substr(kPreamble, header_len));
  } catch (const json::exception&) {
    throw fail("corrupted header (not valid JSON)");
  }
  const std::size_t data_bytes = header.value("data_bytes", std::size_t{0});
  const std::size_t expected = kPreamble + header_len + data_bytes + kChecksumSize;
  if (bytes.size() < expected) throw truncated(expected);
  if (bytes.size() > expected) {
    throw fail("corrupted (" + std::to_string(bytes.size() - expected) +
               " unexpected trailing bytes)");
  }
  const std::size_t body = expected - kChecksumSize;
  if (sha256_hex(std::string_view(bytes).substr(0, body)) != bytes.substr(body)) {
    throw fail("checksum mismatch: the file is corrupted");
  }

  Graph graph;
  try {
    graph.name = header.at("name").get<std::string>();
    graph.input_shape = header.at("input_shape").get<Shape>();
    graph.default_attrs = attrs_from_json(header.at("default_attrs"));
    for (const auto& [type, attrs] : header.at("type_attrs").items())
      graph.type_attrs[type] = attrs_from_json(attrs);
    const char* data = bytes.data() + kPreamble + header_len;
    for (const auto& entry : header.at("layers")) {
      Layer layer;
      layer.name = entry.at("name").get<std::string>();
      const std::string type = entry.at("type").get<std::string>();
      const auto kind = parse_layer_kind(type);
      if (!kind) throw fail("unknown layer type '" + type + "'");
      layer.kind = *kind;
      OptionTable table;
      declare_layer_params(layer.kind, layer.params, table);
      const json& params = entry.at("params");
      for (const auto& spec : table.specs()) {
        if (params.contains(spec.key()))
          spec.store(option_from_json(spec.type(), params.at(spec.key())));
      }
      layer.attrs = attrs_from_json(entry.at("attrs"));
      for (const auto& t : entry.at("tensors")) {
        Tensor tensor;
        tensor.shape = t.at("shape").get<Shape>();
        const auto offset = t.at("offset").get<std::size_t>();
        const auto count = t.at("count").get<std::size_t>();
        if (count != static_cast<std::size_t>(shape_numel(tensor.shape)) ||
            offset + count * sizeof(float) > data_bytes) {
          throw fail("corrupted tensor table for layer '" + layer.name + "'");
        }
        tensor.values.resize(count);
        std::memcpy(tensor.values.data(), data + offset, count * sizeof(float));
        layer.tensors[t.at("name").get<std::string>()] = std::move(tensor);
      }
      graph.layers.push_back(std::move(layer));
    }
  } catch (const json::exception& e) {
    throw fail(std::string("corrupted header (") + e.what() + ")");
  } catch (const std::bad_variant_access&) {
    throw fail("corrupted header (parameter of the wrong type)");
  }
  try {
    graph.shapes();
  } catch (const Error& e) {
    throw fail(std::string("inconsistent architecture: ") + e.what());
  }
  return graph;
}

}  // namespace hlslim
