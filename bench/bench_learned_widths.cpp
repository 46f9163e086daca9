// The cost of learned bit widths per training step: the default student (flatten -> dense 32 ->
// relu -> dense 8 -> relu -> dense 2, configs/muon_trigger.yaml) on the simulated muon windows,
// one optimizer step (forward, loss, backward, Adam) in float, with fixed-type fake quantization
// (QAT) and with learned widths (per-channel fraction bits, the resource term and their own Adam
// step), all from the default student's precision (binary input, 8-bit weights and ReLUs). Prints
// one JSON object with the median time per step of each and the ratios to float.
//
// Usage: bench_learned_widths [steps (default 300)] [batch (default 256)] [threads (default 1)]
//                             [rounds (default 5)]
//
// The three are measured alternately, `rounds` times each, in CPU time, and the medians are
// reported (timings on a shared machine vary from run to run).

#include <algorithm>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "hlslim/config/source.hpp"
#include "hlslim/data/fragmenter.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/graph/architecture.hpp"
#include "hlslim/train/learned_widths_options.hpp"
#include "hlslim/train/quantize_options.hpp"
#include "hlslim/train/runtime.hpp"
#include "hlslim/train/trainer.hpp"

namespace {

using namespace hlslim;

constexpr const char* kStudent = R"(
student:
  layers:
    - {type: flatten}
    - {type: dense, name: fc1, units: 32}
    - {type: relu}
    - {type: dense, name: fc2, units: 8}
    - {type: relu}
    - {type: dense, name: out, units: 2}
)";

enum class Mode { kFloat, kQat, kLearned };

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t steps = argc > 1 ? std::atoll(argv[1]) : 300;
  const std::int64_t batch = argc > 2 ? std::atoll(argv[2]) : 256;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  const int rounds = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  set_torch_threads(threads);

  const data::SimulationParams params;
  const auto events = data::simulate(params, 20000, 0, 1, 2);
  const auto windows =
      data::Fragmenter(data::FragmenterOptions::for_simulation(params)).fragment(events);
  std::vector<std::size_t> all(windows.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const BatchSource source(windows, TargetNormalization::fit(windows, {"pt", "eta"}, all, true));
  const std::size_t n = all.size();
  std::vector<float> x(n * source.input_size()), y(n * 2);
  source.fill(all.data(), n, x.data(), y.data());

  Diagnostics diagnostics;
  const auto yaml = ConfigSource::load_string(kStudent, "bench", ".", diagnostics);
  Graph graph = parse_architecture(yaml, yaml.root()["student"], "student", diagnostics);
  graph.input_shape = {1, static_cast<std::int64_t>(windows.layers()),
                       static_cast<std::int64_t>(windows.columns())};
  torch::manual_seed(1);
  GraphModule(graph)->store_weights(graph);
  // The default student's precision (configs/muon_trigger.yaml): the binary input as it is,
  // 8-bit weights, 8-bit biases, ReLUs as wide as the weights (the QAT default).
  PrecisionRequest request;
  for (const auto& [role, text] : {std::pair{"input", "ufixed<1,1,RND_CONV,SAT>"},
                                   std::pair{"weight", "fixed<8,auto,RND_CONV,SAT>"},
                                   std::pair{"bias", "fixed<8,auto,RND_CONV,SAT>"}}) {
    request.defaults[role] = *parse_precision_spec(text).spec;
  }
  request.activation_width = activation_width_for(request);
  const std::optional<ModelPrecision> calibrated =
      resolve_precision(graph, request, value_ranges(graph, source, all));

  TrainOptions options;
  OptionTable table;
  options.declare(table);
  LearnWidthsOptions widths_options;
  OptionTable widths_table;
  widths_options.declare(widths_table);

  std::vector<std::int64_t> x_shape{batch};
  x_shape.insert(x_shape.end(), graph.input_shape.begin(), graph.input_shape.end());
  const std::int64_t batches = static_cast<std::int64_t>(n) / batch;
  const auto seconds_per_step = [&](Mode mode) {
    torch::manual_seed(1);
    GraphModule module(graph);
    if (mode != Mode::kFloat) module->set_fake_quant(*calibrated);
    Trainer trainer(module, options, 1);
    std::unique_ptr<WidthLearning> widths;
    TrainHook* hook = nullptr;
    if (mode == Mode::kLearned) {
      widths = make_width_learning(widths_options, request, &calibrated);
      hook = widths->hook();
      hook->on_train_begin(trainer);
    }
    module->train();
    const auto step = [&](std::int64_t s) {
      const std::int64_t b = s % batches;
      const torch::Tensor xb =
          torch::from_blob(x.data() + b * batch * source.input_size(), x_shape, torch::kFloat32);
      const torch::Tensor yb = torch::from_blob(y.data() + b * batch * 2, {batch, 2});
      const torch::Tensor out = module->forward_logits(xb);
      const torch::Tensor loss = Trainer::loss(options, out, yb);
      trainer.optimizer().zero_grad();
      loss.backward();
      trainer.optimizer().step();
      if (hook) hook->after_step(trainer);
    };
    for (std::int64_t s = 0; s < 20; ++s) step(s);  // warm-up
    // CPU time of the process: with one LibTorch thread (and OpenBLAS single-threaded) it is
    // the step's own work, which other jobs on a shared machine barely disturb, unlike wall
    // time. With more threads it also counts their spinning; compare at one thread.
    const std::clock_t start = std::clock();
    for (std::int64_t s = 0; s < steps; ++s) step(s);
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC / static_cast<double>(steps);
  };

  std::vector<double> t_float, t_qat, t_learned, r_qat, r_learned;
  for (int round = 0; round < rounds; ++round) {
    t_float.push_back(seconds_per_step(Mode::kFloat));
    t_qat.push_back(seconds_per_step(Mode::kQat));
    t_learned.push_back(seconds_per_step(Mode::kLearned));
    r_qat.push_back(t_qat.back() / t_float.back());
    r_learned.push_back(t_learned.back() / t_float.back());
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const nlohmann::json report = {
      {"model", "student dense 32-8-2"},
      {"input_shape", graph.input_shape},
      {"parameters", graph.totals().parameters},
      {"steps", steps},
      {"batch", batch},
      {"threads", threads},
      {"rounds", rounds},
      {"clock", "process CPU time"},
      {"float_ms_per_step", median(t_float) * 1e3},
      {"qat_ms_per_step", median(t_qat) * 1e3},
      {"learned_widths_ms_per_step", median(t_learned) * 1e3},
      {"qat_ratio", median(r_qat)},
      {"learned_widths_ratio", median(r_learned)},
      {"learned_widths_ratio_max", *std::max_element(r_learned.begin(), r_learned.end())}};
  std::cout << report.dump(2) << std::endl;
  return 0;
}
