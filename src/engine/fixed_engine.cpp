#include "hlslim/engine/fixed_engine.hpp"

#include <algorithm>

#include "convert.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/util/errors.hpp"
#include "steps.hpp"

namespace hlslim {

using engine_detail::InputQuantizer;
using engine_detail::Step;

namespace {

void merge_range(double& min_seen, double& max_seen, double other_min, double other_max) {
  min_seen = std::min(min_seen, other_min);
  max_seen = std::max(max_seen, other_max);
}

}  // namespace

void EngineStats::merge(const EngineStats& other) {
  input_values += other.input_values;
  input_overflows += other.input_overflows;
  merge_range(input_min_seen, input_max_seen, other.input_min_seen, other.input_max_seen);
  if (layers.empty()) {
    layers = other.layers;
    return;
  }
  if (!other.layers.empty() && other.layers.size() != layers.size()) {
    throw Error("cannot merge engine statistics of " + std::to_string(other.layers.size()) +
                " layers into statistics of " + std::to_string(layers.size()));
  }
  for (std::size_t i = 0; i < other.layers.size(); ++i) {
    LayerStats& mine = layers[i];
    const LayerStats& theirs = other.layers[i];
    merge_range(mine.min_seen, mine.max_seen, theirs.min_seen, theirs.max_seen);
    mine.values += theirs.values;
    mine.result_overflows += theirs.result_overflows;
    mine.accum_overflows += theirs.accum_overflows;
  }
}

struct FixedEngine::Impl {
  std::string model;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<Step>> steps;  // one per layer
  std::vector<FixedType> value_types;
  InputQuantizer quantizer;
  std::size_t input_size = 0;
  std::size_t output_size = 0;
  std::size_t buffer_size = 0;  // the largest value count of any layer
  double output_step = 1.0;     // value of one raw of the output type

  // One event: `a` holds the input raws; returns where the output raws are (a or b).
  const std::int64_t* forward(std::int64_t* a, std::int64_t* b, EngineStats* stats) const {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& step = *steps[i];
      if (stats) {
        step.run_stats(a, b, stats->layers[i]);
      } else if (step.passthrough()) {
        continue;  // same values, same memory order: nothing to do
      } else {
        step.run(a, b);
      }
      std::swap(a, b);
    }
    return a;
  }

  void prepare(EngineStats& stats) const {
    if (stats.layers.empty()) {
      stats.layers.resize(steps.size());
      for (std::size_t i = 0; i < steps.size(); ++i) stats.layers[i].name = names[i];
    } else if (stats.layers.size() != steps.size()) {
      throw Error("model '" + model + "': engine statistics hold " +
                  std::to_string(stats.layers.size()) + " layers, the model has " +
                  std::to_string(steps.size()));
    }
  }

  void check_raw_input(const std::int64_t* x_raw) const {
    const FixedType& type = value_types.front();
    for (std::size_t i = 0; i < input_size; ++i) {
      if (x_raw[i] < type.raw_min() || x_raw[i] > type.raw_max()) {
        throw Error("model '" + model + "': input raw " + std::to_string(x_raw[i]) + " at index " +
                    std::to_string(i) + " is outside the range of " + type.to_string());
      }
    }
  }
};

FixedEngine::FixedEngine(const Graph& graph, const ModelPrecision& precision)
    : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.model = graph.name;
  const std::vector<Shape> shapes = graph.shapes();
  if (precision.layers.size() != graph.layers.size()) {
    throw Error("model '" + graph.name + "': precisions for " +
                std::to_string(precision.layers.size()) + " layers, the graph has " +
                std::to_string(graph.layers.size()));
  }
  impl.value_types.push_back(precision.input);
  // A trailing softmax is not computed: the engine, like the firmware, outputs the logits.
  const std::size_t computed = firmware_layer_count(graph);
  for (std::size_t i = 0; i < computed; ++i) {
    engine_detail::StepInput input;
    input.graph = &graph;
    input.layer = &graph.layers[i];
    input.in_shape = shapes[i];
    input.out_shape = shapes[i + 1];
    input.in_type = impl.value_types.back();
    input.precision = precision.layers[i];
    impl.steps.push_back(engine_detail::make_step(input));
    impl.value_types.push_back(impl.steps.back()->out_type());
    impl.names.push_back(graph.layers[i].name);
  }
  impl.quantizer = InputQuantizer(precision.input);
  impl.input_size = static_cast<std::size_t>(shape_numel(shapes.front()));
  impl.output_size = static_cast<std::size_t>(shape_numel(shapes[computed]));
  for (const Shape& shape : shapes) {
    impl.buffer_size = std::max(impl.buffer_size, static_cast<std::size_t>(shape_numel(shape)));
  }
  impl.output_step = impl.value_types.back().step();
}

