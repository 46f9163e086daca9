// Measures the fixed-point engine on one thread: events per second of a student-sized model
// (flatten [11, 16] -> dense 10 -> relu -> dense 2) and of a conv1d teacher-shaped model
// (conv1d 32 filters k3 same -> relu -> flatten -> dense 2), and, where SystemC is installed,
// of a plain sc_fix implementation of the same student measured in the same run. Prints a
// readable table and then one JSON object on the last line.
//
// Usage: bench_engine [n_events (default 1000000)] [zero_fraction (default 0.5)]

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/quant/fixed_point.hpp"

#ifdef HLSLIM_BENCH_SYSTEMC
#define SC_INCLUDE_FX
#include <systemc>

// libsystemc refers to sc_main; this program has its own main.
int sc_main(int, char**) {
  return 0;
}
#endif

namespace {

using hlslim::FixedType;
using hlslim::Graph;
using hlslim::Layer;
using hlslim::LayerKind;
using hlslim::LayerPrecision;
using hlslim::ModelPrecision;

constexpr std::size_t kChannels = 11;
constexpr std::size_t kLength = 16;
constexpr std::size_t kInputs = kChannels * kLength;
constexpr std::size_t kBatch = 4096;  // events per run() call, cycled over
constexpr int kRounds = 5;            // timings are medians over rounds

FixedType type(const std::string& text) {
  return *hlslim::parse_fixed_type(text).type;
}

LayerPrecision precision(const char* weight, const char* bias, const char* accum,
                         const char* result) {
  LayerPrecision p;
  if (weight) p.weight = type(weight);
  if (bias) p.bias = type(bias);
  if (accum) p.accum = type(accum);
  if (result) p.result = type(result);
  return p;
}

// Weights of a trained-looking layer, a `zero_fraction` of them exactly zero (pruned).
hlslim::Tensor random_tensor(std::vector<std::int64_t> shape, double zero_fraction,
                             std::mt19937_64& rng) {
  hlslim::Tensor t(shape);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (float& v : t.values) v = u(rng) < zero_fraction ? 0.0f : normal(rng);
  return t;
}

Layer plain(const char* name, LayerKind kind) {
  Layer l;
  l.name = name;
  l.kind = kind;
  return l;
}

Layer dense(const char* name, std::int64_t n_in, std::int64_t units, double zeros,
            std::mt19937_64& rng) {
  Layer l = plain(name, LayerKind::kDense);
  l.params.units = units;
  l.tensors["weight"] = random_tensor({units, n_in}, zeros, rng);
  l.tensors["bias"] = random_tensor({units}, 0.0, rng);
  return l;
}

Graph student_graph(double zeros, std::mt19937_64& rng) {
  Graph g;
  g.name = "student";
  g.input_shape = {kChannels, kLength};
  g.layers = {plain("flatten", LayerKind::kFlatten), dense("fc1", kInputs, 10, zeros, rng),
              plain("relu", LayerKind::kRelu), dense("fc2", 10, 2, zeros, rng)};
  return g;
}

// hls4ml-like types with 8-bit weights and 16-bit results. `exact_accum`: accumulators wide
// enough for every sum (as hls4ml's automatic precision derives them), so the engine takes its
// fast path; otherwise hls4ml's default fixed<16,6> accumulators, which round every product.
ModelPrecision student_precision(bool exact_accum) {
  ModelPrecision p;
  p.input = type("fixed<16,6>");
  p.layers = {LayerPrecision{},
              precision("fixed<8,2>", "fixed<8,2>", exact_accum ? "fixed<32,16>" : "fixed<16,6>",
                        "fixed<16,6>"),
              precision(nullptr, nullptr, nullptr, "ufixed<16,6>"),
              precision("fixed<8,2>", "fixed<8,2>", exact_accum ? "fixed<32,16>" : "fixed<16,6>",
                        "fixed<16,6>")};
  return p;
}

Graph teacher_graph(std::mt19937_64& rng) {
  Graph g;
  g.name = "teacher";
  g.input_shape = {kChannels, kLength};
  Layer conv = plain("conv", LayerKind::kConv1d);
  conv.params.filters = 32;
  conv.params.kernel = {3};
  conv.params.stride = {1};
  conv.params.padding = hlslim::Padding::kSame;
  conv.tensors["weight"] = random_tensor({32, kChannels, 3}, 0.0, rng);
  conv.tensors["bias"] = random_tensor({32}, 0.0, rng);
  g.layers = {conv, plain("relu", LayerKind::kRelu), plain("flatten", LayerKind::kFlatten),
              dense("fc", 32 * kLength, 2, 0.0, rng)};
  return g;
}

ModelPrecision teacher_precision() {
  ModelPrecision p;
  p.input = type("fixed<16,6>");
  p.layers = {precision("fixed<8,2>", "fixed<8,2>", "fixed<32,16>", "fixed<16,6>"),
              precision(nullptr, nullptr, nullptr, "ufixed<16,6>"), LayerPrecision{},
              precision("fixed<8,2>", "fixed<8,2>", "fixed<40,20>", "fixed<16,6>")};
  return p;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Events per second of engine.run() over n events cycled through the `pool` of inputs.
double engine_rate(const hlslim::FixedEngine& engine, const std::vector<float>& pool, std::size_t n,
                   hlslim::EngineStats* stats = nullptr) {
  std::vector<float> y(kBatch * engine.output_size());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t done = 0; done < n; done += kBatch) {
    engine.run(pool.data(), std::min(kBatch, n - done), y.data(), stats);
  }
  return static_cast<double>(n) / seconds_since(start);
}

#ifdef HLSLIM_BENCH_SYSTEMC
// The peer: the student written the obvious way with SystemC's dynamic fixed-point types, one
// sc_fix per value, every product assigned to the accumulator and every sum assigned again.
// Zero weights are skipped here too, so both sides do the same arithmetic.
class ScFixStudent {
 public:
  ScFixStudent(const Graph& g, const ModelPrecision& p) : graph_(g), precision_(p) {}

