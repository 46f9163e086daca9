// OptionTable: declaring options and reading a mapping of them; OptionValues: the result.
#include "hlslim/config/options.hpp"

#include <algorithm>
#include <map>

#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

OptionSpec& OptionTable::add(OptionSpec spec) {
  specs_.push_back(std::move(spec));
  return specs_.back();
}

OptionSpec& OptionSpec::bind(std::function<void(const OptionValue&)> sink,
                             std::function<OptionValue()> source) {
  sink_ = std::move(sink);
  source_ = std::move(source);
  return *this;
}

template <typename T, typename Stored = T>
static void bind(OptionSpec& spec, T& target) {
  spec.bind([&target](const OptionValue& v) { target = T(std::get<Stored>(v)); },
            [&target]() { return OptionValue(Stored(target)); });
}

OptionSpec& OptionTable::add_bool(const std::string& key, bool& target, bool fallback,
                                  std::string help) {
  OptionSpec spec(key, OptionType::kBool, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = fallback;
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_int(const std::string& key, std::int64_t& target,
                                 std::int64_t fallback, std::string help) {
  OptionSpec spec(key, OptionType::kInt, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = fallback;
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_float(const std::string& key, double& target, double fallback,
                                   std::string help) {
  OptionSpec spec(key, OptionType::kFloat, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = fallback;
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_string(const std::string& key, std::string& target,
                                    std::string fallback, std::string help) {
  OptionSpec spec(key, OptionType::kString, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = std::move(fallback);
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_path(const std::string& key, std::filesystem::path& target,
                                  std::string fallback, std::string help) {
  OptionSpec spec(key, OptionType::kPath, std::move(help));
  spec.default_ = fallback;
  bind<std::filesystem::path, std::string>(spec, target);
  target = fallback;
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_choice(const std::string& key, std::string& target,
                                    std::string fallback, std::vector<std::string> choices,
                                    std::string help) {
  OptionSpec spec(key, OptionType::kChoice, std::move(help));
  spec.default_ = fallback;
  spec.choices_ = std::move(choices);
  bind(spec, target);
  target = std::move(fallback);
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_choice_spec(const std::string& key, std::string fallback,
                                         std::vector<std::string> choices, std::string help) {
  OptionSpec spec(key, OptionType::kChoice, std::move(help));
  spec.default_ = std::move(fallback);
  spec.choices_ = std::move(choices);
  return add(std::move(spec));
}

void OptionTable::throw_unknown_choice(const std::string& key, const std::string& text,
                                       const std::vector<std::string>& choices) {
  throw Error(key + ": '" + text + "' is not one of: " + join(choices, ", "));
}

OptionSpec& OptionTable::add_int_list(const std::string& key, std::vector<std::int64_t>& target,
                                      std::vector<std::int64_t> fallback, std::string help) {
  OptionSpec spec(key, OptionType::kIntList, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = std::move(fallback);
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_float_list(const std::string& key, std::vector<double>& target,
                                        std::vector<double> fallback, std::string help) {
  OptionSpec spec(key, OptionType::kFloatList, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = std::move(fallback);
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_string_list(const std::string& key, std::vector<std::string>& target,
                                         std::vector<std::string> fallback, std::string help) {
  OptionSpec spec(key, OptionType::kStringList, std::move(help));
  spec.default_ = fallback;
  bind(spec, target);
  target = std::move(fallback);
  return add(std::move(spec));
}

OptionSpec& OptionTable::add_yaml(const std::string& key, YAML::Node& target, std::string help) {
  OptionSpec spec(key, OptionType::kYaml, std::move(help));
  spec.default_ = YAML::Node(YAML::NodeType::Map);
  // YAML::Node's operator= rewrites the node it is bound to; rebinding needs reset().
  spec.bind([&target](const OptionValue& v) { target.reset(std::get<YAML::Node>(v)); },
            [&target]() { return OptionValue(target); });
  target.reset(YAML::Node(YAML::NodeType::Map));
  return add(std::move(spec));
}

YAML::Node OptionTable::current_yaml() const {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& spec : specs_) {
    out[spec.key()] = spec.group() ? spec.group()->current_yaml() : to_yaml(spec.current());
  }
  return out;
}

OptionTable& OptionTable::add_group(const std::string& key, std::string help) {
  OptionSpec spec(key, OptionType::kGroup, std::move(help));
  spec.default_ = YAML::Node(YAML::NodeType::Map);
  spec.group_ = std::make_shared<OptionTable>();
  return *add(std::move(spec)).group_;
}

const OptionSpec* OptionTable::find(const std::string& key) const {
  for (const auto& spec : specs_)
    if (spec.key() == key) return &spec;
  return nullptr;
}

std::vector<std::string> OptionTable::keys() const {
  std::vector<std::string> out;
  for (const auto& spec : specs_) out.push_back(spec.key());
  return out;
}

OptionValues OptionTable::parse(const ConfigSource& source, const YAML::Node& mapping,
                                const std::string& path, const std::string& context,
                                const std::vector<std::string>& reserved,
                                Diagnostics& diagnostics) const {
  OptionValues values;
  const SourcePos owner_pos = source.pos(mapping, path);
  const std::string in_context = context.empty() ? "" : " " + context;
  if (mapping.IsDefined() && !mapping.IsNull() && !mapping.IsMap()) {
    diagnostics.error(owner_pos, "expected a mapping of options" + in_context + ", got " +
                                     describe_node(mapping));
    return values;
  }

  std::vector<std::string> known = keys();
  known.insert(known.end(), reserved.begin(), reserved.end());
  std::map<std::string, YAML::Node> given;
  if (mapping.IsMap()) {
    for (const auto& item : mapping) {
      const std::string key = item.first.Scalar();
      const SourcePos key_pos = source.pos(item.first, join_path(path, key));
      if (given.count(key)) continue;  // ConfigSource reported it, with both positions
      given[key] = item.second;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        diagnostics.error(key_pos,
                          "unknown key '" + key + "'" + in_context + did_you_mean(key, known));
      }
    }
  }

  for (const auto& spec : specs_) {
    OptionValues::Entry entry;
    auto it = given.find(spec.key());
    if (spec.type() == OptionType::kGroup) {
      const bool present = it != given.end() && !it->second.IsNull();
      const std::string group_path = join_path(path, spec.key());
      entry.defaulted = !present;
      entry.pos = present ? source.pos(it->second, group_path) : owner_pos;
      entry.value = present ? it->second : YAML::Node(YAML::NodeType::Map);
      entry.group = std::make_shared<OptionValues>(
          spec.group()->parse(source, present ? it->second : YAML::Node(YAML::NodeType::Map),
                              group_path, "in '" + group_path + "'" + in_context, {}, diagnostics));
      values.order_.push_back(spec.key());
      values.entries_[spec.key()] = std::move(entry);
      continue;
    }
    if (it == given.end() || (it->second.IsNull() && spec.type() != OptionType::kYaml)) {
      if (spec.is_required()) {
        diagnostics.error(owner_pos, "missing required key '" + spec.key() + "'" + in_context);
        continue;
      }
      entry.value = *spec.default_value();
      entry.pos = owner_pos;
      entry.defaulted = true;
    } else {
      entry.pos = source.pos(it->second, join_path(path, spec.key()));
      auto parsed =
          spec.parse(it->second, entry.pos, in_context.empty() ? "" : context, diagnostics);
      if (!parsed) continue;
      entry.value = std::move(*parsed);
    }
    // Paths are stored resolved against the config's directory; the value keeps the text.
    const auto* text = std::get_if<std::string>(&entry.value);
    if (spec.type() == OptionType::kPath && text && !text->empty()) {
      spec.store((source.base_dir() / *text).lexically_normal().string());
    } else {
      spec.store(entry.value);
    }
    values.order_.push_back(spec.key());
    values.entries_[spec.key()] = std::move(entry);
  }
  return values;
}

const OptionValue& OptionValues::value(const std::string& key) const {
  return entries_.at(key).value;
}

const SourcePos& OptionValues::pos(const std::string& key) const {
  return entries_.at(key).pos;
}

bool OptionValues::defaulted(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() || it->second.defaulted;
}

YAML::Node OptionValues::to_yaml(const OptionTable& table,
                                 const std::filesystem::path& base_dir) const {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& key : order_) {
    const auto& value = entries_.at(key).value;
    const OptionSpec* spec = table.find(key);
    if (spec && spec->type() == OptionType::kGroup) {
      out[key] = entries_.at(key).group->to_yaml(*spec->group(), base_dir);
    } else if (spec && spec->type() == OptionType::kPath && !base_dir.empty()) {
      const std::string& text = std::get<std::string>(value);
      out[key] = text.empty() ? text : (base_dir / text).lexically_normal().string();
    } else {
      out[key] = hlslim::to_yaml(value);
    }
  }
  return out;
}

YAML::Node to_yaml(const OptionValue& value) {
  struct Visitor {
    YAML::Node operator()(bool v) const { return YAML::Node(v); }
    YAML::Node operator()(std::int64_t v) const { return YAML::Node(v); }
    YAML::Node operator()(double v) const { return YAML::Node(format_double(v)); }
    YAML::Node operator()(const std::string& v) const { return YAML::Node(v); }
    YAML::Node operator()(const std::vector<std::int64_t>& v) const {
      YAML::Node n(YAML::NodeType::Sequence);
      for (auto x : v) n.push_back(x);
      n.SetStyle(YAML::EmitterStyle::Flow);
      return n;
    }
    YAML::Node operator()(const std::vector<double>& v) const {
      YAML::Node n(YAML::NodeType::Sequence);
      for (auto x : v) n.push_back(format_double(x));
      n.SetStyle(YAML::EmitterStyle::Flow);
      return n;
    }
    YAML::Node operator()(const std::vector<std::string>& v) const {
      YAML::Node n(YAML::NodeType::Sequence);
      for (const auto& x : v) n.push_back(x);
      n.SetStyle(YAML::EmitterStyle::Flow);
      return n;
    }
    YAML::Node operator()(const YAML::Node& v) const {
      YAML::Node copy = YAML::Clone(v);
      // Empty blocks print as {} or [] wherever they stand, so a dump dumps to itself.
      if (copy.size() == 0) copy.SetStyle(YAML::EmitterStyle::Flow);
      return copy;
    }
  };
  return std::visit(Visitor{}, value);
}

std::string value_text(const OptionValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return s->empty() ? "\"\"" : *s;
  if (const auto* n = std::get_if<YAML::Node>(&value)) {
    if (n->IsMap() && n->size() == 0) return "{}";
  }
  YAML::Emitter out;
  out << YAML::Flow << to_yaml(value);
  return out.c_str();
}

}  // namespace hlslim
