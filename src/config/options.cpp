#include "hlslim/config/options.hpp"

#include <cmath>
#include <limits>
#include <set>

#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

std::optional<std::int64_t> scalar_int(const YAML::Node& node) {
  std::int64_t v = 0;
  if (node.IsScalar() && YAML::convert<std::int64_t>::decode(node, v)) return v;
  return std::nullopt;
}

std::optional<double> scalar_float(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  // yaml-cpp reads "1e-3" and ".inf"; reject non-finite values, which no option wants.
  double v = 0;
  if (!YAML::convert<double>::decode(node, v) || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> scalar_bool(const YAML::Node& node) {
  bool v = false;
  if (node.IsScalar() && YAML::convert<bool>::decode(node, v)) return v;
  return std::nullopt;
}

}  // namespace

std::string type_name(OptionType type) {
  switch (type) {
    case OptionType::kBool: return "boolean";
    case OptionType::kInt: return "integer";
    case OptionType::kFloat: return "number";
    case OptionType::kString: return "string";
    case OptionType::kPath: return "path";
    case OptionType::kChoice: return "choice";
    case OptionType::kIntList: return "list of integers";
    case OptionType::kFloatList: return "list of numbers";
    case OptionType::kStringList: return "list of strings";
    case OptionType::kYaml: return "mapping";
    case OptionType::kGroup: return "group";
  }
  return "?";
}

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

OptionSpec::OptionSpec(std::string key, OptionType type, std::string help)
    : key_(std::move(key)), type_(type), help_(std::move(help)) {}

OptionSpec& OptionSpec::min(double bound) {
  min_ = bound;
  min_exclusive_ = false;
  return *this;
}
OptionSpec& OptionSpec::max(double bound) {
  max_ = bound;
  return *this;
}
OptionSpec& OptionSpec::greater_than(double bound) {
  min_ = bound;
  min_exclusive_ = true;
  return *this;
}
OptionSpec& OptionSpec::size(std::size_t n) {
  size_ = n;
  return *this;
}
OptionSpec& OptionSpec::required() {
  default_.reset();
  return *this;
}
OptionSpec& OptionSpec::default_to(OptionValue value) {
  default_ = std::move(value);
  return *this;
}

OptionSpec& OptionSpec::broadcast_scalar() {
  broadcast_scalar_ = true;
  return *this;
}

OptionValue OptionSpec::current() const {
  if (source_) return source_();
  return default_ ? *default_ : OptionValue(std::string());
}

std::string OptionSpec::constraint_text() const {
  std::vector<std::string> parts;
  if (!choices_.empty()) parts.push_back("one of: " + join(choices_, ", "));
  auto number = [](double v) {
    return std::floor(v) == v && std::abs(v) < 1e15 ? std::to_string(static_cast<long long>(v))
                                                     : format_double(v);
  };
  if (min_ && max_ && !min_exclusive_) {
    parts.push_back(number(*min_) + " <= value <= " + number(*max_));
  } else {
    if (min_) parts.push_back(std::string(min_exclusive_ ? "> " : ">= ") + number(*min_));
    if (max_) parts.push_back("<= " + number(*max_));
  }
  if (size_) parts.push_back(std::to_string(*size_) + " elements");
  return join(parts, "; ");
}

std::optional<OptionValue> OptionSpec::parse(const YAML::Node& node, const SourcePos& pos,
                                             const std::string& context,
                                             Diagnostics& diagnostics) const {
  const std::string where = "'" + key_ + "'" + (context.empty() ? "" : " " + context);
  auto wrong_type = [&](const YAML::Node& bad) {
    diagnostics.error(pos, where + " must be " +
                               (type_ == OptionType::kInt || type_ == OptionType::kYaml
                                    ? std::string("an ")
                                    : std::string("a ")) +
                               type_name(type_) + ", got " + describe_node(bad));
    return std::nullopt;
  };
  auto check_range = [&](double v) {
    const bool too_low = min_ && (min_exclusive_ ? v <= *min_ : v < *min_);
    const bool too_high = max_ && v > *max_;
    if (too_low || too_high) {
      diagnostics.error(pos, "value " + (std::floor(v) == v && std::abs(v) < 1e15
                                             ? std::to_string(static_cast<long long>(v))
                                             : format_double(v)) +
                                 " of " + where + " is out of range (" + constraint_text() + ")");
      return false;
    }
    return true;
  };

  switch (type_) {
    case OptionType::kBool: {
      auto v = scalar_bool(node);
      if (!v) return wrong_type(node);
      return OptionValue(*v);
    }
    case OptionType::kInt: {
      auto v = scalar_int(node);
      if (!v) return wrong_type(node);
      if (!check_range(static_cast<double>(*v))) return std::nullopt;
      return OptionValue(*v);
    }
    case OptionType::kFloat: {
      auto v = scalar_float(node);
      if (!v) return wrong_type(node);
      if (!check_range(*v)) return std::nullopt;
      return OptionValue(*v);
    }
    case OptionType::kString:
    case OptionType::kPath:
    case OptionType::kChoice: {
      if (!node.IsScalar()) return wrong_type(node);
      const std::string text = node.Scalar();
      if (type_ == OptionType::kChoice &&
          std::find(choices_.begin(), choices_.end(), text) == choices_.end()) {
        diagnostics.error(pos, "invalid value '" + text + "' for " + where +
                                   did_you_mean(text, choices_) + "; expected one of: " +
                                   join(choices_, ", "));
        return std::nullopt;
      }
      return OptionValue(text);
    }
    case OptionType::kIntList:
    case OptionType::kFloatList:
    case OptionType::kStringList: {
      if (broadcast_scalar_ && size_ && node.IsScalar()) {
        YAML::Node repeated(YAML::NodeType::Sequence);
        for (std::size_t i = 0; i < *size_; ++i) repeated.push_back(node);
        return parse(repeated, pos, context, diagnostics);
      }
      if (!node.IsSequence()) return wrong_type(node);
      if (size_ && node.size() != *size_) {
        diagnostics.error(pos, where + " must have " + std::to_string(*size_) +
                                   " elements, got " + std::to_string(node.size()));
        return std::nullopt;
      }
      std::vector<std::int64_t> ints;
      std::vector<double> floats;
      std::vector<std::string> strings;
      for (const auto& item : node) {
        // Point at the offending element itself when it has a place in the file.
        const SourcePos item_pos = pos.line > 0 && !item.Mark().is_null()
                                       ? SourcePos{pos.file, item.Mark().line + 1,
                                                   item.Mark().column + 1}
                                       : pos;
        auto wrong_item = [&] {
          diagnostics.error(item_pos, where + " must be a " + type_name(type_) + ", got " +
                                          describe_node(item));
          return std::nullopt;
        };
        if (type_ == OptionType::kIntList) {
          auto v = scalar_int(item);
          if (!v) return wrong_item();
          if (!check_range(static_cast<double>(*v))) return std::nullopt;
          ints.push_back(*v);
        } else if (type_ == OptionType::kFloatList) {
          auto v = scalar_float(item);
          if (!v) return wrong_item();
          if (!check_range(*v)) return std::nullopt;
          floats.push_back(*v);
        } else {
          if (!item.IsScalar()) return wrong_item();
          strings.push_back(item.Scalar());
        }
      }
      if (type_ == OptionType::kIntList) return OptionValue(ints);
      if (type_ == OptionType::kFloatList) return OptionValue(floats);
      return OptionValue(strings);
    }
    case OptionType::kYaml: {
      if (node.IsNull()) return OptionValue(YAML::Node(YAML::NodeType::Map));
      if (!node.IsMap() && !node.IsSequence()) return wrong_type(node);
      // Not cloned: the owner reports problems inside the block, and only the original nodes
      // keep their line and column.
      return OptionValue(node);
    }
    case OptionType::kGroup: return OptionValue(node);
  }
  return std::nullopt;
}

void OptionSpec::store(const OptionValue& value) const {
  if (sink_) sink_(value);
}

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
      if (given.count(key)) {
        diagnostics.error(key_pos, "duplicate key '" + key + "'" + in_context);
        continue;
      }
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
      entry.group = std::make_shared<OptionValues>(spec.group()->parse(
          source, present ? it->second : YAML::Node(YAML::NodeType::Map), group_path,
          "in '" + group_path + "'" + in_context, {}, diagnostics));
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
      auto parsed = spec.parse(it->second, entry.pos, in_context.empty() ? "" : context,
                               diagnostics);
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

const SourcePos& OptionValues::pos(const std::string& key) const { return entries_.at(key).pos; }

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
