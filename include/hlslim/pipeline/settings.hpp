#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "hlslim/config/options.hpp"
#include "hlslim/train/runtime.hpp"

namespace hlslim {

/// Settings of a whole run: the top-level keys of a pipeline config besides `models` and
/// `stages`.
struct RunSettings {
  std::string name;
  std::filesystem::path output;  ///< as written; resolve with output_dir()
  std::int64_t seed = 1;
  std::int64_t threads = 0;
  Device device = Device::kCpu;

  /// Declares the settings, bound to this object's fields.
  void declare(OptionTable& table);

  /// The run directory: `output` relative to the config's directory, or runs/<name> under the
  /// current directory when `output` is empty.
  std::filesystem::path output_dir(const std::filesystem::path& config_dir) const;

  /// Number of threads to use: `threads`, or every core when it is 0.
  int thread_count() const;
};

}  // namespace hlslim
