#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "hlslim/data/event_store.hpp"
#include "hlslim/graph/softmax_head.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {
namespace {

bool is_trigger_figure(const std::string& monitor) {
  return monitor.rfind("pt_", 0) == 0 || monitor == "eta_mae" || monitor == "plateau_eff" ||
         monitor == "eff_at_thr_15";
}

std::string loss_name(Loss loss) {
  return enum_name(loss_names(), loss);
}

// The last layer when it is a softmax or a sigmoid (the layers a loss can contradict).
const Layer* squashing_output(const Graph& graph) {
  if (graph.layers.empty()) return nullptr;
  const Layer& last = graph.layers.back();
  return last.kind == LayerKind::kSoftmax || last.kind == LayerKind::kSigmoid ? &last : nullptr;
}

}  // namespace

void check_training_task(const Graph& shaped, const std::string& model,
                         const std::vector<std::string>& targets, const TrainOptions& given,
                         const std::string& trained_loss, const SourcePos& pos,
                         const std::string& who, Diagnostics& diagnostics) {
  if (const std::string problem = softmax_head_problem(shaped); !problem.empty()) {
    diagnostics.error(pos, who + "model '" + model + "': " + problem);
  }
  TrainOptions options = given;
  if (options.loss_defaulted && trained_loss == loss_name(Loss::kCe)) options.loss = Loss::kCe;
  const bool ce = options.loss == Loss::kCe;
  const std::string loss = loss_name(options.loss);
  Shape output;
  try {
    output = shaped.output_shape();
  } catch (const Error& e) {
    diagnostics.error(pos, who + e.what());
    return;
  }
  const std::int64_t outputs = output.size() == 1 ? output[0] : -1;
  const auto n_targets = static_cast<std::int64_t>(targets.size());
  if (!ce && outputs != n_targets) {
    diagnostics.error(pos, who + "model '" + model + "' has output " + shape_str(output) +
                               " but the data has " + std::to_string(n_targets) + " target(s) (" +
                               join(targets, ", ") + ")");
  } else if (ce && outputs < 2) {
    diagnostics.error(options.loss_pos,
                      who + "loss 'ce' needs one output per class (at least 2), but model '" +
                          model + "' has output " + shape_str(output) +
                          "; use loss 'bce' for one 0/1 label");
  } else if (ce && n_targets != 1 && n_targets != outputs) {
    diagnostics.error(pos, who + "model '" + model + "' has " + std::to_string(outputs) +
                               " outputs but the data has " + std::to_string(n_targets) +
                               " target(s) (" + join(targets, ", ") +
                               "); loss 'ce' reads one target column of class indices or one "
                               "one-hot target column per output");
  }
  if (const Layer* last = squashing_output(shaped)) {
    const bool softmax = last->kind == LayerKind::kSoftmax;
    const std::string layer =
        std::string(softmax ? "softmax" : "sigmoid") + " layer '" + last->name + "'";
    if (options.loss == Loss::kBce) {
      diagnostics.error(options.loss_pos,
                        who + "loss 'bce' applies a sigmoid to each output itself, but model '" +
                            model + "' ends with " + layer +
                            (softmax ? "; use loss 'ce' for one class out of several (it reads "
                                       "the logits before the softmax)"
                                     : "; remove that layer (the outputs must be logits)"));
    } else if (ce && !softmax) {
      diagnostics.error(options.loss_pos,
                        who + "loss 'ce' applies a softmax to the logits itself, but model '" +
                            model + "' ends with " + layer +
                            "; remove that layer (a trailing softmax may stay)");
    } else if (!ce) {
      diagnostics.error(
          options.loss_pos,
          who + "loss '" + loss + "' is a regression loss, but model '" + model + "' ends with " +
              layer +
              (softmax ? "; use loss 'ce' for classes" : "; use loss 'bce' for 0/1 labels"));
    }
  }
  const std::string& monitor = options.monitor;
  const bool has_pt = std::find(targets.begin(), targets.end(), "pt") != targets.end();
  if (is_trigger_figure(monitor) && (options.is_classification() || !has_pt)) {
    diagnostics.error(
        options.monitor_pos,
        who + "monitor '" + monitor + "' means nothing for " +
            (options.is_classification()
                 ? "a classifier (loss '" + loss + "'): monitor val_loss, accuracy or roc_auc"
                 : std::string("this task: it needs a regression of the target "
                               "'pt'; monitor val_loss")));
  }
  if ((monitor == "roc_auc" || monitor == "accuracy") && !options.is_classification()) {
    diagnostics.error(options.monitor_pos, who + "monitor '" + monitor +
                                               "' means nothing for a regression (loss '" + loss +
                                               "'); it needs loss 'ce' or 'bce'");
  } else if ((monitor == "roc_auc" || monitor == "accuracy") && options.loss == Loss::kBce &&
             outputs > 1) {
    diagnostics.error(options.monitor_pos,
                      who + "monitor '" + monitor + "' means nothing for " +
                          std::to_string(outputs) +
                          " 'bce' outputs (each has its own figures); use loss 'ce' for one "
                          "class out of several, or monitor val_loss");
  }
}

