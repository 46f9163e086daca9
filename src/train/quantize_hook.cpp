#include "hlslim/train/quantize_hook.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>

#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {

ModelPrecision QuantizeOptions::calibrate(GraphModule& module, const Graph& graph,
                                          const BatchSource& source,
                                          std::vector<std::size_t> indices) const {
  if (calibration_events_ > 0 && indices.size() > static_cast<std::size_t>(calibration_events_)) {
    indices.resize(static_cast<std::size_t>(calibration_events_));
  }
  return resolve_precision(graph, request_, value_ranges(module, source, indices));
}

ModelPrecision QuantizeOptions::calibrate(const Graph& graph, const BatchSource& source,
                                          std::vector<std::size_t> indices) const {
  GraphModule module(graph);
  return calibrate(module, graph, source, std::move(indices));
}

ValueRanges value_ranges(const Graph& graph, const BatchSource& source,
                         const std::vector<std::size_t>& indices) {
  GraphModule module(graph);
  return value_ranges(module, source, indices);
}

QuantizeDuringTraining::QuantizeDuringTraining(const QuantizeOptions& options,
                                               const BatchSource& source,
                                               std::vector<std::size_t> calibration,
                                               std::int64_t float_epochs)
    : options_(options),
      source_(source),
      calibration_(std::move(calibration)),
      float_epochs_(float_epochs) {}

void QuantizeDuringTraining::on_train_begin(Trainer& trainer) {
  if (precision_) trainer.module()->set_fake_quant(*precision_);  // resumed after it started
}

void QuantizeDuringTraining::on_epoch_end(Trainer& trainer, EpochRecord& record) {
  if (precision_) return;
  record.selectable = false;  // trained and validated in float
  if (record.epoch < float_epochs_) return;
  GraphModule& module = trainer.module();
  Graph graph = module->architecture();
  module->store_weights(graph);
  precision_ = options_.calibrate(module, graph, source_, calibration_);
  module->set_fake_quant(*precision_);
  spdlog::info("quantization-aware training from epoch {} on", record.epoch + 1);
}

void QuantizeDuringTraining::save_state(const std::filesystem::path& dir) {
  if (precision_) write_file_atomic(dir / "precision.json", precision_to_json(*precision_).dump(1));
}

void QuantizeDuringTraining::load_state(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir / "precision.json")) return;
  try {
    precision_ = precision_from_json(nlohmann::json::parse(read_file(dir / "precision.json")));
  } catch (const nlohmann::json::exception& e) {
    throw FileFormatError("training checkpoint '" + dir.string() +
                          "': precision.json is corrupted: " + e.what());
  }
}

ValueRanges value_ranges(GraphModule& module, const BatchSource& source,
                         const std::vector<std::size_t>& indices) {
  torch::NoGradGuard no_grad;
  const bool was_training = module->is_training();
  module->eval();
  const auto& input_shape = module->architecture().input_shape;
  const std::size_t layers = module->architecture().layers.size();
  const double inf = std::numeric_limits<double>::infinity();
  ValueRanges ranges;
  ranges.input = {inf, -inf};
  ranges.layers.assign(layers, {inf, -inf});
  const auto widen = [](std::pair<double, double>& r, const torch::Tensor& t) {
    r.first = std::min(r.first, t.min().item<double>());
    r.second = std::max(r.second, t.max().item<double>());
  };
  constexpr std::size_t kBatch = 2048;
  std::vector<float> x(kBatch * source.input_size());
  for (std::size_t start = 0; start < indices.size(); start += kBatch) {
    const std::size_t n = std::min(kBatch, indices.size() - start);
    source.fill(indices.data() + start, n, x.data(), nullptr);
    std::vector<std::int64_t> shape{static_cast<std::int64_t>(n)};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    const torch::Tensor batch = torch::from_blob(x.data(), shape, torch::kFloat32);
    widen(ranges.input, batch);
    const auto outputs = module->forward_all(batch);
    for (std::size_t i = 0; i < layers; ++i) widen(ranges.layers[i], outputs[i]);
  }
  module->train(was_training);
  return ranges;
}

}  // namespace hlslim