  void run(const float* x, std::int64_t* y_raw) const {
    std::vector<sc_dt::sc_fxval> values;
    for (std::size_t i = 0; i < kInputs; ++i)
      values.push_back(cast(sc_dt::sc_fxval(double(x[i])), precision_.input));
    values = dense(graph_.layers[1], precision_.layers[1], values);
    for (auto& v : values) v = cast(v > 0 ? v : sc_dt::sc_fxval(0), *precision_.layers[2].result);
    values = dense(graph_.layers[3], precision_.layers[3], values);
    const FixedType& out = *precision_.layers[3].result;
    for (std::size_t j = 0; j < values.size(); ++j) {
      y_raw[j] = static_cast<std::int64_t>(
          std::llround(values[j].to_double() * std::ldexp(1.0, out.fraction_bits())));
    }
  }

 private:
  static sc_dt::sc_fxtype_params params(const FixedType& t) {
    return sc_dt::sc_fxtype_params(t.width, t.integer_bits, sc_dt::SC_TRN, sc_dt::SC_WRAP, 0);
  }
  static sc_dt::sc_fxval cast(const sc_dt::sc_fxval& v, const FixedType& t) {
    if (t.is_signed) return sc_dt::sc_fxval(sc_dt::sc_fix(v, params(t)));
    return sc_dt::sc_fxval(sc_dt::sc_ufix(v, params(t)));
  }

  std::vector<sc_dt::sc_fxval> dense(const Layer& l, const LayerPrecision& p,
                                     const std::vector<sc_dt::sc_fxval>& x) const {
    const auto& w = l.tensors.at("weight").values;
    const auto& b = l.tensors.at("bias").values;
    std::vector<sc_dt::sc_fxval> out;
    for (std::size_t o = 0; o < b.size(); ++o) {
      sc_dt::sc_fix acc(cast(cast(sc_dt::sc_fxval(double(b[o])), *p.bias), *p.accum),
                        params(*p.accum));
      for (std::size_t i = 0; i < x.size(); ++i) {
        const float wf = w[o * x.size() + i];
        if (wf == 0.0f) continue;
        acc = acc +
              sc_dt::sc_fix(cast(sc_dt::sc_fxval(double(wf)), *p.weight) * x[i], params(*p.accum));
      }
      out.push_back(cast(acc, *p.result));
    }
    return out;
  }

