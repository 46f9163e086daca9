#include "distill_stage.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/softmax_head.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/prune/structured.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/degradation.hpp"
#include "hlslim/train/distillation.hpp"
#include "hlslim/train/pruning_hook.hpp"
#include "hlslim/train/quantize_hook.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"
#include "quantize_report.hpp"
#include "stage_results.hpp"

namespace hlslim {

struct DistillStage::Outcome {
  Graph model;
  nlohmann::json figures;
  nlohmann::json learned_widths;             ///< with quantize.learn_widths
  TestPredictions predictions;               ///< behind `figures`
  std::map<std::string, double> validation;  ///< the saved model on the validation set
  TrainResult result;
};

namespace {

// As in the prune stage: how far removing pruned units may move the outputs by rounding.
constexpr double kUnitRemovalTolerance = 1e-4;

std::size_t layer_index(const Graph& graph, const std::string& name) {
  for (std::size_t i = 0; i < graph.layers.size(); ++i) {
    if (graph.layers[i].name == name) return i;
  }
  throw Error("model '" + graph.name + "' has no layer '" + name + "'");
}

// Figures of merit of a model on the test set: from the fixed-point engine when it is
// quantized, from LibTorch otherwise.
nlohmann::json test_figures(const Graph& model, const Dataset& dataset, bool classification,
                            TestPredictions* predictions) {
  const auto normalization = TargetNormalization::from(model).value();
  nlohmann::json figures;
  if (has_precision(model)) {
    const FixedEngine engine(model);
    figures = evaluate_figures(engine_predictor(engine), dataset, normalization, dataset.split.test,
                               true, classification, 4096, predictions);
  } else {
    figures = evaluate_figures(torch_predictor(GraphModule(model)), dataset, normalization,
                               dataset.split.test, true, classification, 4096, predictions);
  }
  return figures;
}

// Sizes of a model, for the side-by-side comparison.
nlohmann::json model_sizes(const Graph& model) {
  const LayerSummary totals = model.totals();
  nlohmann::json out = {{"parameters", totals.parameters},
                        {"nonzero_parameters", totals.nonzero_parameters},
                        {"macs", totals.macs}};
  if (has_precision(model)) {
    const ModelPrecision precision = read_precision(model);
    int widest = 0;
    for (const auto& layer : precision.layers) {
      if (layer.weight) widest = std::max(widest, layer.weight->width);
    }
    out["weight_bits"] = widest;
    out["total_weight_bits"] = total_weight_bits(model, precision);
  } else {
    out["weight_bits"] = 32;
  }
  return out;
}

}  // namespace

void DistillStage::declare(OptionTable& t) {
  t.add_string("teacher", teacher_, "", "Trained model whose knowledge the student learns.")
      .required();
  t.add_string("student", student_, "", "Model to train (a name under `models:`).").required();
  t.add_float("alpha", alpha_, 0.5,
              "Weight of the loss against the truth; the teacher's term gets 1 - alpha (1: truth "
              "only, i.e. plain training).")
      .min(0)
      .max(1);
  t.add_float("temperature", temperature_, 4.0,
              "Classification: softmax temperature of the soft labels (their loss is scaled by "
              "T^2).")
      .greater_than(0);
  t.add_string_list("distill_loss", distill_losses_, {},
                    "Regression: loss against the teacher per output (mae, mse, huber); empty: "
                    "the training `loss` for every output.");
  t.add_yaml("hints", hints_node_,
             "Feature distillation: a list of {teacher: layer, student: layer, weight: w}; a "
             "learned linear adapter maps the student's layer onto the teacher's.");
  t.add_float("cache_mb", cache_mb_, 1024,
              "Memory for cached teacher hint features (outputs are always cached); beyond it "
              "they are recomputed per batch.")
      .min(0);
  t.add_bool("baseline", baseline_, true,
             "Also train the same student on the truth alone (same epochs, same compression), "
             "and report both.");
  train_.declare(t);
  OptionTable& p = t.add_group("prune",
                               "Pruning of the student while it trains, with the prune "
                               "stage's options (sparsity 0: none); epochs before the "
                               "final sparsity cannot become the result.");
  prune_.declare(p, /*default_sparsity=*/0.0);
  OptionTable& q = t.add_group("quantize",
                               "Quantization-aware training of the student, with "
                               "the quantize stage's options.");
  q.add_bool("enabled", quantize_enabled_, false, "Quantize the student while it trains.");
  q.add_int("float_epochs", float_epochs_, -1,
            "Epochs trained in float before quantization starts (-1: half of `epochs`).")
      .min(-1);
  quantize_.declare(q);
  learn_widths_.declare(q.add_group(
      "learn_widths",
      "Learned bit widths (HGQ-style) while the student trains quantized, under a resource term "
      "or a LUT budget (docs/quantization.md, 'Learned bit widths')."));
}

void DistillStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  const std::string who = "stage 'distill': ";
  train_.configure(values, diagnostics);
  quantize_.configure(values.group("quantize"), diagnostics, who + "quantize.");
  quantize_.set_quantization_aware(quantize_enabled_);
  prune_.configure(values.group("prune"), diagnostics, who + "prune.");
  learn_widths_.configure(values.group("quantize").group("learn_widths"), diagnostics,
                          who + "quantize.");
  if (learn_widths_.enabled() && !quantize_enabled_) {
    diagnostics.error(learn_widths_.enabled_pos(),
                      who +
                          "quantize.learn_widths needs quantize.enabled: true (the widths are "
                          "learned while the student trains quantized)");
  }
  if (quantize_enabled_ && float_epochs_ >= train_.epochs) {
    diagnostics.error(values.group("quantize").pos("float_epochs"),
                      who + "quantize.float_epochs (" + std::to_string(float_epochs_) +
                          ") must be below epochs (" + std::to_string(train_.epochs) +
                          "), or quantization never starts");
  }
  distill_loss_kinds_.clear();
  const EnumNames<Loss> regression{
      {"mae", Loss::kMae}, {"mse", Loss::kMse}, {"huber", Loss::kHuber}};
  for (const auto& loss : distill_losses_) {
    if (const auto kind = enum_value(regression, loss)) {
      distill_loss_kinds_.push_back(*kind);
    } else {
      diagnostics.error(values.pos("distill_loss"),
                        who + "distill_loss '" + loss + "' must be one of mae, mse, huber" +
                            did_you_mean(loss, {"mae", "mse", "huber"}));
    }
  }
  hints_pos_ = values.pos("hints");
  hints_.clear();
  if (hints_node_.IsMap() && hints_node_.size() == 0) return;  // absent
  if (!hints_node_.IsSequence()) {
    diagnostics.error(hints_pos_, who + "'hints' must be a list of {teacher, student, weight}");
    return;
  }
  for (const auto& item : hints_node_) {
    Hint hint;
    if (!item.IsMap() || !item["teacher"] || !item["student"]) {
      diagnostics.error(hints_pos_, who +
                                        "each hint needs 'teacher' and 'student' layer names, "
                                        "got " +
                                        describe_node(item));
      continue;
    }
    hint.teacher = item["teacher"].Scalar();
    hint.student = item["student"].Scalar();
    if (item["weight"] && !YAML::convert<double>::decode(item["weight"], hint.weight)) {
      diagnostics.error(hints_pos_, who + "hint weight must be a number");
    }
    hints_.push_back(hint);
  }
}

