// Training speed of hlslim against PyTorch-Python (Debian's python3-torch, the same LibTorch
// underneath): the same model, data, batch size, optimizer (Adam) and number of steps, for the
// default teacher and a student-sized model. Prints one JSON object with samples per second of
// both and their ratio.
//
// Usage: bench_train [steps (default 300)] [batch (default 256)] [threads (default 2)]
//                    [rounds (default 5)]
//
// Timings on a shared machine vary by tens of percent from run to run, so the two sides are
// measured alternately, `rounds` times each, and the medians are reported with the median of
// the per-round ratios.
//
// The teacher is the default one (configs/muon_trigger.yaml) on windows without position rows.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "hlslim/data/fragmenter.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/graph/architecture.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/runtime.hpp"
#include "hlslim/train/trainer.hpp"

namespace {

using namespace hlslim;
namespace fs = std::filesystem;

constexpr const char* kModels = R"(
teacher:
  input: [1, 9, 16]
  layers:
    - {type: reshape, shape: [9, 16]}
    - {type: conv1d, filters: 32, kernel: 3, padding: same}
    - {type: relu}
    - {type: conv1d, filters: 32, kernel: 3, padding: same}
    - {type: relu}
    - {type: flatten}
    - {type: dense, units: 64}
    - {type: relu}
    - {type: dense, units: 2}
student:
  input: [1, 9, 16]
  layers:
    - {type: flatten}
    - {type: dense, units: 10}
    - {type: relu}
    - {type: dense, units: 2}
)";

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  pclose(pipe);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t steps = argc > 1 ? std::atoll(argv[1]) : 300;
  const std::int64_t batch = argc > 2 ? std::atoll(argv[2]) : 256;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const int rounds = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  set_torch_threads(threads);
  const fs::path dir =
      fs::temp_directory_path() / ("hlslim_bench_train_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path script = fs::path(HLSLIM_SOURCE_DIR) / "bench" / "bench_train.py";

  // The same windows and normalized targets for both sides.
  const data::SimulationParams params;
  const auto events = data::simulate(params, 20000, 0, 1, threads);
  const auto windows =
      data::Fragmenter(data::FragmenterOptions::for_simulation(params)).fragment(events);
  std::vector<std::size_t> all(windows.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const BatchSource source(windows, TargetNormalization::fit(windows, {"pt", "eta"}, all, true));
  std::vector<float> x(all.size() * source.input_size());
  std::vector<float> y(all.size() * 2);
  source.fill(all.data(), all.size(), x.data(), y.data());
  std::ofstream(dir / "x.f32", std::ios::binary)
      .write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * 4));
  std::ofstream(dir / "y.f32", std::ios::binary)
      .write(reinterpret_cast<const char*>(y.data()), static_cast<std::streamsize>(y.size() * 4));

  Diagnostics diagnostics;
  const auto source_yaml = ConfigSource::load_string(kModels, "bench", ".", diagnostics);
  nlohmann::json report = {
      {"steps", steps}, {"batch", batch}, {"threads", threads}, {"rounds", rounds}};
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  for (const char* name : {"teacher", "student"}) {
    Graph graph = parse_architecture(source_yaml, source_yaml.root()[name], name, diagnostics);
    torch::manual_seed(1);
    GraphModule module(graph);
    module->store_weights(graph);
    save_model(graph, dir / (std::string(name) + ".hlsm"));

    TrainOptions options;
    OptionTable table;
    options.declare(table);
    options.batch_size = batch;
    options.epochs = 1;
    TrainData warm_up;
    warm_up.source = &source;
    warm_up.input_shape = graph.input_shape;
    for (std::int64_t i = 0; i < std::min<std::int64_t>(20, steps) * batch; ++i)
      warm_up.train.push_back(static_cast<std::size_t>(i) % all.size());
    TrainData data = warm_up;
    data.train.clear();
    for (std::int64_t i = 0; i < steps * batch; ++i)
      data.train.push_back(static_cast<std::size_t>(i) % all.size());

    // The Python side gets the BLAS setting hlslim uses (one OpenBLAS thread; LibTorch
    // parallelises), so both run the same kernels the same way.
    const std::string command = "OPENBLAS_NUM_THREADS=1 /usr/bin/python3 " + script.string() + " " +
                                (dir / (std::string(name) + ".hlsm")).string() + " " +
                                (dir / "x.f32").string() + " " + (dir / "y.f32").string() + " " +
                                std::to_string(all.size()) + " " + std::to_string(batch) + " " +
                                std::to_string(steps) + " " + std::to_string(threads);
    std::vector<double> ours, theirs, ratios;
    for (int round = 0; round < rounds; ++round) {
      Trainer(module, options, 1).fit(warm_up, {});
      const auto start = std::chrono::steady_clock::now();
      Trainer(module, options, 1).fit(data, {});
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ours.push_back(static_cast<double>(steps * batch) / seconds);
      const auto python = nlohmann::json::parse(run_command(command), nullptr, false);
      theirs.push_back(python.is_object() ? python.value("samples_per_second", 0.0) : 0.0);
      ratios.push_back(theirs.back() > 0 ? ours.back() / theirs.back() : 0.0);
    }
    report[name] = {{"parameters", graph.totals().parameters},
                    {"hlslim_samples_per_second", median(ours)},
                    {"pytorch_python_samples_per_second", median(theirs)},
                    {"ratio", median(ratios)},
                    {"ratio_min", *std::min_element(ratios.begin(), ratios.end())},
                    {"ratio_max", *std::max_element(ratios.begin(), ratios.end())}};
  }
  fs::remove_all(dir);
  std::cout << report.dump(2) << std::endl;
  return 0;
}
