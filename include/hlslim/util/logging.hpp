#pragma once

#include <filesystem>

namespace hlslim {

/// Console verbosity: -q shows warnings and errors, default shows info, -v shows debug.
enum class Verbosity { kQuiet, kNormal, kVerbose };

/// Sets up the default spdlog logger: console on stderr at the given verbosity.
void init_console_logging(Verbosity verbosity);

/// Adds (or replaces) the run-log file sink; it always records debug level and above.
void attach_run_log(const std::filesystem::path& path);

/// Removes the run-log file sink, flushing it.
void detach_run_log();

}  // namespace hlslim
