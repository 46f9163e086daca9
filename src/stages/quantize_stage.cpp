#include "hlslim/stages/quantize_stage.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

#include "hlslim/config/pipeline_config.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/quantize/fold_batch_norm.hpp"
#include "hlslim/stages/dataset.hpp"
#include "hlslim/stages/quantize_report.hpp"
#include "hlslim/train/trainer.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

const std::vector<std::string> kRoles = {"input", "weight", "bias", "accum", "result"};

// Position of a node nested in an option's YAML value: its own mark when it has one.
SourcePos nested_pos(const SourcePos& option, const YAML::Node& node) {
  if (option.line > 0 && node.IsDefined() && !node.Mark().is_null()) {
    return {option.file, node.Mark().line + 1, node.Mark().column + 1};
  }
  return option;
}

// Parses a precision as a config writes it, adding the rule hls4ml precisions keep: integer
// bits never exceed the total (the step would exceed one).
PrecisionSpecResult parse_config_precision(const std::string& text) {
  PrecisionSpecResult result = parse_precision_spec(text);
  if (result.spec && result.spec->kind == PrecisionSpec::Kind::kFixed &&
      result.spec->type.integer_bits > result.spec->type.width) {
    const FixedType& t = result.spec->type;
    result.error = "integer bits " + std::to_string(t.integer_bits) + " exceed total bits " +
                   std::to_string(t.width) + " (the step would be 2^" +
                   std::to_string(t.integer_bits - t.width) + ")";
    result.spec.reset();
  }
  return result;
}

// Keeps pruned weights at exactly zero while quantization-aware training moves the others.
class MaskHook : public TrainHook {
 public:
  void after_step(Trainer& trainer) override { trainer.module()->apply_masks(); }
};

// Ranges of the input and of every layer's output of the float model on `indices`.
ValueRanges calibrate(GraphModule& module, const BatchSource& source,
                      const std::vector<std::size_t>& indices) {
  torch::NoGradGuard no_grad;
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
  return ranges;
}

BatchPredictor engine_predictor(const FixedEngine& engine, EngineStats* stats) {
  return [&engine, stats](const float* x, std::size_t n, float* y) { engine.run(x, n, y, stats); };
}

}  // namespace

void QuantizeStage::declare(OptionTable& t) {
  t.add_string("model", model_, "", "Model to quantize (trained by an earlier stage).").required();
  t.add_choice("method", method_, "ptq", {"ptq", "qat"},
               "'ptq': calibrate and quantize the trained weights; 'qat': then fine-tune with "
               "fake-quantized weights and activations (straight-through gradients).");
  OptionTable& precision = t.add_group(
      "precision", "Model-wide precision per role, in hls4ml's spelling (`fixed<8,3,RND_CONV,"
                   "SAT>`), `fixed<W,auto,...>` (integer bits calibrated) or `auto` "
                   "(docs/quantization.md).");
  precision.add_string("input", default_text_["input"], "auto", "The network's input.");
  precision.add_string("weight", default_text_["weight"], "auto",
                       "Weights (batch norm: scale; leaky ReLU: slope).");
  precision.add_string("bias", default_text_["bias"], "auto", "Biases (batch norm: shift).");
  precision.add_string("accum", default_text_["accum"], "auto",
                       "Accumulators of dense, convolution and average-pool layers; `auto` is "
                       "wide enough that no sum rounds or overflows.");
  precision.add_string("result", default_text_["result"], "auto", "Every layer's output.");
  t.add_yaml("layers", layers_,
             "Precisions by layer name or type (name wins over type, type over `precision`): "
             "{out: {result: 'fixed<16,6>'}, relu: {result: 'ufixed<8,3>'}}.");
  t.add_bool("fold_batch_norm", fold_batch_norm_, true,
             "Fold batch norms into the dense or convolution layer before them.");
  OptionTable& calibration =
      t.add_group("calibration", "Calibration of `auto` integer bits on training events.");
  calibration.add_int("events", calibration_events_, 20000,
                      "Training events to calibrate on (0: all).")
      .min(0);
  calibration.add_float("margin", margin_, 0.1,
                        "Calibrated ranges are widened by this fraction before integer bits are "
                        "chosen.")
      .min(0);
  fine_tune_.declare(t.add_group("fine_tune", "Training options of quantization-aware "
                                              "fine-tuning (method: qat), as the train stage's."));
}

void QuantizeStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  fine_tune_.configure(values.group("fine_tune"), diagnostics);
  request_ = PrecisionRequest{};
  request_.margin = margin_;
  const OptionValues& precision = values.group("precision");
  for (const std::string& role : kRoles) {
    const auto parsed = parse_config_precision(default_text_.at(role));
    if (!parsed.spec) {
      diagnostics.error(precision.pos(role), "stage 'quantize': precision." + role + " '" +
                                                 default_text_.at(role) + "': " + parsed.error);
      continue;
    }
    request_.defaults[role] = *parsed.spec;
  }
  layers_pos_ = values.pos("layers");
  layer_key_pos_.clear();
  if (!layers_.IsMap()) {
    diagnostics.error(layers_pos_, "stage 'quantize': 'layers' must map layer names or types to "
                                   "{role: precision}");
    return;
  }
  for (const auto& item : layers_) {
    const std::string key = item.first.Scalar();
    layer_key_pos_[key] = nested_pos(layers_pos_, item.first);
    if (!item.second.IsMap()) {
      diagnostics.error(nested_pos(layers_pos_, item.second),
                        "stage 'quantize': layers." + key +
                            " must map roles (weight, bias, accum, result) to precisions, got " +
                            describe_node(item.second));
      continue;
    }
    for (const auto& entry : item.second) {
      const std::string role = entry.first.Scalar();
      const SourcePos pos = nested_pos(layers_pos_, entry.second);
      if (role == "input" || std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
        diagnostics.error(nested_pos(layers_pos_, entry.first),
                          "stage 'quantize': unknown role '" + role + "' in layers." + key +
                              " (roles: weight, bias, accum, result)" +
                              did_you_mean(role, {"weight", "bias", "accum", "result"}));
        continue;
      }
      const std::string text = entry.second.IsScalar() ? entry.second.Scalar() : "";
      const auto parsed = parse_config_precision(text);
      if (!parsed.spec) {
        diagnostics.error(pos, "stage 'quantize': layers." + key + "." + role + " '" + text +
                                   "': " + parsed.error);
        continue;
      }
      request_.layers[key][role] = *parsed.spec;
    }
  }
}

void QuantizeStage::check(PipelineSketch& sketch, const SourcePos& pos,
                          Diagnostics& diagnostics) const {
  const std::string who = "stage 'quantize': ";
  if (!sketch.data) {
    diagnostics.error(pos, who + "needs a dataset: put a 'data' stage before it");
    return;
  }
  if (!sketch.models.count(model_) || !sketch.models.at(model_).trained) {
    diagnostics.error(pos, who + "model '" + model_ + "' is not trained by an earlier stage");
    return;
  }
  const Graph* graph = sketch.config->model(model_);
  if (!graph) return;
  for (const auto& layer : graph->layers) {
    if (!engine_supports(layer.kind)) {
      diagnostics.error(pos, who + "model '" + model_ + "', layer '" + layer.name + "': " +
                                 layer_kind_name(layer.kind) +
                                 " cannot be quantized (hls4ml computes it with lookup tables, "
                                 "which the fixed-point engine does not model)");
    }
    if (layer.kind == LayerKind::kAvgPool1d || layer.kind == LayerKind::kAvgPool2d) {
      std::int64_t n = 1;
      for (auto p : layer.params.pool) n *= p;
      if ((n & (n - 1)) != 0) {
        diagnostics.error(pos, who + "model '" + model_ + "', layer '" + layer.name +
                                   "': average pooling over " + std::to_string(n) +
                                   " values; the fixed-point engine divides by a shift and "
                                   "needs a power of two");
      }
    }
  }
  // Keys of `layers`: a layer of this model or a type it has, with roles that layer takes.
  std::vector<std::string> names;
  for (const auto& layer : graph->layers) names.push_back(layer.name);
  for (const auto& layer : graph->layers) names.push_back(layer_kind_name(layer.kind));
  for (const auto& [key, roles] : request_.layers) {
    const Layer* layer = graph->find(key);
    std::optional<LayerKind> kind = layer ? std::optional<LayerKind>(layer->kind)
                                          : parse_layer_kind(key);
    const SourcePos& key_pos = layer_key_pos_.at(key);
    if (!layer && (!kind || std::find(names.begin(), names.end(), key) == names.end())) {
      diagnostics.error(key_pos, who + "model '" + model_ + "' has no layer or layer type '" +
                                     key + "'" + did_you_mean(key, names));
      continue;
    }
    const auto allowed = precision_roles(*kind);
    for (const auto& [role, spec] : roles) {
      if (std::find(allowed.begin(), allowed.end(), role) == allowed.end()) {
        diagnostics.error(key_pos, who + "layers." + key + ": a " + layer_kind_name(*kind) +
                                       " layer has no " + role + " precision" +
                                       (allowed.empty() ? std::string(" (it has none)")
                                                        : " (it has: " + join(allowed, ", ") +
                                                              ")"));
      }
    }
  }
}

