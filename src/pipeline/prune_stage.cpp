#include "prune_stage.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/prune/masks.hpp"
#include "hlslim/prune/structured.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/degradation.hpp"
#include "hlslim/train/prune_options.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"
#include "stage_results.hpp"

namespace hlslim {
namespace {

// Removing pruned units changes the order in which the smaller layers sum their products (and
// folds the constant outputs of removed units into the next bias): the outputs may move by
// rounding, no more than this relative to the largest output, or the log warns.
constexpr double kUnitRemovalTolerance = 1e-4;

// A figure of a figures object; NaN when absent or null.
double number_or_nan(const nlohmann::json& figures, const char* key) {
  const auto it = figures.find(key);
  return it != figures.end() && it->is_number() ? it->get<double>() : NAN;
}

nlohmann::json layer_report(const Graph& graph) {
  nlohmann::json layers = nlohmann::json::array();
  const auto rows = graph.summary();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!is_prunable(graph.layers[i])) continue;
    layers.push_back({{"name", rows[i].name},
                      {"type", rows[i].type},
                      {"parameters", rows[i].parameters},
                      {"nonzero_parameters", rows[i].nonzero_parameters},
                      {"macs", rows[i].macs},
                      {"weight_sparsity", weight_sparsity(graph.layers[i])}});
  }
  return layers;
}

// Per dense and convolution layer: units, parameters and multiplies before and after the
// structured pruning removed units (a layer loses parameters also when only its inputs go).
nlohmann::json units_report(const Graph& before, const Graph& after) {
  nlohmann::json layers = nlohmann::json::array();
  const auto rows_before = before.summary();
  const auto rows_after = after.summary();
  for (std::size_t i = 0; i < rows_before.size(); ++i) {
    if (!is_prunable(before.layers[i])) continue;
    layers.push_back({{"name", rows_before[i].name},
                      {"type", rows_before[i].type},
                      {"units_before", unit_count(before.layers[i])},
                      {"units_after", unit_count(after.layers[i])},
                      {"parameters_before", rows_before[i].parameters},
                      {"parameters_after", rows_after[i].parameters},
                      {"macs_before", rows_before[i].macs},
                      {"macs_after", rows_after[i].macs}});
  }
  return layers;
}

}  // namespace

void PruneStage::declare(OptionTable& t) {
  t.add_string("model", model_, "", "Model to prune (trained by an earlier stage).").required();
  prune_.declare(t);
  declare_degradation_warning(t, degradation_warning_);
  fine_tune_.declare(
      t.add_group("fine_tune", "Training options of the fine-tuning (as the train stage's)."));
}

void PruneStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  fine_tune_.configure(values.group("fine_tune"), diagnostics);
  prune_.configure(values, diagnostics, "");
}

void PruneStage::check(PipelineSketch& sketch, const SourcePos& pos,
                       Diagnostics& diagnostics) const {
  if (!sketch.data) {
    diagnostics.error(pos, "stage 'prune' needs a dataset: put a 'data' stage before it");
    return;
  }
  if (!sketch.models.count(model_)) {
    diagnostics.error(
        pos, "stage 'prune': model '" + model_ + "' is not built or trained by an earlier stage");
    return;
  }
  if (const Graph* graph = sketch.config->model(model_)) {
    prune_.check_model(*graph, model_, diagnostics, "stage 'prune': ");
    Graph shaped = *graph;
    if (shaped.input_shape.empty()) shaped.input_shape = sketch.models.at(model_).input_shape;
    if (!shaped.input_shape.empty()) {
      check_training_task(shaped, model_, sketch.data->targets, fine_tune_,
                          sketch.models.at(model_).loss, pos,
                          "stage 'prune': fine_tune: ", diagnostics);
    }
  }
}

