#include "hlslim/stages/prune_stage.hpp"

#include <spdlog/spdlog.h>

#include "hlslim/config/pipeline_config.hpp"
#include "hlslim/prune/masks.hpp"
#include "hlslim/prune/structured.hpp"
#include "hlslim/stages/dataset.hpp"
#include "hlslim/train/trainer.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

// Raises the masks to the scheduled level every `frequency` steps and keeps pruned weights
// (and the biases of pruned units) at exactly zero after every optimizer step.
class PruningHook : public TrainHook {
 public:
  PruningHook(Graph scratch, std::function<double(std::int64_t)> schedule,
              std::function<void(Graph&, double)> prune, std::int64_t frequency, double first)
      : scratch_(std::move(scratch)),
        schedule_(std::move(schedule)),
        prune_(std::move(prune)),
        frequency_(frequency),
        current_(first) {}

  // A resumed training continues from the masks of the last update before the interruption;
  // knowing their level avoids recomputing them when the schedule has not moved since.
  void on_train_begin(Trainer& trainer) override {
    const std::int64_t last = trainer.global_step() / frequency_ * frequency_;
    if (last > 0) current_ = schedule_(last);
  }

  void after_step(Trainer& trainer) override {
    const std::int64_t step = trainer.global_step();
    if (step % frequency_ == 0) {
      const double target = schedule_(step);
      if (target != current_) {
        trainer.module()->store_weights(scratch_);
        prune_(scratch_, target);
        trainer.module()->load_weights(scratch_);
        current_ = target;
      }
    }
    trainer.module()->apply_masks();
  }

 private:
  Graph scratch_;
  std::function<double(std::int64_t)> schedule_;
  std::function<void(Graph&, double)> prune_;
  std::int64_t frequency_;
  double current_;
};

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
  t.add_choice("method", method_, "magnitude", {"magnitude", "structured"},
               "'magnitude': mask single weights of smallest magnitude; 'structured': mask whole "
               "neurons (dense) and filters (conv) of smallest norm and remove them at the end, "
               "with the inputs they fed, so that the layers become smaller.");
  t.add_choice("criterion", criterion_, "l2", {"l1", "l2"},
               "Method 'structured': the norm of a unit's weights that ranks the units.");
  t.add_float("sparsity", sparsity_, 0.5,
              "Final fraction of weights (method 'magnitude') or of each layer's units (method "
              "'structured') to remove.")
      .min(0)
      .max(0.99);
  t.add_choice("scope", scope_, "layer", {"layer", "global"},
               "'layer': every layer reaches its own target; 'global': one magnitude threshold "
               "across the pruned layers, reaching `sparsity` over all of them (method "
               "'magnitude' only).");
  t.add_yaml("layers", layers_,
             "Per-layer targets by layer name or type (name wins), a fraction or 'exclude': "
             "{out: exclude, conv1d: 0.3}. Other dense/conv layers use `sparsity`.");
  t.add_choice("schedule", schedule_, "polynomial", {"one_shot", "constant", "polynomial"},
               "'one_shot': prune once before fine-tuning; 'constant': re-prune to `sparsity` "
               "every `frequency` steps; 'polynomial': from `initial_sparsity` at `begin_step` to "
               "`sparsity` at `end_step`, (1 - progress)^`power`.");
  t.add_float("initial_sparsity", initial_sparsity_, 0.0, "Polynomial schedule: starting sparsity.")
      .min(0)
      .max(0.99);
  t.add_int("begin_step", begin_step_, 0, "Step at which pruning starts.").min(0);
  t.add_int("end_step", end_step_, -1,
            "Polynomial schedule: step at which `sparsity` is reached; -1: two thirds of "
            "fine-tuning.")
      .min(-1);
  t.add_int("frequency", frequency_, 100, "Steps between mask updates.").min(1);
  t.add_float("power", power_, 3.0, "Polynomial schedule exponent.").greater_than(0);
  fine_tune_.declare(
      t.add_group("fine_tune", "Training options of the fine-tuning (as the train stage's)."));
}

void PruneStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  fine_tune_.configure(values.group("fine_tune"), diagnostics);
  if (scope_ == "global" && method_ == "structured") {
    diagnostics.error(values.pos("scope"),
                      "scope 'global' does not apply to method 'structured': every layer "
                      "removes its own fraction of units; use scope 'layer'");
  }
  layers_pos_ = values.pos("layers");
  if (!layers_.IsMap()) {
    diagnostics.error(layers_pos_,
                      "'layers' must map layer names or types to a fraction or 'exclude'");
    return;
  }
  for (const auto& item : layers_) {
    double fraction = 0;
    const bool excluded = item.second.IsScalar() && item.second.Scalar() == "exclude";
    if (!excluded &&
        (!item.second.IsScalar() || !YAML::convert<double>::decode(item.second, fraction) ||
         fraction < 0 || fraction > 0.99)) {
      diagnostics.error(layers_pos_, "target of layer '" + item.first.Scalar() +
                                         "' must be a fraction from 0 to 0.99 or 'exclude', "
                                         "got " +
                                         describe_node(item.second));
    }
  }
  if (scope_ == "global") {
    for (const auto& item : layers_) {
      if (!(item.second.IsScalar() && item.second.Scalar() == "exclude")) {
        diagnostics.error(layers_pos_,
                          "scope 'global' takes only 'exclude' in 'layers' (one "
                          "threshold for all); got a target for '" +
                              item.first.Scalar() + "'");
      }
    }
  }
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
  const Graph* graph = sketch.config->model(model_);
  if (!graph) return;
  std::vector<std::string> names;
  for (const auto& layer : graph->layers) names.push_back(layer.name);
  names.insert(names.end(), {"dense", "conv1d", "conv2d"});
  if (layers_.IsMap()) {
    for (const auto& item : layers_) {
      const std::string key = item.first.Scalar();
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        diagnostics.error(layers_pos_, "stage 'prune': model '" + model_ +
                                           "' has no layer or prunable type '" + key + "'" +
                                           did_you_mean(key, names));
      }
    }
  }
  if (method_ != "structured" || !layers_.IsMap()) return;
  // An explicit structured target on a layer whose units cannot be removed is an error; type
  // and model targets simply pass over such layers (targets()).
  for (std::size_t i = 0; i < graph->layers.size(); ++i) {
    const Layer& layer = graph->layers[i];
    const YAML::Node target = layers_[layer.name];
    if (!target || !is_prunable(layer) || (target.IsScalar() && target.Scalar() == "exclude"))
      continue;
    const std::string blocker = removal_blocker(*graph, i);
    if (!blocker.empty()) {
      diagnostics.error(layers_pos_, "stage 'prune': cannot remove units of layer '" + layer.name +
                                         "' (" + layer_kind_name(layer.kind) + ") of model '" +
                                         model_ + "': " + blocker +
                                         "; exclude it or use method 'magnitude'");
    }
  }
}

