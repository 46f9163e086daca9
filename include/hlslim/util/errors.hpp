#pragma once

#include <stdexcept>
#include <string>

#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

/// Process exit codes; documented in the README. Interruption by signal N exits 128 + N.
enum ExitCode : int {
  kExitOk = 0,
  kExitRuntime = 1,  ///< a stage failed while running
  kExitConfig = 2,   ///< invalid configuration or command line: nothing ran
  kExitRunDir = 3,   ///< the run directory cannot be used as asked (not empty, not resumable)
  kExitInterrupted = 128,
};

/// Base of every error hlslim reports to the user; the message is complete and user-facing.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitRuntime)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

/// Invalid input found before running: carries every positioned diagnostic.
class ConfigError : public Error {
 public:
  explicit ConfigError(Diagnostics diagnostics)
      : Error(diagnostics.format(), kExitConfig), diagnostics_(std::move(diagnostics)) {}
  const Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  Diagnostics diagnostics_;
};

/// A file hlslim reads is unusable (wrong format version, truncated, corrupted).
class FileFormatError : public Error {
 public:
  using Error::Error;
};

/// Thrown at a safe point after SIGINT/SIGTERM; carries the signal number.
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal_number);
  int signal_number() const { return signal_number_; }

 private:
  int signal_number_;
};

}  // namespace hlslim
