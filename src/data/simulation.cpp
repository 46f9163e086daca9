#include "hlslim/data/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <thread>

#include "hlslim/data/error.hpp"
#include "hlslim/data/random.hpp"
#include "track_model.hpp"

namespace hlslim::data {
namespace {

enum LabelColumn : std::size_t { kPt, kEta, kPhi, kCharge, kNHits, kIsNoise, kLabelCount };

// Strip k of a layer covers z in [k pitch, (k + 1) pitch) and reads out at its centre; its image
// column is fixed by the geometry, so it is computed once per run rather than once per hit.
struct StripTable {
  std::int64_t first_strip = 0;
  std::vector<std::int32_t> column;  // -1: the strip centre lies outside the image
};

struct Detector {
  std::vector<StripTable> strips;
  std::vector<std::uint32_t> noise_pixels;  // the pixel of every strip inside the image
  std::vector<double> cluster_cdf;
  double inverse_log_quiet = 0.0;  // 1 / ln(1 - noise_probability)
};

Detector build_detector(const SimulationParams& params) {
  Detector detector;
  const auto columns = static_cast<double>(params.columns);
  for (std::size_t layer = 0; layer < params.layers.size(); ++layer) {
    const double r = params.layers[layer].radius_m;
    const auto first = static_cast<std::int64_t>(
        std::floor(r * std::sinh(params.eta_min) / params.strip_pitch_m) - 1);
    const auto last = static_cast<std::int64_t>(
        std::floor(r * std::sinh(params.eta_max) / params.strip_pitch_m) + 1);
    StripTable table;
    table.first_strip = first;
    for (std::int64_t k = first; k <= last; ++k) {
      const double eta = std::asinh((static_cast<double>(k) + 0.5) * params.strip_pitch_m / r);
      const double position =
          std::floor(columns * (eta - params.eta_min) / (params.eta_max - params.eta_min));
      std::int32_t column = -1;
      if (position >= 0.0 && position < columns) {
        column = static_cast<std::int32_t>(position);
        detector.noise_pixels.push_back(
            static_cast<std::uint32_t>(layer * params.columns + static_cast<std::size_t>(column)));
      }
      table.column.push_back(column);
    }
    detector.strips.push_back(std::move(table));
  }
  double sum = 0.0;
  for (double probability : params.cluster_size_probabilities) {
    sum += probability;
    detector.cluster_cdf.push_back(sum);
  }
  if (params.noise_probability > 0.0 && params.noise_probability < 1.0) {
    detector.inverse_log_quiet = 1.0 / std::log1p(-params.noise_probability);
  }
  return detector;
}

std::size_t draw_cluster_size(const Detector& detector, Rng& rng) {
  // Scaling by the last entry absorbs the 1e-6 rounding that validate() tolerates.
  const double u = rng.uniform() * detector.cluster_cdf.back();
  std::size_t size = 1;
  while (size < detector.cluster_cdf.size() && u >= detector.cluster_cdf[size - 1]) ++size;
  return size;
}

void add_strip(const SimulationParams& params, const Detector& detector, std::size_t layer,
               std::int64_t strip, std::vector<std::uint32_t>& out) {
  const StripTable& table = detector.strips[layer];
  const std::int64_t index = strip - table.first_strip;
  if (index < 0 || index >= static_cast<std::int64_t>(table.column.size())) return;
  const std::int32_t column = table.column[static_cast<std::size_t>(index)];
  if (column < 0) return;
  out.push_back(static_cast<std::uint32_t>(layer * params.columns + column));
}

// Every strip fires independently; jumping straight to the next firing strip with a geometric
// draw costs one logarithm per noise hit instead of one random number per strip.
void add_noise(const SimulationParams& params, const Detector& detector, Rng& rng,
               std::vector<std::uint32_t>& out) {
  const auto n = static_cast<double>(detector.noise_pixels.size());
  if (params.noise_probability <= 0.0) return;
  if (params.noise_probability >= 1.0) {
    out.insert(out.end(), detector.noise_pixels.begin(), detector.noise_pixels.end());
    return;
  }
  double position = -1.0;
  while (true) {
    position += 1.0 + std::floor(std::log(rng.uniform_positive()) * detector.inverse_log_quiet);
    if (position >= n) return;
    out.push_back(detector.noise_pixels[static_cast<std::size_t>(position)]);
  }
}

void sort_unique_tail(std::vector<std::uint32_t>& out, std::size_t start) {
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
  out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()), out.end());
}

// Appends the muon's pixels to `out` (sorted, unique) and returns how many there are.
std::size_t add_muon_hits(const SimulationParams& params, const Detector& detector,
                          const MuonTruth& muon, Rng& rng, TrackTrace& trace,
                          std::vector<std::uint32_t>& out) {
  const std::size_t start = out.size();
  const double p = muon.pt_gev * std::cosh(muon.eta);
  const double p_out = momentum_after_calorimeter(params, muon.eta, p);
  const double kink = scattering_width(params, muon.eta, p, p_out) * rng.normal();
  detail::trace_into(params, muon, kink, trace);
  for (std::size_t layer = 0; layer < params.layers.size(); ++layer) {
    const LayerCrossing& crossing = trace.layers[layer];
    if (!crossing.reached) break;
    if (!(rng.uniform() < params.layer_efficiency)) continue;
    const std::size_t size = draw_cluster_size(detector, rng);
    const double position = crossing.z_m / params.strip_pitch_m;
    if (!(std::abs(position) < 1e15)) continue;
    const double strip = std::floor(position);
    // A muon near a strip edge also fires the neighbour on that side first.
    const std::int64_t toward = position - strip >= 0.5 ? 1 : -1;
    const auto centre = static_cast<std::int64_t>(strip);
    for (std::size_t i = 0; i < size; ++i) {
      const auto step = static_cast<std::int64_t>((i + 1) / 2);
      add_strip(params, detector, layer, centre + (i % 2 == 1 ? step * toward : -step * toward),
                out);
    }
  }
  sort_unique_tail(out, start);
  return out.size() - start;
}

