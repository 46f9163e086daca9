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
  evaluation.declare(t.add_group(
      "evaluation",
      "How the models are evaluated: thresholds, bins and the rate model "
      "(docs/trigger-figures.md). In no stage's fingerprint: changing them re-evaluates with "
      "`--resume`, without retraining."));
}

void EvaluationSettings::declare(OptionTable& t) {
  t.add_float_list("thresholds", thresholds, {10.0},
                   "Trigger thresholds on predicted pT, GeV: each gets its turn-on, fit, "
                   "efficiencies and rate. The first is the threshold of the figures of merit "
                   "(plateau_eff, fake_rate, turn_on).")
      .greater_than(0);
  t.add_float("turn_on_bin_width", turn_on_bin_width, 1.0,
              "Width of the bins of true pT of the turn-on curves, GeV.")
      .greater_than(0);
  t.add_float("resolution_bin_width", resolution_bin_width, 1.0,
              "Width of the bins of true pT of the resolution, GeV.")
      .greater_than(0);
  t.add_float("eta_bin_width", eta_bin_width, 0.075,
              "Width of the bins of true eta of the efficiency against eta.")
      .greater_than(0);
  t.add_float("plateau_offset", plateau_offset, 5.0,
              "The plateau of threshold T is true pT >= T + plateau_offset, GeV: plateau_eff and "
              "the efficiencies against eta and hits count the muons there.")
      .min(0);
  t.add_float("crossing_rate_mhz", crossing_rate_mhz, 40.0,
              "Bunch-crossing rate of the rate model, MHz.")
      .greater_than(0);
  t.add_float("muons_per_crossing", muons_per_crossing, 0.01,
              "Mean number of muons in the simulated pT range per crossing in the trigger's "
              "sector (the rate model's occupancy; an assumption, docs/trigger-figures.md).")
      .min(0);
  t.add_float("spectrum_index", spectrum_index, 4.0,
              "Exponent k of the physical muon spectrum dN/dpT ~ pT^-k that reweights the flat "
              "simulated spectrum for the rates.")
      .min(0);
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
