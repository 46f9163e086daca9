#include "hlslim/pipeline/settings.hpp"

#include <thread>

namespace hlslim {

void RunSettings::declare(OptionTable& t) {
  t.add_string("name", name, "hlslim", "Name of the run, used in reports and the default output.");
  t.add_path("output", output, "",
             "Run directory, relative to the config file. Empty: runs/<name> under the current "
             "directory. `hlslim run --output` overrides it.");
  t.add_int("seed", seed, 1, "Seed of every random choice (data, initialisation, shuffling).")
      .min(0);
  t.add_int("threads", threads, 0, "CPU threads for LibTorch and simulation; 0: every core.")
      .min(0)
      .max(1024);
  t.add_enum("device", device, Device::kCpu, device_names(),
             "Device asked for: 'cpu', 'cuda' (a config error where no CUDA device is visible), "
             "or 'auto'. Training runs on the CPU in every case for now; the choice is checked, "
             "logged and part of the fingerprints.");
}

std::filesystem::path RunSettings::output_dir(const std::filesystem::path& config_dir) const {
  if (output.empty()) return std::filesystem::absolute("runs") / name;
  return (config_dir / output).lexically_normal();
}

int RunSettings::thread_count() const {
  if (threads > 0) return static_cast<int>(threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace hlslim
