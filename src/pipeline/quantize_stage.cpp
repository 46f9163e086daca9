#include "quantize_stage.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/fold_batch_norm.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/degradation.hpp"
#include "hlslim/train/quantize_options.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "quantize_report.hpp"
#include "stage_results.hpp"

namespace hlslim {

void QuantizeStage::declare(OptionTable& t) {
  t.add_string("model", model_, "", "Model to quantize (trained by an earlier stage).").required();
  t.add_enum("method", method_, QuantizeMethod::kPtq,
             {{"ptq", QuantizeMethod::kPtq}, {"qat", QuantizeMethod::kQat}},
             "'ptq': calibrate and quantize the trained weights; 'qat': then fine-tune with "
             "fake-quantized weights and activations (straight-through gradients).");
  quantize_.declare(t);
  learn_widths_.declare(t.add_group(
      "learn_widths",
      "Learned bit widths (HGQ-style) during quantization-aware training (method: qat), under "
      "a resource term or a LUT budget (docs/quantization.md, 'Learned bit widths')."));
  declare_degradation_warning(t, degradation_warning_);
  fine_tune_.declare(t.add_group("fine_tune",
                                 "Training options of quantization-aware "
                                 "fine-tuning (method: qat), as the train stage's."));
}

void QuantizeStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  fine_tune_.configure(values.group("fine_tune"), diagnostics);
  quantize_.configure(values, diagnostics, "stage 'quantize': ");
  quantize_.set_quantization_aware(method_ == QuantizeMethod::kQat);
  learn_widths_.configure(values.group("learn_widths"), diagnostics, "stage 'quantize': ");
  if (learn_widths_.enabled() && method_ != QuantizeMethod::kQat) {
    diagnostics.error(learn_widths_.enabled_pos(),
                      "stage 'quantize': learn_widths needs method: qat (the widths are learned "
                      "while the model trains)");
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
  if (const Graph* graph = sketch.config->model(model_)) {
    quantize_.check_model(*graph, model_, pos, diagnostics, who);
    learn_widths_.check_model(*graph, model_, pos, diagnostics, who);
    // The fine-tuning's task checks, as the other stages that train run them: only
    // quantization-aware training trains with these options.
    Graph shaped = *graph;
    if (shaped.input_shape.empty()) shaped.input_shape = sketch.models.at(model_).input_shape;
    if (method_ == QuantizeMethod::kQat && !shaped.input_shape.empty()) {
      check_training_task(shaped, model_, sketch.data->targets, fine_tune_,
                          sketch.models.at(model_).loss, pos, who + "fine_tune: ", diagnostics);
    }
  }
  PipelineSketch::Model& model = sketch.models.at(model_);
  model.quantized = true;
  // New precisions: learned under a budget, or not learned.
  model.width_budget = {};
  if (learn_widths_.enabled() && learn_widths_.budget_lut() > 0) {
    model.width_budget = {learn_widths_.budget_multiplication(), "quantize"};
  }
}

void QuantizeStage::run(StageContext& context) {
  const Dataset& dataset = context.state().dataset();
  Graph graph = context.state().models.at(model_);
  const auto normalization = TargetNormalization::from(graph);
  if (!normalization) {
    throw Error("stage 'quantize': model '" + model_ +
                "' carries no target normalization; "
                "train it first");
  }
  const bool classification = fine_tune_.is_classification();
  const BatchSource source(dataset.inputs, *normalization);
  const auto figures = [&](const BatchPredictor& predictor,
                           TestPredictions* predictions = nullptr) {
    return evaluate_figures(predictor, dataset, *normalization, dataset.split.test, true,
                            classification, 4096, predictions);
  };
  const TrainData data = split_training_data(dataset, source, *normalization, classification,
                                             graph.input_shape, fine_tune_.monitor);

  std::vector<std::pair<std::string, std::string>> folded;
  if (quantize_.fold_batch_norm()) folded = fold_batch_norms(graph);
  for (const auto& [layer, norm] : folded) {
    spdlog::info("folded batch norm '{}' into '{}'", norm, layer);
  }

  // Post-training quantization: calibrate on training events, resolve every precision.
  ModelPrecision precision = quantize_.calibrate(graph, source, dataset.split.train);
  const BatchPredictor float_model = float_predictor(graph);
  store_precision(graph, precision);
  const nlohmann::json float_figures = figures(float_model);
  const auto validation_float = data.validation_figures(float_model);

  TestPredictions predictions;  // of the final model
  EngineStats ptq_stats;
  nlohmann::json ptq_figures;
  {
    const FixedEngine engine(graph, precision);
    ptq_figures = figures(engine_predictor(engine, &ptq_stats), &predictions);
  }
  context.metrics() = {{"model", model_},
                       {"method", method_ == QuantizeMethod::kQat ? "qat" : "ptq"}};
  nlohmann::json& m = context.metrics();
  m["folded_batch_norms"] = nlohmann::json::array();
  for (const auto& [layer, norm] : folded) m["folded_batch_norms"].push_back({layer, norm});
  m["test_float"] = float_figures;
  m["test_ptq"] = ptq_figures;

  EngineStats stats = ptq_stats;
  nlohmann::json final_figures = ptq_figures;
  if (method_ == QuantizeMethod::kQat) {
    const auto seed = static_cast<std::uint64_t>(context.settings().seed);
    const auto masks = make_mask_hook();
    spdlog::info("quantization-aware training of '{}' for {} epochs", model_, fine_tune_.epochs);
    const std::optional<ModelPrecision> calibrated = precision;
    std::unique_ptr<WidthLearning> widths;
    std::vector<TrainHook*> hooks{masks.get()};
    if (learn_widths_.enabled()) {
      widths = make_width_learning(learn_widths_, quantize_.request(), &calibrated);
      hooks.push_back(widths->hook());
    }
    const auto result =
        train_graph(graph, fine_tune_, seed, data, context.dir() / "checkpoint", hooks, precision);
    result.write_history(context.dir() / "history.jsonl");
    if (widths) {
      precision = widths->finish(result, graph);
      store_precision(graph, precision);
      m["learned_widths"] = widths->report();
      spdlog::info("'{}' learned widths:\n{}", model_, widths->table());
    }
    const auto validation_qat = saved_validation_figures(graph, data, true);
    check_selected_epoch(result, validation_qat, "");
    m["validation_qat"] = validation_qat;
    m["selected_epoch"] = result.selected().epoch;
    stats = EngineStats{};
    const FixedEngine engine(graph, precision);
    final_figures = figures(engine_predictor(engine, &stats), &predictions);
    m["test_qat"] = final_figures;
    m["qat_epochs_run"] = result.history.size();
  }
  m["test"] = final_figures;
  // The guard judges what the firmware computes: the fixed-point engine on validation events.
  std::map<std::string, double> validation;
  {
    const FixedEngine engine(graph, precision);
    validation = data.validation_figures(engine_predictor(engine));
  }
  m["validation_float"] = validation_float;
  m["validation"] = validation;
  if (const auto degradation =
          compare_figures(validation_float, validation, fine_tune_.monitor, degradation_warning_)) {
    log_degradation(*degradation, "quantizing '" + model_ + "'");
    m["degradation"] = degradation->to_json();
    context.results().degradation = degradation_result(model_, *degradation);
  }
  context.results().evaluations.push_back(with_predictions(
      make_evaluation(model_, ModelRole::kModel, true, final_figures), predictions, context.dir()));
  context.results().sizes.push_back(model_size(model_, graph));
  context.results().overflows.push_back(overflow_counts(model_, graph, stats));
  m["input"] = input_report(precision.input, stats);
  m["layers"] = layer_report(graph, precision, stats);
  m["weight_bits"] = total_weight_bits(graph, precision);
  spdlog::info("'{}' quantized:\n{}", model_, precision_table(graph, precision, stats));
  if (final_figures.contains("pt_spread")) {
    spdlog::info(
        "'{}' pt_spread {:.3f} GeV float -> {:.3f} quantized (engine), plateau_eff "
        "{:.4f} -> {:.4f}",
        model_, float_figures.value("pt_spread", NAN), final_figures.value("pt_spread", NAN),
        float_figures.value("plateau_eff", NAN), final_figures.value("plateau_eff", NAN));
  }
  context.state().models[model_] = std::move(graph);
  std::filesystem::remove_all(context.dir() / "checkpoint");
}

}  // namespace hlslim
