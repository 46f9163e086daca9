#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
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

namespace hlslim {

void add_simulate_command(CLI::App& app, CliContext&) {
  struct Args {
    std::size_t events = 100000;
    std::size_t noise_events = 0;
    std::uint64_t seed = 1;
    std::string output;
    int threads = 0;
    std::string format = "both";
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("simulate",
                         "Simulate muon-trigger events into a dataset directory (events.hlsd, and "
                         "images.npy, labels.npy, labels.json for NumPy).");
  cmd->add_option("--events", args->events, "Muon events.")->capture_default_str();
  cmd->add_option("--noise-events", args->noise_events, "Noise-only events.")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed; the output depends on nothing else.")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "Output directory.")->required();
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
      std::filesystem::create_directories(args->output);
      if (args->format != "npy") {
        data::write_store(store, (std::filesystem::path(args->output) / "events.hlsd").string());
      }
      if (args->format != "hlsd") data::write_numpy(store, args->output);
    } catch (const data::DataError& e) {
      throw Error(e.what());
    }
    spdlog::info("wrote {}", args->output);
  });
}

}  // namespace hlslim
