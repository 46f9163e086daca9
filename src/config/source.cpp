#include "hlslim/config/source.hpp"

#include <fstream>
#include <sstream>

namespace hlslim {
namespace {

// yaml-cpp's parser messages start with "yaml-cpp: error at line L, column C: "; the position is
// printed separately, so keep only the reason.
std::string parser_reason(const YAML::Exception& e) {
  std::string reason = e.msg;
  if (!reason.empty()) return reason;
  return e.what();
}

bool is_within(const std::string& path, const std::string& ancestor) {
  return path == ancestor ||
         (path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
          path[ancestor.size()] == '.');
}

}  // namespace

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
  }
  if (source.root_.IsNull()) source.root_ = YAML::Node(YAML::NodeType::Map);
  return source;
}

ConfigSource ConfigSource::load_file(const std::filesystem::path& path, Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  if (!in || std::filesystem::is_directory(path, ec)) {
    diagnostics.error({path.string()}, "cannot read configuration file");
    ConfigSource source;
    source.display_name_ = path.string();
    source.base_dir_ = absolute.parent_path();
    source.root_ = YAML::Node(YAML::NodeType::Map);
    return source;
  }
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path.string(), absolute.parent_path(), diagnostics);
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