TrainOptions task_options(const TrainOptions& options, const TargetNormalization& normalization) {
  TrainOptions out = options;
  if (normalization.classes > 0 && options.loss != Loss::kCe) {
    if (!options.loss_defaulted) {
      throw Error("loss '" + loss_name(options.loss) + "' cannot train a model trained for " +
                  std::to_string(normalization.classes) + " classes with loss 'ce'");
    }
    out.loss = Loss::kCe;
  }
  if (normalization.classes == 0 && options.loss == Loss::kCe) {
    throw Error("loss 'ce' cannot train a model trained on the targets " +
                join(normalization.names, ", ") + " with another loss; train it with loss 'ce'");
  }
  return out;
}

void check_class_labels(const data::EventStore& store, const TargetNormalization& normalization,
                        const std::vector<std::size_t>& indices) {
  const auto k = static_cast<std::size_t>(normalization.classes);
  if (normalization.names.size() == 1) {
    const std::string& name = normalization.names[0];
    const auto metadata =
        nlohmann::json::parse(store.metadata_json(), nullptr, /*allow_exceptions=*/false);
    if (metadata.is_object() && metadata.contains("classes") && metadata["classes"].is_array() &&
        metadata["classes"].size() != k) {
      throw Error("loss 'ce': the labels' 'classes' (labels.json) names " +
                  std::to_string(metadata["classes"].size()) + " classes, but the model has " +
                  std::to_string(k) + " outputs, one per class of label column '" + name + "'");
    }
    const std::size_t column = store.label_index(name);
    for (const std::size_t event : indices) {
      const float value = store.label(event, column);
      if (!(value >= 0.0f) || value != std::floor(value) || value >= static_cast<float>(k)) {
        throw Error("loss 'ce': label column '" + name + "' must hold class indices 0.." +
                    std::to_string(k - 1) + " (one per output of the model), but event " +
                    std::to_string(event) + " has " + format_double(value));
      }
    }
    return;
  }
  std::vector<std::size_t> columns;
  for (const auto& name : normalization.names) columns.push_back(store.label_index(name));
  for (const std::size_t event : indices) {
    std::size_t ones = 0;
    for (std::size_t j = 0; j < columns.size(); ++j) {
      const float value = store.label(event, columns[j]);
      if (value != 0.0f && value != 1.0f) {
        throw Error("loss 'ce': one-hot label column '" + normalization.names[j] +
                    "' must hold 0 or 1, but event " + std::to_string(event) + " has " +
                    format_double(value));
      }
      ones += value == 1.0f;
    }
    if (ones != 1) {
      throw Error("loss 'ce': the one-hot label columns (" + join(normalization.names, ", ") +
                  ") must hold exactly one 1 per event, but event " + std::to_string(event) +
                  " has " + std::to_string(ones));
    }
  }
}

std::vector<std::string> class_names(const data::EventStore& store,
                                     const TargetNormalization& normalization) {
  const auto k = static_cast<std::size_t>(normalization.classes);
  if (normalization.names.size() == k && k > 1) return normalization.names;
  const auto metadata =
      nlohmann::json::parse(store.metadata_json(), nullptr, /*allow_exceptions=*/false);
  if (metadata.is_object() && metadata.contains("classes") && metadata["classes"].is_array() &&
      metadata["classes"].size() == k) {
    std::vector<std::string> names;
    for (const auto& name : metadata["classes"]) {
      if (!name.is_string()) break;
      names.push_back(name.get<std::string>());
    }
    if (names.size() == k) return names;
  }
  std::vector<std::string> names;
  for (std::size_t j = 0; j < k; ++j) names.push_back("class_" + std::to_string(j));
  return names;
}

}  // namespace hlslim
