// OptionSpec: one option's type, constraints and conversion of a YAML value.
#include <cmath>
#include <limits>
#include <set>

#include "hlslim/config/options.hpp"
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
    case OptionType::kBool:
      return "boolean";
    case OptionType::kInt:
      return "integer";
    case OptionType::kFloat:
      return "number";
    case OptionType::kString:
      return "string";
    case OptionType::kPath:
      return "path";
    case OptionType::kChoice:
      return "choice";
    case OptionType::kIntList:
      return "list of integers";
    case OptionType::kFloatList:
      return "list of numbers";
    case OptionType::kStringList:
      return "list of strings";
    case OptionType::kYaml:
      return "mapping";
    case OptionType::kGroup:
      return "group";
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
    diagnostics.error(
        pos, where + " must be " +
                 (type_ == OptionType::kInt || type_ == OptionType::kYaml ? std::string("an ")
                                                                          : std::string("a ")) +
                 type_name(type_) + ", got " + describe_node(bad));
    return std::nullopt;
  };
  auto check_range = [&](double v) {
    const bool too_low = min_ && (min_exclusive_ ? v <= *min_ : v < *min_);
    const bool too_high = max_ && v > *max_;
    if (too_low || too_high) {
      diagnostics.error(pos, "value " +
                                 (std::floor(v) == v && std::abs(v) < 1e15
                                      ? std::to_string(static_cast<long long>(v))
                                      : format_double(v)) +
                                 " of " + where + " is out of range (" + constraint_text() + ")");
      return false;
    }
    return true;
  };
  // Every number ends up in float32 arithmetic (weights, activations, figures): beyond its
  // range it would become infinite there instead of failing here.
  auto within_float32 = [&](double v) {
    if (std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max())) return true;
    diagnostics.error(pos, "value " + format_double(v) + " of " + where +
                               " is beyond the range of float32 (3.4e38), which every number "
                               "hlslim computes with must fit in");
    return false;
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
      if (!within_float32(*v)) return std::nullopt;
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
                                   did_you_mean(text, choices_) +
                                   "; expected one of: " + join(choices_, ", "));
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
        diagnostics.error(pos, where + " must have " + std::to_string(*size_) + " elements, got " +
                                   std::to_string(node.size()));
        return std::nullopt;
      }
      std::vector<std::int64_t> ints;
      std::vector<double> floats;
      std::vector<std::string> strings;
      for (const auto& item : node) {
        // Point at the offending element itself when it has a place in the file.
        const SourcePos item_pos =
            pos.line > 0 && !item.Mark().is_null()
                ? SourcePos{pos.file, item.Mark().line + 1, item.Mark().column + 1}
                : pos;
        auto wrong_item = [&] {
          diagnostics.error(
              item_pos, where + " must be a " + type_name(type_) + ", got " + describe_node(item));
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
          if (!within_float32(*v) || !check_range(*v)) return std::nullopt;
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
    case OptionType::kGroup:
      return OptionValue(node);
  }
  return std::nullopt;
}

void OptionSpec::store(const OptionValue& value) const {
  if (sink_) sink_(value);
}

}  // namespace hlslim
