#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

/// A YAML configuration document and where its nodes came from: the file, or a `--set`
/// override on the command line. Keys are addressed by dotted paths (`train.epochs`,
/// `models.teacher.layers.0.units`), the same paths `--set` takes.
class ConfigSource {
 public:
  /// Parses a file. Malformed YAML is reported as a positioned diagnostic and leaves an empty
  /// document; a missing file is reported without a position.
  static ConfigSource load_file(const std::filesystem::path& path, Diagnostics& diagnostics);

  /// Parses text as if read from `display_name`, with relative paths resolved from `base_dir`.
  static ConfigSource load_string(const std::string& text, const std::string& display_name,
                                  const std::filesystem::path& base_dir, Diagnostics& diagnostics);

  YAML::Node& root() { return root_; }
  const YAML::Node& root() const { return root_; }

  /// The name used in diagnostics (the path as given on the command line).
  const std::string& display_name() const { return display_name_; }

  /// Directory that relative paths in the config are resolved from.
  const std::filesystem::path& base_dir() const { return base_dir_; }

  /// Records that the node at `path` was set on the command line by `argument`.
  void mark_override(const std::string& path, const std::string& argument);
  /// Records that the node at `path` was set by a program (a sweep point) from a value stated
  /// at `origin`; diagnostics about the node point there.
  void mark_override(const std::string& path, const SourcePos& origin);

  /// Position of a node: its file line and column, or the `--set` argument that produced it
  /// (or one of its ancestors).
  SourcePos pos(const YAML::Node& node, const std::string& path) const;

  /// False when the file could not be read or parsed (the document is then empty): nothing
  /// else about it is worth reporting.
  bool readable() const { return readable_; }

  /// Whether `node` (a mapping or list) is used at more than one place of the document through
  /// a YAML alias, so that changing it would change every use.
  bool shared(const YAML::Node& node) const;

  /// The largest configuration file read, in bytes.
  static constexpr std::size_t kMaxConfigBytes = std::size_t{16} << 20;

 private:
  YAML::Node root_;
  std::string display_name_;
  std::filesystem::path base_dir_;
  // path -> the "--set path=value" argument, or where a program-set value was stated
  std::map<std::string, SourcePos> overrides_;
  bool readable_ = true;
  // Mappings and lists by the position of their first character: those walked, and those
  // reached again through an alias.
  std::set<std::size_t> walked_;
  std::set<std::size_t> shared_;

  void check_node(const YAML::Node& node, const std::string& path, int depth,
                  Diagnostics& diagnostics);
};

/// Joins a parent path and a key: join_path("train", "epochs") == "train.epochs".
std::string join_path(const std::string& parent, const std::string& key);

}  // namespace hlslim