void DistillStage::check(PipelineSketch& sketch, const SourcePos& pos,
                         Diagnostics& diagnostics) const {
  const std::string who = "stage 'distill': ";
  const PipelineConfig& config = *sketch.config;
  if (!sketch.data) {
    diagnostics.error(pos, who + "needs a dataset: put a 'data' stage before it");
    return;
  }
  if (!sketch.models.count(teacher_) || !sketch.models.at(teacher_).trained) {
    diagnostics.error(pos, who + "teacher '" + teacher_ + "' is not trained by an earlier stage");
    return;
  }
  const Graph* student = config.model(student_);
  const Graph* teacher = config.model(teacher_);
  if (!student) {
    std::vector<std::string> defined;
    for (const auto& g : config.models) defined.push_back(g.name);
    diagnostics.error(pos,
                      who + "no model named '" + student_ + "'" + did_you_mean(student_, defined));
    return;
  }
  Graph shaped = *student;
  if (shaped.input_shape.empty()) shaped.input_shape = sketch.data->input_shape;
  if (!shaped.input_shape.empty()) {
    try {
      const Shape out = shaped.output_shape();
      const std::int64_t outputs = out.size() == 1 ? out[0] : -1;
      check_training_task(shaped, student_, sketch.data->targets, train_,
                          sketch.models.at(teacher_).loss, pos, who + "student: ", diagnostics);
      if (!distill_losses_.empty() &&
          static_cast<std::int64_t>(distill_losses_.size()) != outputs) {
        diagnostics.error(
            pos, who + "'distill_loss' has " + std::to_string(distill_losses_.size()) +
                     " entries for a student with " + std::to_string(outputs) + " outputs");
      }
    } catch (const Error& e) {
      diagnostics.error(pos, who + e.what());
    }
  }
  // The trailing softmax of either model is left out of training, so it computes nothing a
  // hint could read.
  const auto hint_on_softmax = [&](const Graph& graph, const std::string& layer,
                                   const std::string& role) {
    if (!ends_in_softmax(graph) || graph.layers.back().name != layer) return;
    diagnostics.error(hints_pos_, who + "hint on softmax layer '" + layer + "' of " + role + " '" +
                                      graph.name +
                                      "', which training and the firmware leave out; hint the "
                                      "layer before it ('" +
                                      graph.layers[graph.layers.size() - 2].name + "')");
  };
  for (const Hint& hint : hints_) {
    if (teacher) hint_on_softmax(*teacher, hint.teacher, "teacher");
    hint_on_softmax(*student, hint.student, "student");
    if (teacher && !teacher->find(hint.teacher)) {
      std::vector<std::string> names;
      for (const auto& l : teacher->layers) names.push_back(l.name);
      diagnostics.error(hints_pos_, who + "teacher '" + teacher_ + "' has no layer '" +
                                        hint.teacher + "'" + did_you_mean(hint.teacher, names));
    }
    if (!student->find(hint.student)) {
      std::vector<std::string> names;
      for (const auto& l : student->layers) names.push_back(l.name);
      diagnostics.error(hints_pos_, who + "student '" + student_ + "' has no layer '" +
                                        hint.student + "'" + did_you_mean(hint.student, names));
    }
  }
  if (quantize_enabled_) {
    quantize_.check_model(*student, student_, pos, diagnostics, who + "quantize.");
    learn_widths_.check_model(*student, student_, pos, diagnostics, who + "quantize.");
  }
  prune_.check_model(*student, student_, diagnostics, who + "prune.");
  const bool was_quantized = sketch.models.count(student_) && sketch.models.at(student_).quantized;
  const bool inherits_ce = train_.loss_defaulted && sketch.models.at(teacher_).loss == "ce";
  PipelineSketch::Model model(shaped.input_shape, true, quantize_enabled_ || was_quantized,
                              inherits_ce ? "ce" : enum_name(loss_names(), train_.loss));
  if (quantize_enabled_) {
    // New precisions: learned under a budget, or not learned.
    if (learn_widths_.enabled() && learn_widths_.budget_lut() > 0) {
      model.width_budget = {learn_widths_.budget_multiplication(), "distill"};
    }
  } else if (was_quantized) {
    model.width_budget = sketch.models.at(student_).width_budget;
  }
  sketch.models[student_] = model;
}

