#include "hlslim/graph/model_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>

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
  throw Error("unknown attribute type '" + tag + "'");
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

template <typename T>
void append_pod(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// The element count of a tensor shape, or nullopt when a dimension is negative or the product
// exceeds `limit`.
std::optional<std::uint64_t> checked_numel(const Shape& shape, std::uint64_t limit) {
  std::uint64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d == 0) return 0;
  }
  for (const std::int64_t d : shape) {
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n) || n > limit) {
      return std::nullopt;
    }
  }
  return n;
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
  // Sizes are added with overflow checks: a header length or data size near 2^64 must not wrap
  // around to a sum that matches the file.
  auto truncated = [&](std::optional<std::uint64_t> expected) {
    return fail("truncated (expected " +
                (expected ? std::to_string(*expected) : std::string("more than 2^64")) +
                " bytes, found " + std::to_string(bytes.size()) + ")");
  };
  auto sum = [](std::initializer_list<std::uint64_t> parts) -> std::optional<std::uint64_t> {
    std::uint64_t total = 0;
    for (const std::uint64_t part : parts) {
      if (__builtin_add_overflow(total, part, &total)) return std::nullopt;
    }
    return total;
  };
  if (bytes.size() < kPreamble) throw truncated(kPreamble);
  const auto format_version = read_pod<std::uint32_t>(bytes, sizeof(kMagic));
  if (format_version != kModelFormatVersion) {
    throw fail("format version " + std::to_string(format_version) +
               " is not supported (this hlslim reads version " +
               std::to_string(kModelFormatVersion) + ")");
  }
  const auto header_len = read_pod<std::uint64_t>(bytes, sizeof(kMagic) + 4);
  const std::optional<std::uint64_t> header_end = sum({kPreamble, header_len, kChecksumSize});
  if (!header_end || *header_end > bytes.size()) throw truncated(header_end);
  json header;
  try {
    header = json::parse(bytes.substr(kPreamble, header_len));
  } catch (const json::exception&) {
    throw fail("corrupted header (not valid JSON)");
  }
  if (!header.is_object()) throw fail("corrupted header (not a JSON object)");
  std::uint64_t data_bytes = 0;
  if (header.contains("data_bytes")) {
    if (!header["data_bytes"].is_number_unsigned()) {
      throw fail("corrupted header ('data_bytes' is not a non-negative integer)");
    }
    data_bytes = header["data_bytes"].get<std::uint64_t>();
  }
  const std::optional<std::uint64_t> file_size = sum({*header_end, data_bytes});
  if (!file_size || *file_size > bytes.size()) throw truncated(file_size);
  const std::size_t expected = *file_size;
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
    // As a config's `input` (graph/architecture.cpp): none yet, or 1 to 3 dimensions, each at
    // least 1.
    if (graph.input_shape.size() > 3 ||
        std::any_of(graph.input_shape.begin(), graph.input_shape.end(),
                    [](std::int64_t d) { return d < 1; })) {
      throw fail("corrupted header (input shape " + shape_str(graph.input_shape) +
                 ": at most 3 dimensions, each at least 1)");
    }
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
        const std::string where = "layer '" + layer.name + "', parameter '" + spec.key() + "'";
        if (!params.contains(spec.key())) {
          if (spec.is_required()) throw fail("corrupted header (" + where + " is missing)");
          continue;
        }
        // The option table's own checks (list sizes, bounds, choices), as a layer in a config
        // gets them: shape inference relies on them, and a file is no more trusted than a config.
        Diagnostics diagnostics;
        std::optional<OptionValue> value;
        try {
          value =
              spec.parse(YAML::Load(params.at(spec.key()).dump()), SourcePos{}, "", diagnostics);
        } catch (const YAML::Exception&) {
        }
        if (!value) {
          throw fail("corrupted header (" + where + ": " +
                     (diagnostics.all().empty() ? std::string("unreadable")
                                                : diagnostics.all().front().message) +
                     ")");
        }
        spec.store(*value);
      }
      layer.attrs = attrs_from_json(entry.at("attrs"));
      for (const auto& t : entry.at("tensors")) {
        Tensor tensor;
        tensor.shape = t.at("shape").get<Shape>();
        const auto offset = t.at("offset").get<std::size_t>();
        const auto count = t.at("count").get<std::size_t>();
        const std::string name = t.at("name").get<std::string>();
        const std::string where = "layer '" + layer.name + "', tensor '" + name + "'";
        // Overflow-safe: the offset and the size are each checked against what remains, so an
        // offset near 2^64 cannot wrap around to point inside (or before) the data.
        const std::optional<std::uint64_t> numel =
            checked_numel(tensor.shape, data_bytes / sizeof(float));
        if (!numel || count != *numel || offset > data_bytes ||
            count > (data_bytes - offset) / sizeof(float)) {
          throw fail("corrupted tensor table for layer '" + layer.name + "' (tensor '" + name +
                     "': offset " + std::to_string(offset) + ", " + std::to_string(count) +
                     " values, " + std::to_string(data_bytes) + " bytes of data)");
        }
        tensor.values.resize(count);
        std::memcpy(tensor.values.data(), data + offset, count * sizeof(float));
        for (std::size_t i = 0; i < count; ++i) {
          if (!std::isfinite(tensor.values[i])) {
            throw fail(where + ": value " + std::to_string(i) + " is " +
                       (std::isnan(tensor.values[i]) ? "NaN" : "infinite") +
                       " (a model with non-finite weights cannot be quantized or exported)");
          }
        }
        layer.tensors[name] = std::move(tensor);
      }
      graph.layers.push_back(std::move(layer));
    }
  } catch (const json::exception& e) {
    throw fail(std::string("corrupted header (") + e.what() + ")");
  } catch (const std::bad_variant_access&) {
    throw fail("corrupted header (parameter of the wrong type)");
  } catch (const FileFormatError&) {
    throw;
  } catch (const Error& e) {
    throw fail(std::string("corrupted header (") + e.what() + ")");
  }
  try {
    graph.shapes();
  } catch (const Error& e) {
    throw fail(std::string("inconsistent architecture: ") + e.what());
  }
  return graph;
}

}  // namespace hlslim
