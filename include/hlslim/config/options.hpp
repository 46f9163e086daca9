#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "hlslim/config/source.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

/// The kinds of value an option can hold. `kPath` is a string resolved relative to the config
/// file; `kChoice` is a string from a fixed set; `kYaml` is a free-form block that the owner
/// validates itself; `kGroup` is a nested table of options (`simulation.efficiency`).
enum class OptionType {
  kBool,
  kInt,
  kFloat,
  kString,
  kPath,
  kChoice,
  kIntList,
  kFloatList,
  kStringList,
  kYaml,
  kGroup
};

/// Human name of a type for docs and errors ("integer", "list of floats", ...).
std::string type_name(OptionType type);

class OptionTable;

using OptionValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                                 std::vector<double>, std::vector<std::string>, YAML::Node>;

/// One declared option: its key, type, default, help, constraints, and optionally the member
/// it is stored into. Options are declared once; that declaration drives parsing, validation,
/// `hlslim stages` and the generated reference docs.
class OptionSpec {
 public:
  OptionSpec(std::string key, OptionType type, std::string help);

  /// Inclusive bounds for numbers, and for every element of numeric lists.
  OptionSpec& min(double bound);
  OptionSpec& max(double bound);
  /// Exclusive lower bound (e.g. a learning rate must be > 0).
  OptionSpec& greater_than(double bound);
  /// Required number of elements for list options.
  OptionSpec& size(std::size_t n);
  /// A value must be given; there is no default.
  OptionSpec& required();
  /// The value used when the key is absent.
  OptionSpec& default_to(OptionValue value);
  /// A list option also accepts one scalar, repeated to the list's `size` (`kernel: 3`).
  OptionSpec& broadcast_scalar();

  const std::string& key() const { return key_; }
  OptionType type() const { return type_; }
  const std::string& help() const { return help_; }
  bool is_required() const { return !default_.has_value(); }
  const std::optional<OptionValue>& default_value() const { return default_; }
  const std::vector<std::string>& choices() const { return choices_; }
  /// The nested table of a kGroup option, else nullptr.
  const OptionTable* group() const { return group_.get(); }

  /// One-line constraint text for docs, e.g. "1 <= value <= 100" or "one of: a, b"; "" if none.
  std::string constraint_text() const;

  /// Converts and checks a node; reports problems against `pos` and returns nullopt on error.
  std::optional<OptionValue> parse(const YAML::Node& node, const SourcePos& pos,
                                   const std::string& context, Diagnostics& diagnostics) const;

  /// Stores a value into the bound member, if any.
  void store(const OptionValue& value) const;

  /// Binds the option to storage: `sink` receives parsed values, `source` reads the current one.
  OptionSpec& bind(std::function<void(const OptionValue&)> sink,
                   std::function<OptionValue()> source);

  /// The bound member's current value (the default when unbound).
  OptionValue current() const;

 private:
  friend class OptionTable;
  std::string key_;
  OptionType type_;
  std::string help_;
  std::optional<OptionValue> default_;
  std::vector<std::string> choices_;
  std::optional<double> min_;
  std::optional<double> max_;
  bool min_exclusive_ = false;
  std::optional<std::size_t> size_;
  bool broadcast_scalar_ = false;
  std::shared_ptr<OptionTable> group_;
  std::function<void(const OptionValue&)> sink_;
  std::function<OptionValue()> source_;
};

class OptionValues;

/// The names an enum's values have in configs and files, in the order `hlslim stages` lists
/// them: `{{"adam", Optimizer::kAdam}, {"sgd", Optimizer::kSgd}}`.
template <typename T>
using EnumNames = std::vector<std::pair<const char*, T>>;

/// The name of `value` in `names` ("?" when it has none: a value a config cannot choose).
template <typename T>
const char* enum_name(const EnumNames<T>& names, T value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "?";
}

/// The value named `text`, or nullopt.
template <typename T>
std::optional<T> enum_value(const EnumNames<T>& names, const std::string& text) {
  for (const auto& [name, v] : names) {
    if (text == name) return v;
  }
  return std::nullopt;
}

