#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace hlslim {

/// Writes `content` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk and renamed over `path`, so readers see the old file or the new one, never
/// a half-written one. Creates missing parent directories. Throws hlslim::Error on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Creates `dir` and its missing parents. Throws hlslim::Error (exit code 3) with a plain message
/// naming the directory, `what` it is for and the reason (read-only, under a file, name too
/// long) when it cannot.
void create_output_directory(const std::filesystem::path& dir, const std::string& what);

/// Reads a whole file; throws hlslim::Error naming the file when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Lower-case hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);

/// Lower-case hex SHA-256 of a file's contents, streamed.
std::string sha256_file(const std::filesystem::path& path);

/// The current UTC time as ISO 8601 with milliseconds, e.g. "2026-11-24T21:30:00.123Z".
std::string utc_timestamp();

}  // namespace hlslim