void PruneStage::run(StageContext& context) {
  const Dataset& dataset = context.state().dataset();
  Graph graph = context.state().models.at(model_);
  const Graph incoming = graph;
  const bool classification = fine_tune_.is_classification();
  const auto normalization = TargetNormalization::from(graph).value_or(TargetNormalization::fit(
      dataset.inputs, dataset.task.targets, dataset.split.train, !classification));
  const BatchSource source(dataset.inputs, normalization);
  const auto seed = static_cast<std::uint64_t>(context.settings().seed);
  const TrainData data = split_training_data(dataset, source, normalization, classification,
                                             graph.input_shape, fine_tune_.monitor);

  nlohmann::json before_layers = layer_report(graph);
  const LayerSummary before_totals = graph.totals();
  const auto figures = [&](const Graph& model, TestPredictions* predictions = nullptr) {
    return evaluate_figures(float_predictor(model), dataset, normalization, dataset.split.test,
                            true, classification, 4096, predictions);
  };
  const nlohmann::json before_figures = figures(graph);
  // The fine-tuning trains and validates in float.
  const auto validation_before = saved_validation_figures(graph, data, false);

  const bool structured = prune_.structured();
  const std::int64_t steps_per_epoch =
      (static_cast<std::int64_t>(dataset.split.train.size()) + fine_tune_.batch_size - 1) /
      fine_tune_.batch_size;
  const std::int64_t total_steps = steps_per_epoch * fine_tune_.epochs;
  const auto hook = prune_.start(graph, total_steps, steps_per_epoch, "");
  if (structured) {
    spdlog::info(
        "pruning units of '{}' to fraction {} ({} norm, {} schedule) over {} "
        "fine-tuning steps, final from step {}",
        model_, prune_.sparsity(), enum_name(unit_norm_names(), prune_.criterion()),
        enum_name(prune_schedule_names(), prune_.schedule()), total_steps,
        prune_.final_step(total_steps));
  } else {
    spdlog::info(
        "pruning '{}' to sparsity {} ({} schedule, {} scope) over {} fine-tuning "
        "steps, final from step {}",
        model_, prune_.sparsity(), enum_name(prune_schedule_names(), prune_.schedule()),
        enum_name(prune_scope_names(), prune_.scope()), total_steps,
        prune_.final_step(total_steps));
  }
  const auto result =
      train_graph(graph, fine_tune_, seed, data, context.dir() / "checkpoint", {hook.get()});
  result.write_history(context.dir() / "history.jsonl");
  // Only epochs that ended at the final sparsity were selectable, so the selected weights
  // already have the final masks; the saved model must validate as that epoch did.
  prune_.finish(graph);
  const auto validation_after = saved_validation_figures(graph, data, false);
  check_selected_epoch(result, validation_after, "");
  nlohmann::json units;
  double removal_change = 0;
  if (structured) {
    // The masked units output exactly zero (or a constant folded into the next bias), so
    // removing them keeps the model's function up to rounding.
    const Graph masked = graph;
    for (const auto& removed : remove_pruned_units(graph)) {
      spdlog::info("'{}': {} of {} units removed, with their inputs to '{}'", removed.layer,
                   removed.removed.size(), removed.units_before, removed.consumer);
    }
    units = units_report(incoming, graph);
    removal_change = relative_output_difference(masked, graph, data, false);
    log_unit_removal(removal_change, kUnitRemovalTolerance);
  }
  TestPredictions predictions;
  const nlohmann::json after_figures = figures(graph, &predictions);
  normalization.store(graph);

  const LayerSummary after_totals = graph.totals();
  context.metrics() = {{"model", model_},
                       {"method", enum_name(prune_method_names(), prune_.method())},
                       {"sparsity", prune_.sparsity()},
                       {"parameters_before", before_totals.parameters},
                       {"parameters", after_totals.parameters},
                       {"nonzero_parameters_before", before_totals.nonzero_parameters},
                       {"nonzero_parameters", after_totals.nonzero_parameters},
                       {"macs_before", before_totals.macs},
                       {"macs", after_totals.macs},
                       {"layers_before", before_layers},
                       {"layers", layer_report(graph)},
                       {"selected_epoch", result.selected().epoch},
                       {"final_step", prune_.final_step(total_steps)},
                       {"validation_before", validation_before},
                       {"validation", validation_after},
                       {"test_before", before_figures},
                       {"test", after_figures}};
  if (structured) {
    context.metrics()["criterion"] = enum_name(unit_norm_names(), prune_.criterion());
    context.metrics()["units"] = units;
    context.metrics()["unit_removal_output_change"] = removal_change;
  }
  if (const auto degradation = compare_figures(validation_before, validation_after,
                                               fine_tune_.monitor, degradation_warning_)) {
    log_degradation(*degradation, "pruning '" + model_ + "'");
    context.metrics()["degradation"] = degradation->to_json();
    context.results().degradation = degradation_result(model_, *degradation);
  }
  context.results().evaluations.push_back(
      with_predictions(make_evaluation(model_, ModelRole::kModel, false, after_figures),
                       predictions, context.dir()));
  context.results().sizes.push_back(model_size(model_, graph));
  if (normalization.classes > 0) {
    spdlog::info("'{}' pruned: {} of {} weights left; test accuracy {:.4f} -> {:.4f}", model_,
                 after_totals.nonzero_parameters, after_totals.parameters,
                 number_or_nan(before_figures, "accuracy"),
                 number_or_nan(after_figures, "accuracy"));
  }
  if (after_figures.contains("pt_spread")) {
    spdlog::info("'{}' pruned: {} of {} weights left; test pt_spread {:.3f} -> {:.3f} GeV", model_,
                 after_totals.nonzero_parameters, after_totals.parameters,
                 before_figures.value("pt_spread", NAN), after_figures.value("pt_spread", NAN));
  }
  context.state().models[model_] = std::move(graph);
  std::filesystem::remove_all(context.dir() / "checkpoint");
}

}  // namespace hlslim