/// An ordered table of options, typically bound to members of the object that declares it:
///
///     table.add_int("epochs", epochs_, 10, "Passes over the training set").min(1);
class OptionTable {
 public:
  OptionSpec& add_bool(const std::string& key, bool& target, bool fallback, std::string help);
  OptionSpec& add_int(const std::string& key, std::int64_t& target, std::int64_t fallback,
                      std::string help);
  OptionSpec& add_float(const std::string& key, double& target, double fallback, std::string help);
  OptionSpec& add_string(const std::string& key, std::string& target, std::string fallback,
                         std::string help);
  OptionSpec& add_path(const std::string& key, std::filesystem::path& target, std::string fallback,
                       std::string help);
  OptionSpec& add_choice(const std::string& key, std::string& target, std::string fallback,
                         std::vector<std::string> choices, std::string help);
  /// A choice stored as an enum: parsed, suggested ("did you mean"), listed and documented like
  /// add_choice(), with the names of `names`; the member never holds a string.
  template <typename T>
  OptionSpec& add_enum(const std::string& key, T& target, T fallback, EnumNames<T> names,
                       std::string help) {
    std::vector<std::string> choices;
    for (const auto& entry : names) choices.emplace_back(entry.first);
    OptionSpec& spec = add_choice_spec(key, enum_name(names, fallback), choices, std::move(help));
    spec.bind(
        [&target, names, key, choices](const OptionValue& v) {
          const std::string& text = std::get<std::string>(v);
          const std::optional<T> value = enum_value(names, text);
          if (!value) throw_unknown_choice(key, text, choices);
          target = *value;
        },
        [&target, names]() { return OptionValue(std::string(enum_name(names, target))); });
    target = fallback;
    return spec;
  }
  OptionSpec& add_int_list(const std::string& key, std::vector<std::int64_t>& target,
                           std::vector<std::int64_t> fallback, std::string help);
  OptionSpec& add_float_list(const std::string& key, std::vector<double>& target,
                             std::vector<double> fallback, std::string help);
  OptionSpec& add_string_list(const std::string& key, std::vector<std::string>& target,
                              std::vector<std::string> fallback, std::string help);
  /// A free-form block; an absent block is an empty map.
  OptionSpec& add_yaml(const std::string& key, YAML::Node& target, std::string help);
  /// A nested table of options under `key`; declare its options on the returned table. An
  /// absent block means every nested option takes its default.
  OptionTable& add_group(const std::string& key, std::string help);

  /// Adds a spec as built by the caller (bind it with OptionSpec::bind); for members whose
  /// type the add_* helpers do not cover.
  OptionSpec& add(OptionSpec spec);

  const std::vector<OptionSpec>& specs() const { return specs_; }
  /// The bound members' current values as a YAML mapping, in declaration order.
  YAML::Node current_yaml() const;
  const OptionSpec* find(const std::string& key) const;
  std::vector<std::string> keys() const;

  /// Reads a mapping: reports unknown keys (with a suggestion), wrong types, values out of
  /// range and missing required keys, fills defaults, and stores every valid value into its
  /// bound member. Keys in `reserved` are accepted and left to the caller.
  /// `context` names the owner in messages ("in stage 'train'").
  OptionValues parse(const ConfigSource& source, const YAML::Node& mapping, const std::string& path,
                     const std::string& context, const std::vector<std::string>& reserved,
                     Diagnostics& diagnostics) const;

 private:
  // An unbound kChoice spec with its default and choices, for add_enum().
  OptionSpec& add_choice_spec(const std::string& key, std::string fallback,
                              std::vector<std::string> choices, std::string help);
  // A stored value that names no choice (only values that bypassed parsing, e.g. from a
  // damaged model file, get here): throws hlslim::Error.
  [[noreturn]] static void throw_unknown_choice(const std::string& key, const std::string& text,
                                                const std::vector<std::string>& choices);

  std::vector<OptionSpec> specs_;
};

/// Parsed values of one table with their positions, in declaration order.
class OptionValues {
 public:
  struct Entry {
    OptionValue value;
    SourcePos pos;
    bool defaulted = false;
    std::shared_ptr<OptionValues> group;  ///< values of a kGroup option
  };

  bool has(const std::string& key) const { return entries_.count(key) > 0; }
  const OptionValue& value(const std::string& key) const;
  /// Position of the key's value, or of the owning mapping for a defaulted key.
  const SourcePos& pos(const std::string& key) const;
  bool defaulted(const std::string& key) const;
  const std::vector<std::string>& order() const { return order_; }
  /// Values of a nested group.
  const OptionValues& group(const std::string& key) const { return *entries_.at(key).group; }

  /// The values as a YAML mapping in declaration order; paths as written, or made absolute
  /// against `base_dir` when it is not empty.
  YAML::Node to_yaml(const OptionTable& table, const std::filesystem::path& base_dir = {}) const;

 private:
  friend class OptionTable;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
};

/// Converts a value to a YAML node (scalars formatted so that they parse back identically).
YAML::Node to_yaml(const OptionValue& value);

/// Text of a value as it would appear in YAML flow style, for docs ("[1, 2]", "true", "0.001").
std::string value_text(const OptionValue& value);

/// Short kind of a YAML node for messages: "a mapping", "a list", "the scalar 'x'", "null".
std::string describe_node(const YAML::Node& node);

}  // namespace hlslim
