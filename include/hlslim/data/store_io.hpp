#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hlslim/data/event_store.hpp"

namespace hlslim::data {

/// The file an event store lives in: `path` itself when it ends in ".hlsd", otherwise
/// `path`/events.hlsd (a directory).
std::string store_file_path(const std::string& path);

/// Writes `store` to store_file_path(path) in the events.hlsd format (docs/data-format.md):
/// version 1 for binary images, version 2 (one float32 value per hit) for a store with values;
/// atomically: the data goes to a temporary file, renamed over the file once complete.
/// Creates missing parent directories. Throws DataError naming the file on any I/O failure.
void write_store(const EventStore& store, const std::string& path);

/// Reads a store written by write_store() (version 1 or 2) from store_file_path(path). Verifies the
/// magic, the format version, the file size the header describes, both checksums and every store
/// invariant; each failure throws DataError naming the file, e.g. "run/events.hlsd: truncated: the
/// header describes 1200 bytes but the file has 1000".
EventStore read_store(const std::string& path);

/// What an event store's header says, verified against the file's size but without reading
/// the events (for `hlslim validate`).
struct StoreLayout {
  std::uint64_t events = 0;
  std::uint64_t layers = 0;
  std::uint64_t columns = 0;
  std::vector<std::string> label_names;
};

/// Reads and verifies the preamble and header of store_file_path(path) as read_store() does.
/// Throws DataError as read_store() does.
StoreLayout inspect_store(const std::string& path);

}  // namespace hlslim::data