void QuantizeStage::run(StageContext& context) {
  const Dataset& dataset = context.state().dataset();
  Graph graph = context.state().models.at(model_);
  const auto normalization = TargetNormalization::from(graph);
  if (!normalization) {
    throw Error("stage 'quantize': model '" + model_ + "' carries no target normalization; "
                "train it first");
  }
  const bool classification = fine_tune_.is_classification();
  const BatchSource source(dataset.inputs, *normalization);
  const auto figures = [&](const BatchPredictor& predictor) {
    return evaluate_figures(predictor, dataset, *normalization, dataset.split.test, true,
                            classification);
  };

  std::vector<std::pair<std::string, std::string>> folded;
  if (fold_batch_norm_) folded = fold_batch_norms(graph);
  for (const auto& [layer, norm] : folded) {
    spdlog::info("folded batch norm '{}' into '{}'", norm, layer);
  }

  // Post-training quantization: calibrate on training events, resolve every precision.
  GraphModule float_module(graph);
  std::vector<std::size_t> calibration = dataset.split.train;
  if (calibration_events_ > 0 && calibration.size() > static_cast<std::size_t>(calibration_events_)) {
    calibration.resize(static_cast<std::size_t>(calibration_events_));
  }
  const ValueRanges ranges = calibrate(float_module, source, calibration);
  const ModelPrecision precision = resolve_precision(graph, request_, ranges);
  store_precision(graph, precision);
  const nlohmann::json float_figures = figures(torch_predictor(float_module));

  EngineStats ptq_stats;
  nlohmann::json ptq_figures;
  {
    const FixedEngine engine(graph, precision);
    ptq_figures = figures(engine_predictor(engine, &ptq_stats));
  }
  context.metrics() = {{"model", model_}, {"method", method_}};
  nlohmann::json& m = context.metrics();
  m["folded_batch_norms"] = nlohmann::json::array();
  for (const auto& [layer, norm] : folded) m["folded_batch_norms"].push_back({layer, norm});
  m["calibration_events"] = calibration.size();
  m["test_float"] = float_figures;
  m["test_ptq"] = ptq_figures;

  EngineStats stats = ptq_stats;
  nlohmann::json final_figures = ptq_figures;
  if (method_ == "qat") {
    const auto seed = static_cast<std::uint64_t>(context.settings().seed);
    torch::manual_seed(seed);
    GraphModule module(graph);
    module->set_fake_quant(precision);
    Trainer trainer(module, fine_tune_, seed);
    MaskHook masks;
    trainer.add_hook(&masks);
    const TrainData data = split_training_data(dataset, source, *normalization, classification,
                                               graph.input_shape);
    spdlog::info("quantization-aware training of '{}' for {} epochs", model_, fine_tune_.epochs);
    const auto result = trainer.fit(data, context.dir() / "checkpoint");
    result.write_history(context.dir() / "history.jsonl");
    module->store_weights(graph);
    stats = EngineStats{};
    const FixedEngine engine(graph, precision);
    final_figures = figures(engine_predictor(engine, &stats));
    m["test_qat"] = final_figures;
    m["qat_epochs_run"] = result.history.size();
  }
  m["test"] = final_figures;
  m["input"] = input_report(precision.input, stats);
  m["layers"] = layer_report(graph, precision, stats);
  m["weight_bits"] = total_weight_bits(graph, precision);
  spdlog::info("'{}' quantized:\n{}", model_, precision_table(graph, precision, stats));
  if (final_figures.contains("pt_spread")) {
    spdlog::info("'{}' pt_spread {:.3f} GeV float -> {:.3f} quantized (engine), plateau_eff "
                 "{:.4f} -> {:.4f}",
                 model_, float_figures.value("pt_spread", NAN),
                 final_figures.value("pt_spread", NAN), float_figures.value("plateau_eff", NAN),
                 final_figures.value("plateau_eff", NAN));
  }
  context.state().models[model_] = std::move(graph);
  std::filesystem::remove_all(context.dir() / "checkpoint");
}

}  // namespace hlslim