DistillStage::Outcome DistillStage::train_student(StageContext& context, const Graph& initial,
                                                  double alpha, const std::vector<Hint>& hints,
                                                  const std::string& label, TeacherCache* cache) {
  const Dataset& dataset = context.state().dataset();
  const Graph& teacher = context.state().models.at(teacher_);
  const auto normalization = TargetNormalization::from(teacher).value();
  const BatchSource source(dataset.inputs, normalization);
  const bool classification = train_.is_classification();
  const auto seed = static_cast<std::uint64_t>(context.settings().seed);

  Outcome out;
  out.model = initial;
  // Pruning masks go into the graph before the module is built, so the module has them.
  std::shared_ptr<TrainHook> pruning;
  if (prune_.active()) {
    if (!out.model.has_weights()) {  // initialised as the training below would
      torch::manual_seed(seed);
      GraphModule(out.model)->store_weights(out.model);
    }
    const std::int64_t steps_per_epoch =
        (static_cast<std::int64_t>(dataset.split.train.size()) + train_.batch_size - 1) /
        train_.batch_size;
    pruning = prune_.start(out.model, steps_per_epoch * train_.epochs, steps_per_epoch, "prune.");
  }
  // Same seed for every student: the distilled and the baseline student start identical.
  torch::manual_seed(seed);
  GraphModule module(out.model);
  Trainer trainer(module, train_, seed);

  std::unique_ptr<DistillationHook> distill;
  if (alpha < 1.0 || !hints.empty()) {
    DistillationSettings settings;
    settings.alpha = alpha;
    settings.temperature = temperature_;
    settings.classification = classification || normalization.classes > 0;
    settings.softmax = normalization.classes > 0;
    settings.losses = distill_loss_kinds_;
    if (settings.losses.empty()) {
      settings.losses.assign(normalization.names.size(), train_.loss);
    }
    settings.loss_weights = train_.loss_weights;
    settings.huber_delta = train_.huber_delta;
    std::vector<HintPair> pairs;
    std::vector<std::int64_t> student_sizes, teacher_sizes;
    const auto student_shapes = out.model.shapes();
    const auto teacher_shapes = teacher.shapes();
    for (const Hint& hint : hints) {
      HintPair pair{layer_index(teacher, hint.teacher), layer_index(out.model, hint.student),
                    hint.weight};
      student_sizes.push_back(shape_numel(student_shapes.at(pair.student_layer + 1)));
      teacher_sizes.push_back(shape_numel(teacher_shapes.at(pair.teacher_layer + 1)));
      pairs.push_back(pair);
    }
    distill =
        std::make_unique<DistillationHook>(*cache, settings, pairs, student_sizes, teacher_sizes);
    distill->attach(trainer);
    trainer.add_hook(distill.get());
  }
  MaskHook masks;
  trainer.add_hook(&masks);
  if (pruning) trainer.add_hook(pruning.get());
  std::unique_ptr<QuantizeDuringTraining> quantize;
  if (quantize_enabled_) {
    const std::int64_t float_epochs = float_epochs_ >= 0 ? float_epochs_ : train_.epochs / 2;
    quantize = std::make_unique<QuantizeDuringTraining>(quantize_, source, dataset.split.train,
                                                        float_epochs);
    trainer.add_hook(quantize.get());
  }
  std::unique_ptr<WidthLearning> widths;
  if (quantize && learn_widths_.enabled()) {
    widths = make_width_learning(learn_widths_, quantize_.request(), &quantize->precision());
    trainer.add_hook(widths->hook());
  }

  const TrainData data = split_training_data(dataset, source, normalization, classification,
                                             out.model.input_shape, train_.monitor);
  spdlog::info("training student '{}' ({}): {} parameters, alpha {}", student_, label,
               out.model.totals().parameters, alpha);
  out.result = trainer.fit(data, context.dir() / ("checkpoint-" + label));
  out.result.write_history(context.dir() / ("history-" + label + ".jsonl"));
  module->store_weights(out.model);
  const std::string who = label + " student: ";
  if (quantize) {
    if (!quantize->precision()) {
      throw Error("stage 'distill': quantization never started: float_epochs (" +
                  std::to_string(float_epochs_) + ") must be below epochs (" +
                  std::to_string(train_.epochs) + ")");
    }
    if (widths) {
      store_precision(out.model, widths->finish(out.result, out.model));
      out.learned_widths = widths->report();
      spdlog::info("'{}' ({}) learned widths:\n{}", student_, label, widths->table());
    } else {
      store_precision(out.model, *quantize->precision());
    }
  }
  if (prune_.active()) prune_.finish(out.model);
  // The selected epoch had the final sparsity and precisions (earlier epochs were not
  // selectable): the saved model must validate as it did.
  const bool fake_quant = quantize && quantize->precision();
  out.validation = saved_validation_figures(out.model, data, fake_quant);
  check_selected_epoch(out.result, out.validation, who);
  if (prune_.active() && prune_.structured()) {
    const Graph masked = out.model;
    for (const auto& removed : remove_pruned_units(out.model)) {
      spdlog::info("'{}': {} of {} units removed", removed.layer, removed.removed.size(),
                   removed.units_before);
    }
    log_unit_removal(relative_output_difference(masked, out.model, data, fake_quant),
                     kUnitRemovalTolerance);
  }
  normalization.store(out.model);
  out.figures = test_figures(out.model, dataset, classification, &out.predictions);
  std::filesystem::remove_all(context.dir() / ("checkpoint-" + label));
  return out;
}

