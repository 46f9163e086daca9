#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace hlslim {

/// Writes `content` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk and renamed over `path`, so readers see the old file or the new one, never
/// a half-written one. Creates missing parent directories. Throws hlslim::Error on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Reads a whole file; throws hlslim::Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Lower-case hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);

/// Lower-case hex SHA-256 of a file's contents, streamed.
std::string sha256_file(const std::filesystem::path& path);

/// The current UTC time as ISO 8601 with milliseconds, e.g. "2026-11-24T21:30:00.123Z".
std::string utc_timestamp();

}  // namespace hlslim
