// Measures the simulation: events per second on one thread and on all hardware threads, bytes
// per stored event and peak resident memory. Prints one JSON object on stdout.
//
// Usage: bench_simulation [n_events (default 1000000)] [seed (default 1)]

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "hlslim/data/error.hpp"
#include "hlslim/data/simulation.hpp"

namespace {

using hlslim::data::EventStore;

// Peak resident set size so far, in bytes (VmHWM of /proc/self/status); 0 where unavailable.
std::size_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

template <typename T>
std::size_t hash_array(const std::vector<T>& values) {
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
}

std::size_t hash_store(const EventStore& store) {
  return hash_array(store.offsets()) ^ (hash_array(store.pixels()) * 3) ^
         (hash_array(store.labels()) * 7);
}

nlohmann::json run(std::size_t n, std::uint64_t seed, int threads, std::size_t& hash,
                   std::size_t& bytes, std::size_t& hits) {
  const hlslim::data::SimulationParams params;
  const auto start = std::chrono::steady_clock::now();
  const EventStore store = hlslim::data::simulate(params, n, 0, seed, threads);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  hash = hash_store(store);
  bytes = store.memory_bytes();
  hits = store.hit_count();
  return {{"threads", threads},
          {"seconds", seconds},
          {"events_per_second", static_cast<double>(n) / seconds},
          {"peak_rss_bytes_so_far", peak_rss_bytes()}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::size_t n = argc > 1 ? std::stoull(argv[1]) : 1000000;
    const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 1;
    const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::size_t hash_one = 0, hash_all = 0, bytes = 0, hits = 0;
    nlohmann::json single = run(n, seed, 1, hash_one, bytes, hits);
    nlohmann::json multi = run(n, seed, all, hash_all, bytes, hits);
    nlohmann::json report = {
        {"events", n},
        {"seed", seed},
        {"single_thread", single},
        {"all_threads", multi},
        {"identical_across_thread_counts", hash_one == hash_all},
        {"store_bytes", bytes},
        {"bytes_per_event", static_cast<double>(bytes) / static_cast<double>(n)},
        {"hits_per_event", static_cast<double>(hits) / static_cast<double>(n)},
        {"peak_rss_bytes", peak_rss_bytes()}};
    std::cout << report.dump(2) << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "bench_simulation: " << error.what() << "\n";
    return 1;
  }
}
