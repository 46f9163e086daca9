#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <filesystem>

#include "hlslim/cli/cli.hpp"
#include "hlslim/data/error.hpp"
#include "hlslim/data/numpy_io.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/data/store_io.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

// The files a dataset directory holds; simulate writes some of them, per --format.
constexpr std::array<const char*, 4> kDatasetFiles = {"events.hlsd", "images.npy", "labels.npy",
                                                      "labels.json"};

// A dataset directory ends up holding exactly one simulated set: a non-empty directory is
// refused unless `force`, and then every dataset file in it is removed first, so no file of an
// earlier set (of another size or format) is left beside the new one.
void prepare_dataset_directory(const std::filesystem::path& dir, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw Error("simulate: the output '" + dir.string() + "' exists and is not a directory",
                kExitRunDir);
  }
  if (fs::is_directory(dir, ec) && !fs::is_empty(dir, ec)) {
    if (!force) {
      throw Error("simulate: the output directory '" + dir.string() +
                      "' is not empty; give a new directory, or --force to replace its dataset",
                  kExitRunDir);
    }
    for (const char* name : kDatasetFiles) {
      fs::remove(dir / name, ec);
      if (ec) {
        throw Error("simulate: cannot remove '" + (dir / name).string() + "': " + ec.message(),
                    kExitRunDir);
      }
    }
  }
  create_output_directory(dir, "dataset directory");
}

}  // namespace

void add_simulate_command(CLI::App& app, CliContext&) {
  struct Args {
    std::size_t events = 100000;
    std::size_t noise_events = 0;
    std::uint64_t seed = 1;
    std::string output;
    int threads = 0;
    std::string format = "both";
    std::vector<std::string> overrides;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("simulate",
                         "Simulate muon-trigger events into a dataset directory (events.hlsd, and "
                         "images.npy, labels.npy, labels.json for NumPy).");
  cmd->add_option("--events", args->events, "Muon events.")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--noise-events", args->noise_events, "Noise-only events.")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed; the output depends on nothing else.")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "Output directory; it must be empty or new.")
      ->required();
  cmd->add_flag("--force", args->force,
                "Replace the dataset in a non-empty output directory (other files stay).");
  cmd->add_option("--threads", args->threads, "Threads; 0: every core.")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--format", args->format, "hlsd, npy or both.")
      ->check(CLI::IsMember({"hlsd", "npy", "both"}))
      ->capture_default_str();
  cmd->add_option("--set", args->overrides,
                  "A simulation parameter, as in a data stage's 'simulation:' block: "
                  "--set layer_efficiency=0.9 (repeatable; see docs/stages.md).");
  cmd->callback([args] {
    // The parameters are parsed exactly like a config's `simulation:` block, so a mistake gets
    // the same positioned message.
    Diagnostics diagnostics;
    ConfigSource source = ConfigSource::load_string("{}", "--set", ".", diagnostics);
    data::SimulationParams params;
    std::vector<double> radii;
    std::vector<std::string> stations;
    OptionTable table;
    declare_simulation_options(table, params, radii, stations);
    for (const auto& argument : args->overrides)
      apply_override(source, argument, table.keys(), diagnostics);
    const OptionValues values = table.parse(source, source.root(), "", "", {}, diagnostics);
    for (const auto& problem : apply_layer_options(params, radii, stations))
      diagnostics.error({"--set"}, problem);
    if (diagnostics.has_errors()) throw ConfigError(diagnostics);

    if (args->events + args->noise_events == 0) {
      throw Error("simulate: --events and --noise-events are both 0; nothing to simulate",
                  kExitConfig);
    }
    const std::filesystem::path output(args->output);
    prepare_dataset_directory(output, args->force);

    RunSettings settings;
    settings.threads = args->threads;
    const auto start = std::chrono::steady_clock::now();
    try {
      const auto store = data::simulate(params, args->events, args->noise_events, args->seed,
                                        settings.thread_count());
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      spdlog::info("simulated {} events in {:.2f} s ({:.0f} events/s)", store.size(), seconds,
                   static_cast<double>(store.size()) / seconds);
      if (args->format != "npy") data::write_store(store, (output / "events.hlsd").string());
      if (args->format != "hlsd") data::write_numpy(store, args->output);
    } catch (const data::DataError& e) {
      throw Error(e.what());
    }
    spdlog::info("wrote {}", args->output);
  });
}

}  // namespace hlslim
