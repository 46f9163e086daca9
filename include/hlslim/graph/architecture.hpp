#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "hlslim/config/source.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

/// Reads a model architecture from the config (`models.<name>`):
///
///     input: [1, 9, 16]          # optional; otherwise taken from the data
///     layers:
///       - {type: conv2d, name: conv1, filters: 4, kernel: 3}
///       - {type: relu}
///       - {type: flatten}
///       - {type: dense, units: 2}
///
/// Layer names default to "<type>_<n>" and must be unique C identifiers. Every problem is
/// reported with its position; the returned graph has no weights.
Graph parse_architecture(const ConfigSource& source, const YAML::Node& node,
                         const std::string& model_name, Diagnostics& diagnostics);

/// The architecture as YAML with every default filled in; parse_architecture() of it yields the
/// same graph.
YAML::Node architecture_to_yaml(const Graph& graph);

/// A model read from a file instead of a layer list: `models.<name>: {from: FILE}`
/// (docs/model-import.md).
struct ModelSource {
  std::string from;            ///< the path as the config writes it
  std::filesystem::path path;  ///< resolved against the config's directory
  Shape input;                 ///< `input:` written next to it (the data's shape), or empty
  std::string sha256;          ///< of the file's bytes, when the config was read
};

/// The `models.<name>` entry of an imported model: `from` (as written, or the resolved path
/// when `absolute`) and `input` when given. With `fingerprint`, also the file's SHA-256, so that
/// the stage fingerprints change with the file's bytes.
YAML::Node import_to_yaml(const ModelSource& source, bool absolute, bool fingerprint);

/// True if a name can be used as a C identifier (HLS code is generated from layer names).
bool is_c_identifier(const std::string& name);

}  // namespace hlslim
