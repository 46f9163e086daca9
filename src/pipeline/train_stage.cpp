#include "train_stage.hpp"

#include <spdlog/spdlog.h>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"
#include "stage_results.hpp"

namespace hlslim {

void TrainStage::declare(OptionTable& t) {
  t.add_string("model", model_, "", "Model to train (a name under `models:`).").required();
  train_.declare(t);
}

void TrainStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  train_.configure(values, diagnostics);
}

void TrainStage::check(PipelineSketch& sketch, const SourcePos& pos,
                       Diagnostics& diagnostics) const {
  const PipelineConfig& config = *sketch.config;
  const std::string who = "stage 'train': ";
  const Graph* graph = config.model(model_);
  if (!graph) {
    std::vector<std::string> defined;
    for (const auto& g : config.models) defined.push_back(g.name);
    diagnostics.error(pos, who + "no model named '" + model_ + "'" + did_you_mean(model_, defined) +
                               (defined.empty() ? "" : "; defined: " + join(defined, ", ")));
    return;
  }
  // Training keeps a model's precisions (a quantized model is trained further as it is).
  const bool quantized = sketch.models.count(model_) && sketch.models.at(model_).quantized;
  if (!sketch.data) {
    diagnostics.error(pos, who + "needs a dataset: put a 'data' stage before it");
    return;
  }
  const auto& data = *sketch.data;
  Shape input =
      sketch.models.count(model_) ? sketch.models.at(model_).input_shape : graph->input_shape;
  if (input.empty()) input = data.input_shape;
  if (data.input_shape.empty() || input.empty()) {
    set_trained(sketch, input, quantized);
    return;  // the data stage reported why its shape is unknown
  }
  if (input != data.input_shape) {
    diagnostics.error(pos, who + "model '" + model_ + "' takes input " + shape_str(input) +
                               " but the data provides " + shape_str(data.input_shape));
    return;
  }
  Graph shaped = *graph;
  shaped.input_shape = input;
  check_training_task(shaped, model_, data.targets, train_, "", pos, who, diagnostics);
  Shape output;
  try {
    output = shaped.output_shape();
  } catch (const Error&) {
    return;  // reported above
  }
  const std::int64_t outputs = output.size() == 1 ? output[0] : -1;
  if (!train_.loss_weights.empty() &&
      static_cast<std::int64_t>(train_.loss_weights.size()) != outputs) {
    diagnostics.error(pos, who + "'loss_weights' has " +
                               std::to_string(train_.loss_weights.size()) +
                               " entries for a model with " + std::to_string(outputs) + " outputs");
  }
  set_trained(sketch, input, quantized);
}

void TrainStage::set_trained(PipelineSketch& sketch, const Shape& input, bool quantized) const {
  PipelineSketch::Model model(input, true, quantized, enum_name(loss_names(), train_.loss));
  // A quantized model keeps its precisions, and with them what its widths were learned for.
  if (quantized && sketch.models.count(model_)) {
    model.width_budget = sketch.models.at(model_).width_budget;
  }
  sketch.models[model_] = model;
}

void TrainStage::run(StageContext& context) {
  const Dataset& dataset = context.state().dataset();
  const auto seed = static_cast<std::uint64_t>(context.settings().seed);
  auto& models = context.state().models;
  Graph graph;
  if (models.count(model_)) {
    graph = models.at(model_);
  } else {
    graph = *context.config().model(model_);
    if (graph.input_shape.empty()) graph.input_shape = dataset.input_shape();
  }
  const bool classification = train_.is_classification();
  // An imported model goes on from the file's weights, which predict the targets in their own
  // units (or class logits): it keeps the normalization its build stage gave it.
  std::optional<TargetNormalization> imported;
  if (models.count(model_) && context.config().import_of(model_)) {
    imported = TargetNormalization::from(graph);
    if (imported && imported->names != dataset.task.targets) imported.reset();
  }
  const auto normalization =
      imported ? *imported
      : train_.loss == Loss::kCe
          ? TargetNormalization::for_classes(dataset.task.targets, graph.output_shape().at(0))
          : TargetNormalization::fit(dataset.inputs, dataset.task.targets, dataset.split.train,
                                     !classification);
  const BatchSource source(dataset.inputs, normalization);

  const TrainData data = split_training_data(dataset, source, normalization, classification,
                                             graph.input_shape, train_.monitor);

  spdlog::info("training '{}' ({} parameters) on {} samples, validating on {}", model_,
               graph.totals().parameters, data.train.size(), data.validation.size());
  const auto result = train_graph(graph, train_, seed, data, context.dir() / "checkpoint");
  result.write_history(context.dir() / "history.jsonl");
  normalization.store(graph);
  const auto validation = saved_validation_figures(graph, data, false);
  check_selected_epoch(result, validation, "");
  TestPredictions predictions;
  const auto test = evaluate_figures(float_predictor(graph), dataset, normalization,
                                     dataset.split.test, true, classification, 4096, &predictions);
  const LayerSummary totals = graph.totals();
  context.metrics() = {{"model", model_},
                       {"parameters", totals.parameters},
                       {"macs", totals.macs},
                       {"epochs_run", result.history.size()},
                       {"best_epoch", result.best_epoch},
                       {"monitor", train_.monitor},
                       {"best_value", result.best_value},
                       {"selected_epoch", result.selected().epoch},
                       {"validation", validation},
                       {"stopped_early", result.stopped_early},
                       {"test", test}};
  context.results().evaluations.push_back(with_predictions(
      make_evaluation(model_, ModelRole::kModel, false, test), predictions, context.dir()));
  context.results().sizes.push_back(model_size(model_, graph));
  context.timings() = {{"train_seconds", result.seconds},
                       {"samples_per_second", result.samples_per_second}};
  if (normalization.classes > 0) {
    const auto number = [&test](const char* key) {
      return test.contains(key) && test[key].is_number() ? test[key].get<double>() : NAN;
    };
    spdlog::info("'{}' on the test set: accuracy {:.4f}, macro roc_auc {:.4f}", model_,
                 number("accuracy"), number("roc_auc"));
  }
  if (test.contains("pt_spread")) {
    spdlog::info("'{}' on the test set: pt_spread {:.3f} GeV, plateau_eff {:.4f}, fake_rate {:.5f}",
                 model_, test.value("pt_spread", NAN), test.value("plateau_eff", NAN),
                 test.value("fake_rate", NAN));
  }
  models[model_] = std::move(graph);
  std::filesystem::remove_all(context.dir() / "checkpoint");
}

}  // namespace hlslim