  const Graph& graph_;
  const ModelPrecision& precision_;
};
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const double zeros = argc > 2 ? std::strtod(argv[2], nullptr) : 0.5;
  std::mt19937_64 rng(1);
  const Graph student = student_graph(zeros, rng);
  const Graph teacher = teacher_graph(rng);
  const hlslim::FixedEngine exact(student, student_precision(true));
  const hlslim::FixedEngine narrow(student, student_precision(false));
  const hlslim::FixedEngine conv(teacher, teacher_precision());

  std::vector<float> pool(kBatch * kInputs);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (float& v : pool) v = normal(rng);

  std::vector<double> fast, general, stats, teacher_rate;
  for (int round = 0; round < kRounds; ++round) {
    fast.push_back(engine_rate(exact, pool, n / kRounds));
    general.push_back(engine_rate(narrow, pool, n / kRounds));
    hlslim::EngineStats s;
    stats.push_back(engine_rate(exact, pool, n / kRounds / 4, &s));
    teacher_rate.push_back(engine_rate(conv, pool, n / kRounds / 20));
  }
  nlohmann::json report = {
      {"events", n},
      {"zero_weight_fraction", zeros},
      {"student_events_per_second", median(fast)},
      {"student_narrow_accum_events_per_second", median(general)},
      {"student_with_stats_events_per_second", median(stats)},
      {"teacher_conv1d_events_per_second", median(teacher_rate)},
  };
  std::cout << "student (fast path, exact accumulators): " << median(fast) << " events/s\n"
            << "student (fixed<16,6> accumulators, general path): " << median(general)
            << " events/s\n"
            << "student with statistics: " << median(stats) << " events/s\n"
            << "conv1d teacher: " << median(teacher_rate) << " events/s\n";

#ifdef HLSLIM_BENCH_SYSTEMC
  // The peer is ~1000x slower: a few thousand events per round are enough.
  const ModelPrecision narrow_precision = student_precision(false);
  const ScFixStudent peer(student, narrow_precision);
  const std::size_t peer_events = std::max<std::size_t>(std::min<std::size_t>(n / 200, 2000), 1);
  std::vector<double> peer_rate;
  std::size_t mismatches = 0;
  std::vector<std::int64_t> want(2);
  std::vector<std::int64_t> x_raw(kInputs);
  std::vector<std::int64_t> got(2);
  for (int round = 0; round < kRounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t e = 0; e < peer_events; ++e)
      peer.run(&pool[(e % kBatch) * kInputs], want.data());
    peer_rate.push_back(static_cast<double>(peer_events) / seconds_since(start));
  }
  // The same events through the engine must give the same raws (all modes here are TRN/WRAP).
  for (std::size_t e = 0; e < peer_events; ++e) {
    peer.run(&pool[(e % kBatch) * kInputs], want.data());
    for (std::size_t i = 0; i < kInputs; ++i) {
      x_raw[i] = hlslim::quantize(pool[(e % kBatch) * kInputs + i], narrow_precision.input);
    }
    narrow.run_raw(x_raw.data(), 1, got.data());
    if (got != want) ++mismatches;
  }
  const double ratio = median(general) / median(peer_rate);
  std::cout << "sc_fix peer (same student, fixed<16,6> accumulators): " << median(peer_rate)
            << " events/s; engine / peer = " << ratio << "; outputs differing: " << mismatches
            << " of " << peer_events << "\n";
  report["sc_fix_peer_events_per_second"] = median(peer_rate);
  report["engine_over_sc_fix"] = ratio;
  report["sc_fix_peer_mismatches"] = mismatches;
#endif
  std::cout << report.dump() << "\n";
  return 0;
}
