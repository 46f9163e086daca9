#pragma once

#include <cstdint>
#include <filesystem>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// Version of the model file layout written by this build. Files of another version are
/// rejected with a message naming both versions.
constexpr std::uint32_t kModelFormatVersion = 1;

/// Saves a graph (architecture, attributes, weights) to one self-describing file, atomically.
/// Layout: 8-byte magic "HLSLIMM\n", uint32 format version, uint64 header length, a JSON header,
/// the raw little-endian float32 tensor data, then the SHA-256 of everything before it.
/// See docs/model-format.md.
void save_model(const Graph& graph, const std::filesystem::path& path);

/// Loads a model file. Throws hlslim::FileFormatError naming the file when it is not a model
/// file, has another format version, is truncated, or fails its checksum.
Graph load_model(const std::filesystem::path& path);

}  // namespace hlslim