void DistillStage::run(StageContext& context) {
  const Dataset& dataset = context.state().dataset();
  auto& models = context.state().models;
  const Graph& teacher = models.at(teacher_);
  if (!TargetNormalization::from(teacher)) {
    throw Error("stage 'distill': teacher '" + teacher_ + "' carries no target normalization");
  }
  Graph initial;
  if (models.count(student_)) {
    initial = models.at(student_);
  } else {
    initial = *context.config().model(student_);
    if (initial.input_shape.empty()) initial.input_shape = dataset.input_shape();
  }
  const bool classification = train_.is_classification();

  // The teacher runs once per training sample; every epoch of the student reads the cache.
  std::unique_ptr<TeacherCache> cache;
  const BatchSource teacher_source(dataset.inputs, TargetNormalization::from(teacher).value());
  if (alpha_ < 1.0 || !hints_.empty()) {
    std::vector<std::size_t> hint_layers;
    for (const Hint& hint : hints_) hint_layers.push_back(layer_index(teacher, hint.teacher));
    cache = std::make_unique<TeacherCache>(GraphModule(teacher), teacher_source,
                                           dataset.split.train, hint_layers,
                                           static_cast<std::size_t>(cache_mb_ * 1024 * 1024));
    spdlog::info("teacher '{}' ran on {} training samples (hint features {})", teacher_,
                 cache->teacher_samples(), cache->features_cached() ? "cached" : "recomputed");
  }

  Outcome distilled = train_student(context, initial, alpha_, hints_, "distilled", cache.get());
  nlohmann::json& m = context.metrics();
  m = {{"teacher_model", teacher_},
       {"student_model", student_},
       {"alpha", alpha_},
       {"temperature", temperature_},
       {"teacher_samples", cache ? cache->teacher_samples() : 0}};
  m["teacher"] = model_sizes(teacher);
  TestPredictions teacher_predictions;
  m["teacher"]["test"] = test_figures(teacher, dataset, classification, &teacher_predictions);
  m["student"] = model_sizes(distilled.model);
  m["student"]["test"] = distilled.figures;
  m["student"]["best_epoch"] = distilled.result.best_epoch;
  m["student"]["selected_epoch"] = distilled.result.selected().epoch;
  m["student"]["validation"] = distilled.validation;
  if (!distilled.learned_widths.is_null())
    m["student"]["learned_widths"] = distilled.learned_widths;
  StageResults& results = context.results();
  results.evaluations.push_back(with_predictions(
      make_evaluation(teacher_, ModelRole::kTeacher, has_precision(teacher), m["teacher"]["test"]),
      teacher_predictions, context.dir()));
  results.sizes.push_back(model_size(teacher_, teacher));
  results.evaluations.push_back(
      with_predictions(make_evaluation(student_, ModelRole::kStudent,
                                       has_precision(distilled.model), distilled.figures),
                       distilled.predictions, context.dir()));
  results.sizes.push_back(model_size(student_, distilled.model));
  if (baseline_) {
    Outcome baseline = train_student(context, initial, 1.0, {}, "baseline", nullptr);
    m["baseline"] = model_sizes(baseline.model);
    m["baseline"]["test"] = baseline.figures;
    m["baseline"]["best_epoch"] = baseline.result.best_epoch;
    m["baseline"]["selected_epoch"] = baseline.result.selected().epoch;
    m["baseline"]["validation"] = baseline.validation;
    if (!baseline.learned_widths.is_null())
      m["baseline"]["learned_widths"] = baseline.learned_widths;
    context.results().evaluations.push_back(
        with_predictions(make_evaluation(student_, ModelRole::kBaseline,
                                         has_precision(baseline.model), baseline.figures),
                         baseline.predictions, context.dir()));
  }
  if (distilled.figures.contains("confusion")) {
    const auto line = [](const char* who, const nlohmann::json& f) {
      const auto number = [&f](const char* key) {
        return f.contains(key) && f[key].is_number() ? f[key].get<double>() : NAN;
      };
      spdlog::info("{:<10} accuracy {:.4f}, macro roc_auc {:.4f}", who, number("accuracy"),
                   number("roc_auc"));
    };
    line("teacher", m["teacher"]["test"]);
    line("distilled", distilled.figures);
    if (baseline_) line("baseline", m["baseline"]["test"]);
  }
  if (distilled.figures.contains("pt_spread")) {
    const auto line = [&](const char* who, const nlohmann::json& f) {
      spdlog::info(
          "{:<10} pt_spread {:.3f} GeV, plateau_eff {:.4f}, eff_at_thr_15 {:.4f}, "
          "fake_rate {:.5f}",
          who, f.value("pt_spread", NAN), f.value("plateau_eff", NAN),
          f.value("eff_at_thr_15", NAN), f.value("fake_rate", NAN));
    };
    line("teacher", m["teacher"]["test"]);
    line("distilled", distilled.figures);
    if (baseline_) line("baseline", m["baseline"]["test"]);
  }
  models[student_] = std::move(distilled.model);
}

}  // namespace hlslim