FixedEngine::FixedEngine(const Graph& graph) : FixedEngine(graph, read_precision(graph)) {}

FixedEngine::~FixedEngine() = default;
FixedEngine::FixedEngine(FixedEngine&&) noexcept = default;
FixedEngine& FixedEngine::operator=(FixedEngine&&) noexcept = default;

std::size_t FixedEngine::input_size() const {
  return impl_->input_size;
}
std::size_t FixedEngine::output_size() const {
  return impl_->output_size;
}
const std::vector<FixedType>& FixedEngine::value_types() const {
  return impl_->value_types;
}

void FixedEngine::run(const float* x, std::size_t n, float* y, EngineStats* stats) const {
  const Impl& impl = *impl_;
  // Scratch for the whole call: events reuse it, nothing is allocated per event.
  std::vector<std::int64_t> a(impl.buffer_size);
  std::vector<std::int64_t> b(impl.buffer_size);
  if (stats) impl.prepare(*stats);
  for (std::size_t e = 0; e < n; ++e) {
    const float* in = x + e * impl.input_size;
    if (stats) {
      for (std::size_t i = 0; i < impl.input_size; ++i) {
        stats->input_min_seen = std::min(stats->input_min_seen, static_cast<double>(in[i]));
        stats->input_max_seen = std::max(stats->input_max_seen, static_cast<double>(in[i]));
        a[i] = impl.quantizer.counting(in[i], stats->input_overflows);
      }
      stats->input_values += static_cast<std::int64_t>(impl.input_size);
    } else {
      for (std::size_t i = 0; i < impl.input_size; ++i) a[i] = impl.quantizer(in[i]);
    }
    const std::int64_t* out = impl.forward(a.data(), b.data(), stats);
    float* dest = y + e * impl.output_size;
    for (std::size_t j = 0; j < impl.output_size; ++j) {
      dest[j] = static_cast<float>(static_cast<double>(out[j]) * impl.output_step);
    }
  }
}

void FixedEngine::run_raw(const std::int64_t* x_raw, std::size_t n, std::int64_t* y_raw,
                          EngineStats* stats) const {
  const Impl& impl = *impl_;
  std::vector<std::int64_t> a(impl.buffer_size);
  std::vector<std::int64_t> b(impl.buffer_size);
  if (stats) impl.prepare(*stats);
  const int input_fraction_bits = impl.value_types.front().fraction_bits();
  for (std::size_t e = 0; e < n; ++e) {
    const std::int64_t* in = x_raw + e * impl.input_size;
    impl.check_raw_input(in);
    std::copy(in, in + impl.input_size, a.begin());
    if (stats) {
      for (std::size_t i = 0; i < impl.input_size; ++i) {
        const double value = engine_detail::value_of(in[i], input_fraction_bits);
        stats->input_min_seen = std::min(stats->input_min_seen, value);
        stats->input_max_seen = std::max(stats->input_max_seen, value);
      }
      stats->input_values += static_cast<std::int64_t>(impl.input_size);
    }
    const std::int64_t* out = impl.forward(a.data(), b.data(), stats);
    std::copy(out, out + impl.output_size, y_raw + e * impl.output_size);
  }
}

std::vector<std::vector<std::int64_t>> FixedEngine::trace_raw(const std::int64_t* x_raw) const {
  const Impl& impl = *impl_;
  impl.check_raw_input(x_raw);
  std::vector<std::vector<std::int64_t>> outputs;
  std::vector<std::int64_t> current(x_raw, x_raw + impl.input_size);
  for (const auto& step : impl.steps) {
    std::vector<std::int64_t> next(step->out_size());
    step->run(current.data(), next.data());
    outputs.push_back(next);
    current = std::move(next);
  }
  return outputs;
}

}  // namespace hlslim
