#include "hlslim/config/source.hpp"

#include <cstdint>
#include <fstream>

namespace hlslim {
namespace {

// yaml-cpp's parser messages start with "yaml-cpp: error at line L, column C: "; the position is
// printed separately, so keep only the reason.
std::string parser_reason(const YAML::Exception& e) {
  std::string reason = e.msg;
  if (!reason.empty()) return reason;
  return e.what();
}

// The length of the valid UTF-8 prefix of `text`; text.size() when all of it is valid.
std::size_t valid_utf8_prefix(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xe  ? 3
                         : (c >> 3) == 0x1e ? 4
                                            : 0;
    if (length == 0 || i + length > text.size()) return i;
    std::uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and code points beyond Unicode are not UTF-8 either.
    static const std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return i;
    i += length;
  }
  return i;
}

// Deeper than any config; it keeps the walk below (and every reader after it) off the stack's
// limit.
constexpr int kMaxDepth = 64;

bool is_within(const std::string& path, const std::string& ancestor) {
  return path == ancestor ||
         (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
          path[ancestor.size()] == '.');
}

}  // namespace

// What YAML allows but a config must not hold, checked once on the parsed document: a key given
// twice in one mapping (yaml-cpp keeps the first silently), text that is not UTF-8 (every
// output is JSON or UTF-8 text), nesting beyond kMaxDepth. A block reached a second time
// through an alias is recorded as shared (so --set can refuse to change every use at once) and
// not walked again.
void ConfigSource::check_node(const YAML::Node& node, const std::string& path, int depth,
                              Diagnostics& diagnostics) {
  const auto text_ok = [&](const YAML::Node& scalar, const std::string& where) {
    const std::string& text = scalar.Scalar();
    const std::size_t valid = valid_utf8_prefix(text);
    if (valid == text.size()) return true;
    diagnostics.error(pos(scalar, where), "'" + where + "' is not valid UTF-8 (byte " +
                                              std::to_string(valid + 1) + " of its text)");
    return false;
  };
  if (!node.IsDefined() || node.IsNull()) return;
  // A node reached a second time through an alias is the same node: record it as shared.
  if (!node.Mark().is_null() && !walked_.insert(node.Mark().pos).second) {
    shared_.insert(node.Mark().pos);
    return;
  }
  if (node.IsScalar()) {
    text_ok(node, path);
    return;
  }
  if (!node.IsMap() && !node.IsSequence()) return;
  if (depth > kMaxDepth) {
    diagnostics.error(pos(node, path), "'" + path + "' is nested deeper than " +
                                           std::to_string(kMaxDepth) + " levels");
    return;
  }
  if (node.IsSequence()) {
    std::size_t index = 0;
    for (const auto& item : node)
      check_node(item, join_path(path, std::to_string(index++)), depth + 1, diagnostics);
    return;
  }
  std::map<std::string, SourcePos> keys;
  for (const auto& item : node) {
    if (!item.first.IsScalar()) {
      diagnostics.error(
          pos(item.first, path),
          "a key in '" + (path.empty() ? std::string("the config") : path) + "' is not a name");
      continue;
    }
    const std::string key = item.first.Scalar();
    if (!text_ok(item.first, join_path(path, "<key>"))) continue;
    const std::string child = join_path(path, key);
    const SourcePos key_pos = pos(item.first, child);
    if (auto [it, inserted] = keys.emplace(key, key_pos); !inserted) {
      diagnostics.error(key_pos, "duplicate key '" + key + "'" +
                                     (path.empty() ? std::string() : " in '" + path + "'") +
                                     " (first at " + it->second.str() +
                                     "); YAML would keep only the first");
      continue;
    }
    check_node(item.second, child, depth + 1, diagnostics);
  }
}

bool ConfigSource::shared(const YAML::Node& node) const {
  return node.IsDefined() && !node.Mark().is_null() && shared_.count(node.Mark().pos) > 0;
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

ConfigSource ConfigSource::load_string(const std::string& text, const std::string& display_name,
                                       const std::filesystem::path& base_dir,
                                       Diagnostics& diagnostics) {
  ConfigSource source;
  source.display_name_ = display_name;
  source.base_dir_ = base_dir;
  try {
    source.root_ = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diagnostics.error({display_name, e.mark.line + 1, e.mark.column + 1},
                      "malformed YAML: " + parser_reason(e));
    source.root_ = YAML::Node(YAML::NodeType::Map);
    source.readable_ = false;
  }
  if (source.root_.IsNull()) source.root_ = YAML::Node(YAML::NodeType::Map);
  source.check_node(source.root_, "", 0, diagnostics);
  return source;
}

ConfigSource ConfigSource::load_file(const std::filesystem::path& path, Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  if (!in || std::filesystem::is_directory(path, ec)) {
    diagnostics.error({path.string()}, "cannot read configuration file");
    ConfigSource source;
    source.readable_ = false;
    source.display_name_ = path.string();
    source.base_dir_ = absolute.parent_path();
    source.root_ = YAML::Node(YAML::NodeType::Map);
    return source;
  }
  // Read in chunks up to one past the limit: a config that never ends (/dev/zero, a fifo) or a
  // wrong file of gigabytes stops here, and a normal config costs only its size.
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= kMaxConfigBytes && in.read(chunk, sizeof chunk).gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > kMaxConfigBytes) {
    diagnostics.error({path.string()}, "configuration file is larger than " +
                                           std::to_string(kMaxConfigBytes >> 20) +
                                           " MiB; is it the right file?");
    ConfigSource source;
    source.readable_ = false;
    source.display_name_ = path.string();
    source.base_dir_ = absolute.parent_path();
    source.root_ = YAML::Node(YAML::NodeType::Map);
    return source;
  }
  return load_string(text, path.string(), absolute.parent_path(), diagnostics);
}

void ConfigSource::mark_override(const std::string& path, const std::string& argument) {
  overrides_[path] = SourcePos{argument};
}

void ConfigSource::mark_override(const std::string& path, const SourcePos& origin) {
  overrides_[path] = origin;
}

SourcePos ConfigSource::pos(const YAML::Node& node, const std::string& path) const {
  // The most specific override that covers this path wins.
  const SourcePos* origin = nullptr;
  std::size_t best = 0;
  for (const auto& [override_path, where] : overrides_) {
    if (is_within(path, override_path) && override_path.size() + 1 > best) {
      best = override_path.size() + 1;
      origin = &where;
    }
  }
  if (origin) return *origin;
  if (node.IsDefined() && !node.Mark().is_null()) {
    return {display_name_, node.Mark().line + 1, node.Mark().column + 1};
  }
  return {display_name_};
}

}  // namespace hlslim
