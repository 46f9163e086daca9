#include "build_stage.hpp"

#include <spdlog/spdlog.h>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/graph/softmax_head.hpp"
#include "hlslim/import/onnx_import.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

// A loss set explicitly for a model by a stage that trains it further.
struct LaterLoss {
  std::string loss;
  std::string stage;
  SourcePos pos;
};

// The explicit losses of the stages that train `model` further: `loss` of train and distill
// (for its student), `fine_tune.loss` of prune and quantize.
std::vector<LaterLoss> later_losses(const PipelineConfig& config, const std::string& model) {
  std::vector<LaterLoss> out;
  for (const StageEntry& entry : config.stages) {
    const bool top = entry.type == "train" || entry.type == "distill";
    if (!top && entry.type != "prune" && entry.type != "quantize") continue;
    const std::string key = entry.type == "distill" ? "student" : "model";
    if (!entry.values.has(key)) continue;
    const auto* name = std::get_if<std::string>(&entry.values.value(key));
    if (!name || *name != model) continue;
    if (!top && !entry.values.has("fine_tune")) continue;
    const OptionValues& values = top ? entry.values : entry.values.group("fine_tune");
    if (!values.has("loss") || values.defaulted("loss")) continue;
    if (const auto* loss = std::get_if<std::string>(&values.value("loss")))
      out.push_back({*loss, entry.name, values.pos("loss")});
  }
  return out;
}

// The first later stage that trains the model with loss 'ce', or nullptr.
const LaterLoss* later_ce(const std::vector<LaterLoss>& losses) {
  for (const auto& later : losses)
    if (later.loss == "ce") return &later;
  return nullptr;
}

// What an imported model predicts: the classes of a cross-entropy task when it ends in a softmax,
// when it has several outputs for one target column (class indices; the outputs are logits), or
// when a later stage trains it with loss 'ce' (logits, as torch's CrossEntropyLoss trains them,
// for one target column or one one-hot column per output); otherwise each target in its own
// units, one output per target (mean 0, scale 1).
bool imported_classifier(const Graph& graph, const std::vector<std::string>& targets,
                         bool trained_with_ce) {
  const std::int64_t outputs = shape_numel(graph.output_shape());
  return graph.layers.back().kind == LayerKind::kSoftmax || (targets.size() == 1 && outputs > 1) ||
         (trained_with_ce && outputs > 1);
}

TargetNormalization imported_task(const Graph& graph, const std::vector<std::string>& targets,
                                  bool trained_with_ce) {
  if (imported_classifier(graph, targets, trained_with_ce)) {
    return TargetNormalization::for_classes(targets, shape_numel(graph.output_shape()));
  }
  TargetNormalization normalization;
  normalization.names = targets;
  normalization.mean.assign(targets.size(), 0.0);
  normalization.scale.assign(targets.size(), 1.0);
  return normalization;
}

// Why an imported model's outputs do not fit the data's targets, or "".
std::string imported_task_problem(const Graph& graph, const std::vector<std::string>& targets,
                                  bool trained_with_ce) {
  const auto outputs = static_cast<std::size_t>(shape_numel(graph.output_shape()));
  const bool fits = imported_classifier(graph, targets, trained_with_ce)
                        ? outputs >= 2 && (targets.size() == 1 || targets.size() == outputs)
                        : targets.size() == outputs;
  if (fits) return "";
  return "has " + std::to_string(outputs) + " outputs but the data has " +
         std::to_string(targets.size()) + " targets (" + join(targets, ", ") +
         "); an imported model predicts one output per target, or the classes of one column "
         "of class indices (or of one one-hot column per class)";
}

}  // namespace

void BuildStage::declare(OptionTable& options) {
  options.add_string_list("models", models_, {},
                          "Models (names under `models:`) to build; empty: every model.");
}

std::vector<std::string> BuildStage::selected(const PipelineConfig& config) const {
  if (!models_.empty()) return models_;
  std::vector<std::string> all;
  for (const auto& graph : config.models) all.push_back(graph.name);
  return all;
}