std::map<std::string, double> PruneStage::targets(const Graph& graph) const {
  std::map<std::string, double> out;
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& layer = graph.layers[i];
    if (!is_prunable(layer)) continue;
    if (method_ == "structured" && !removal_blocker(graph, i).empty()) continue;
    double fraction = sparsity_;
    bool excluded = false;
    for (const std::string& key : {std::string(layer_kind_name(layer.kind)), layer.name}) {
      if (!layers_.IsMap() || !layers_[key]) continue;
      excluded = layers_[key].Scalar() == "exclude";
      if (!excluded) fraction = layers_[key].as<double>();
    }
    if (!excluded) out[layer.name] = fraction;
  }
  return out;
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

  nlohmann::json before_layers = layer_report(graph);
  const LayerSummary before_totals = graph.totals();
  const auto figures = [&](GraphModule& module) {
    return evaluate_figures(torch_predictor(module), dataset, normalization, dataset.split.test,
                            true, classification);
  };
  nlohmann::json before_figures;
  {
    GraphModule module(graph);
    before_figures = figures(module);
  }

  // Scale a target map to the scheduled overall level: each layer keeps its ratio to `sparsity`
  // (and reaches its own target exactly at the final level).
  const auto layer_targets = targets(graph);
  const bool global = scope_ == "global";
  const bool structured = method_ == "structured";
  const UnitNorm norm = parse_unit_norm(criterion_).value_or(UnitNorm::kL2);
  auto targets_at = [&](double level) {
    std::map<std::string, double> out;
    for (const auto& [name, fraction] : layer_targets) {
      out[name] = level == sparsity_ ? fraction
                  : sparsity_ > 0    ? fraction * level / sparsity_
                                     : 0.0;
    }
    return out;
  };
  auto prune = [&](Graph& g, double level) {
    if (structured) {
      apply_structured_masks(g, targets_at(level), norm);
    } else {
      apply_magnitude_masks(g, targets_at(level), global);
    }
  };
  const std::int64_t steps_per_epoch =
      (static_cast<std::int64_t>(dataset.split.train.size()) + fine_tune_.batch_size - 1) /
      fine_tune_.batch_size;
  const std::int64_t total_steps = steps_per_epoch * fine_tune_.epochs;
  const std::int64_t end = end_step_ >= 0 ? end_step_ : total_steps * 2 / 3;
  std::function<double(std::int64_t)> schedule;
  if (schedule_ == "polynomial") {
    schedule = [=](std::int64_t step) {
      if (step < begin_step_) return 0.0;
      return polynomial_sparsity(initial_sparsity_, sparsity_, begin_step_, end, power_, step);
    };
  } else {
    schedule = [=](std::int64_t step) { return step < begin_step_ ? 0.0 : sparsity_; };
  }

  // Masks exist from the start (all ones until the schedule prunes), so the module has them
  // and its checkpoints hold them.
  const double first = schedule_ == "polynomial" ? 0.0 : schedule(0);
  prune(graph, first);
  torch::manual_seed(seed);
  GraphModule module(graph);
  Trainer trainer(module, fine_tune_, seed);
  PruningHook hook(graph,
                   schedule_ == "one_shot" ? std::function<double(std::int64_t)>(
                                                 [first](std::int64_t) { return first; })
                                           : schedule,
                   prune, frequency_, first);
  trainer.add_hook(&hook);
  const TrainData data =
      split_training_data(dataset, source, normalization, classification, graph.input_shape);
  if (structured) {
    spdlog::info(
        "pruning units of '{}' to fraction {} ({} norm, {} schedule) over {} "
        "fine-tuning steps",
        model_, sparsity_, criterion_, schedule_, total_steps);
  } else {
    spdlog::info("pruning '{}' to sparsity {} ({} schedule, {} scope) over {} fine-tuning steps",
                 model_, sparsity_, schedule_, scope_, total_steps);
  }
  const auto result = trainer.fit(data, context.dir() / "checkpoint");
  // The best epoch may come before the schedule ended: enforce the final masks on it, so the
  // model leaving this stage has the sparsity it was asked for.
  module->store_weights(graph);
  prune(graph, sparsity_);
  nlohmann::json after_figures;
  nlohmann::json units;
  if (structured) {
    // The masked units output exactly zero, so removing them keeps the model's function.
    for (const auto& removed : remove_pruned_units(graph)) {
      spdlog::info("'{}': {} of {} units removed, with their inputs to '{}'", removed.layer,
                   removed.removed.size(), removed.units_before, removed.consumer);
    }
    units = units_report(incoming, graph);
    GraphModule smaller(graph);
    after_figures = figures(smaller);
  } else {
    module->load_weights(graph);
    after_figures = figures(module);
  }
  normalization.store(graph);

  result.write_history(context.dir() / "history.jsonl");
  const LayerSummary after_totals = graph.totals();
  context.metrics() = {{"model", model_},
                       {"method", method_},
                       {"sparsity", sparsity_},
                       {"parameters_before", before_totals.parameters},
                       {"parameters", after_totals.parameters},
                       {"nonzero_parameters_before", before_totals.nonzero_parameters},
                       {"nonzero_parameters", after_totals.nonzero_parameters},
                       {"macs_before", before_totals.macs},
                       {"macs", after_totals.macs},
                       {"layers_before", before_layers},
                       {"layers", layer_report(graph)},
                       {"test_before", before_figures},
                       {"test", after_figures}};
  if (structured) {
    context.metrics()["criterion"] = criterion_;
    context.metrics()["units"] = units;
  }
  if (after_figures.contains("pt_spread")) {
    spdlog::info("'{}' pruned: {} of {} weights left; pt_spread {:.3f} -> {:.3f} GeV", model_,
                 after_totals.nonzero_parameters, after_totals.parameters,
                 before_figures.value("pt_spread", NAN), after_figures.value("pt_spread", NAN));
  }
  context.state().models[model_] = std::move(graph);
  std::filesystem::remove_all(context.dir() / "checkpoint");
}

}  // namespace hlslim