void simulate_range(const SimulationParams& params, const Detector& detector,
                    std::size_t n_muon_events, std::uint64_t seed, std::size_t begin,
                    std::size_t end, float* labels, std::uint64_t* counts,
                    std::vector<std::uint32_t>& out) {
  TrackTrace trace;
  trace.layers.resize(params.layers.size());
  for (std::size_t event = begin; event < end; ++event) {
    Rng rng(event_seed(seed, event));
    float* row = labels + event * kLabelCount;
    const std::size_t start = out.size();
    std::fill(row, row + kLabelCount, 0.0f);
    if (event < n_muon_events) {
      MuonTruth muon;
      muon.pt_gev = rng.uniform(params.pt_min_gev, params.pt_max_gev);
      muon.eta = rng.uniform(params.gen_eta_min, params.gen_eta_max);
      muon.phi = params.phi_centre_rad + params.sector_width_rad * (rng.uniform() - 0.5);
      muon.charge = (rng.next() >> 63) != 0 ? 1 : -1;
      const std::size_t n_hits = add_muon_hits(params, detector, muon, rng, trace, out);
      row[kPt] = static_cast<float>(muon.pt_gev);
      row[kEta] = static_cast<float>(muon.eta);
      row[kPhi] = static_cast<float>(muon.phi);
      row[kCharge] = static_cast<float>(muon.charge);
      row[kNHits] = static_cast<float>(n_hits);
    } else {
      row[kIsNoise] = 1.0f;
    }
    add_noise(params, detector, rng, out);
    sort_unique_tail(out, start);
    counts[event] = out.size() - start;
  }
}

std::string simulation_metadata(const SimulationParams& params, std::size_t n_muon_events,
                                std::size_t n_noise_events, std::uint64_t seed) {
  nlohmann::json metadata;
  metadata["generator"] = "hlslim toy HL-LHC L0 barrel muon trigger simulation";
  metadata["seed"] = seed;
  metadata["n_muon_events"] = n_muon_events;
  metadata["n_noise_events"] = n_noise_events;
  metadata["simulation"] = params.to_json();
  return metadata.dump();
}

}  // namespace

const std::vector<std::string>& simulation_label_names() {
  static const std::vector<std::string> names = {"pt",     "eta",    "phi",
                                                 "charge", "n_hits", "is_noise"};
  return names;
}

EventStore simulate(const SimulationParams& params, std::size_t n_muon_events,
                    std::size_t n_noise_events, std::uint64_t seed, int threads) {
  const std::vector<std::string> problems = params.validate();
  if (!problems.empty()) {
    std::string message = "invalid simulation parameters: ";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      message += (i == 0 ? "" : "; ") + problems[i];
    }
    throw DataError(message);
  }
  const Detector detector = build_detector(params);
  const std::size_t n = n_muon_events + n_noise_events;
  std::size_t n_threads = threads > 0 ? static_cast<std::size_t>(threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  // Below a few thousand events per thread, starting threads costs more than it saves.
  n_threads = std::max<std::size_t>(1, std::min(n_threads, n / 4096));

  std::vector<float> labels(n * kLabelCount);
  std::vector<std::uint64_t> offsets(n + 1, 0);
  std::vector<std::vector<std::uint32_t>> chunks(n_threads);
  std::vector<std::size_t> bounds(n_threads + 1);
  for (std::size_t t = 0; t <= n_threads; ++t) bounds[t] = n * t / n_threads;
  std::vector<std::exception_ptr> failures(n_threads);
  auto work = [&](std::size_t t) {
    try {
      chunks[t].reserve((bounds[t + 1] - bounds[t]) * 16);
      simulate_range(params, detector, n_muon_events, seed, bounds[t], bounds[t + 1], labels.data(),
                     offsets.data() + 1, chunks[t]);
    } catch (...) {
      failures[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < n_threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& thread : pool) thread.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }

  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  std::vector<std::uint32_t> pixels;
  if (n_threads == 1) {
    pixels = std::move(chunks[0]);
    pixels.shrink_to_fit();
  } else {
    pixels.resize(offsets[n]);
    for (std::size_t t = 0; t < n_threads; ++t) {
      if (!chunks[t].empty()) {
        std::memcpy(pixels.data() + offsets[bounds[t]], chunks[t].data(),
                    chunks[t].size() * sizeof(std::uint32_t));
      }
      std::vector<std::uint32_t>().swap(chunks[t]);
    }
  }
  return EventStore::from_arrays("simulation", params.layers.size(), params.columns,
                                 simulation_label_names(),
                                 simulation_metadata(params, n_muon_events, n_noise_events, seed),
                                 std::move(offsets), std::move(pixels), std::move(labels));
}

}  // namespace hlslim::data
