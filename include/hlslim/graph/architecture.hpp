#pragma once

#include <yaml-cpp/yaml.h>

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

/// True if a name can be used as a C identifier (HLS code is generated from layer names).
bool is_c_identifier(const std::string& name);

}  // namespace hlslim