void BuildStage::check(PipelineSketch& sketch, const SourcePos& pos,
                       Diagnostics& diagnostics) const {
  const PipelineConfig& config = *sketch.config;
  std::vector<std::string> defined;
  for (const auto& graph : config.models) defined.push_back(graph.name);
  if (defined.empty()) {
    diagnostics.error(pos, "stage 'build' has nothing to build: the config defines no 'models'");
    return;
  }
  for (const auto& name : selected(config)) {
    const Graph* graph = config.model(name);
    if (!graph) {
      diagnostics.error(pos, "stage 'build': no model named '" + name + "'" +
                                 did_you_mean(name, defined) + "; defined: " + join(defined, ", "));
      continue;
    }
    if (config.import_of(name)) {
      // An imported model keeps its weights: it counts as trained. It reads the data's shape
      // when it can (fit_input_shape()).
      Shape input = graph->input_shape;
      std::string loss;  // "ce" when it is imported as a classifier
      if (const std::string problem = softmax_head_problem(*graph); !problem.empty()) {
        diagnostics.error(pos, "stage 'build': model '" + name + "': " + problem);
      }
      if (sketch.data && !sketch.data->input_shape.empty()) {
        Graph fitted = *graph;
        // Trained and quantized as far as the stages after it can tell: a model that does not
        // fit is reported here, and only here.
        sketch.models[name] = {input, true, true, ""};
        if (const std::string problem = fit_input_shape(fitted, sketch.data->input_shape);
            !problem.empty()) {
          diagnostics.error(pos, "stage 'build': model '" + name + "': " + problem);
          continue;
        }
        input = fitted.input_shape;
        const auto losses = later_losses(config, name);
        const LaterLoss* ce = later_ce(losses);
        if (const std::string problem = imported_task_problem(fitted, sketch.data->targets, ce);
            !problem.empty()) {
          diagnostics.error(pos, "stage 'build': model '" + name + "': " + problem);
        } else if (imported_classifier(fitted, sketch.data->targets, ce)) {
          loss = "ce";
          // Every stage that trains it further must train the classifier it is (the stage
          // itself reports another loss on a model that ends in a softmax).
          const bool softmax = fitted.layers.back().kind == LayerKind::kSoftmax;
          for (const auto& later : losses) {
            if (later.loss == "ce" || softmax) continue;
            diagnostics.error(
                later.pos, "stage '" + later.stage + "': loss '" + later.loss +
                               "' cannot train model '" + name +
                               "': it is imported as a classifier over its " +
                               std::to_string(shape_numel(fitted.output_shape())) + " outputs (" +
                               (ce ? "stage '" + ce->stage + "' trains it with loss 'ce'"
                                   : std::string("it has several outputs for one target column")) +
                               "); use loss 'ce'");
          }
        }
      }
      sketch.models[name] = {input, true, has_precision(*graph), loss};
      continue;
    }
    Shape input = graph->input_shape;
    if (input.empty() && sketch.data) {
      input = sketch.data->input_shape;
      // The data stage already reported why its shape is unknown.
      if (input.empty()) continue;
    }
    if (input.empty()) {
      diagnostics.error(pos, "stage 'build': model '" + name +
                                 "' needs an 'input' shape (no earlier stage provides data)");
      continue;
    }
    Graph shaped = *graph;
    shaped.input_shape = input;
    try {
      shaped.shapes();
    } catch (const Error& e) {
      diagnostics.error(pos, std::string("stage 'build': ") + e.what());
      continue;
    }
    sketch.models[name] = {input, false, false, ""};
  }
}

void BuildStage::run(StageContext& context) {
  const PipelineConfig& config = context.config();
  seed_torch(static_cast<std::uint64_t>(context.settings().seed));
  for (const auto& name : selected(config)) {
    Graph graph = *config.model(name);
    if (config.import_of(name)) {
      if (context.state().artifacts.count("dataset")) {
        const Dataset& dataset = context.state().dataset();
        const std::string problem = fit_input_shape(graph, dataset.input_shape());
        if (!problem.empty()) throw Error("model '" + name + "': " + problem);
        const bool ce = later_ce(later_losses(config, name)) != nullptr;
        imported_task(graph, dataset.task.targets, ce).store(graph);
      }
      spdlog::info("model '{}' imported from {}", name, config.import_of(name)->path.string());
    } else {
      if (graph.input_shape.empty()) graph.input_shape = context.state().dataset().input_shape();
      initialize_weights(graph);
    }
    const std::string table = graph.summary_table();
    write_file_atomic(context.dir() / (name + "_summary.txt"), table);
    spdlog::info("model '{}':\n{}", name, table);

    nlohmann::json layers = nlohmann::json::array();
    for (const auto& row : graph.summary()) {
      layers.push_back({{"name", row.name},
                        {"type", row.type},
                        {"output_shape", row.output_shape},
                        {"parameters", row.parameters},
                        {"macs", row.macs}});
    }
    const LayerSummary total = graph.totals();
    context.metrics()[name] = {
        {"parameters", total.parameters}, {"macs", total.macs}, {"layers", layers}};
    context.state().models[name] = std::move(graph);
  }
}

}  // namespace hlslim
