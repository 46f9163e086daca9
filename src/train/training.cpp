// The parts of training.hpp that need no LibTorch: epoch records and their JSON, the training
// data of a split, the result and its history, the selected-epoch invariant. The entry points
// that build modules (train_graph, float_predictor, ...) are in trainer.cpp.
#include "hlslim/train/training.hpp"

#include <cmath>
#include <limits>

#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/json_number.hpp"
#include "hlslim/util/text.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace hlslim {

json EpochRecord::to_json() const {
  json j = {
      {"epoch", epoch}, {"loss", loss}, {"val_loss", val_loss}, {"learning_rate", learning_rate}};
  for (const auto& [key, value] : metrics) j[key] = value;
  if (!selectable) j["selectable"] = false;
  return j;
}

json EpochRecord::to_checkpoint_json() const {
  json j = {{"epoch", epoch},
            {"loss", exact_number(loss)},
            {"val_loss", exact_number(val_loss)},
            {"learning_rate", exact_number(learning_rate)},
            {"seconds", exact_number(seconds)}};
  for (const auto& [key, value] : metrics) j[key] = exact_number(value);
  if (!selectable) j["selectable"] = false;
  return j;
}

EpochRecord EpochRecord::from_json(const json& j) {
  const auto number = [](const json& value) { return read_number(value); };
  EpochRecord r;
  for (const auto& [key, value] : j.items()) {
    if (key == "epoch")
      r.epoch = value.get<std::int64_t>();
    else if (key == "loss")
      r.loss = number(value);
    else if (key == "val_loss")
      r.val_loss = number(value);
    else if (key == "learning_rate")
      r.learning_rate = number(value);
    else if (key == "seconds")
      r.seconds = number(value);
    else if (key == "selectable")
      r.selectable = value.get<bool>();
    else if (value.is_number() || value.is_null() ||
             (value.is_string() && (value == "nan" || value == "inf" || value == "-inf")))
      r.metrics[key] = number(value);
  }
  return r;
}

namespace {

// Binary cross-entropy learns P(label = 1): every label it sees must be 0 or 1, and the training
// set must hold both, or the training runs to the end and means nothing.
void check_binary_labels(const Dataset& dataset) {
  const data::EventStore& events = dataset.events;
  for (const auto& target : dataset.task.targets) {
    const std::size_t column = events.label_index(target);
    for (const auto* set : {&dataset.split.train, &dataset.split.validation}) {
      for (const std::size_t event : *set) {
        const float value = events.label(event, column);
        if (value != 0.0f && value != 1.0f) {
          throw Error("loss 'bce' needs labels 0 or 1, but target '" + target + "' is " +
                      format_double(value) + " in event " + std::to_string(event) +
                      "; use a regression loss (mse, mae, huber) or 0/1 labels");
        }
      }
    }
    std::size_t ones = 0;
    for (const std::size_t event : dataset.split.train) ones += events.label(event, column) == 1.0f;
    if (ones == 0 || ones == dataset.split.train.size()) {
      throw Error("loss 'bce': every one of the " + std::to_string(dataset.split.train.size()) +
                  " training events has target '" + target + "' = " + (ones ? "1" : "0") +
                  ", so there is nothing to learn; the data need events of both classes");
    }
  }
}

}  // namespace

TrainData split_training_data(const Dataset& dataset, const BatchSource& source,
                              const TargetNormalization& normalization, bool classification,
                              const Shape& input_shape, const std::string& monitor) {
  if (normalization.classes > 0) {
    for (const auto* set : {&dataset.split.train, &dataset.split.validation, &dataset.split.test})
      check_class_labels(dataset.inputs, normalization, *set);
  } else if (classification) {
    check_binary_labels(dataset);
  }
  TrainData data;
  data.source = &source;
  data.train = dataset.split.train;
  data.validation = dataset.split.validation;
  data.input_shape = input_shape;
  const bool threshold_figures = monitor == "plateau_eff";
  data.validation_figures = [&dataset, normalization, classification,
                             threshold_figures](const BatchPredictor& predictor) {
    std::map<std::string, double> out;
    const auto figures = evaluate_figures(predictor, dataset, normalization,
                                          dataset.split.validation, false, classification);
    for (const auto& [key, value] : figures.items()) {
      if (key == "threshold_gev" || (key == "plateau_eff" && !threshold_figures)) continue;
      if (value.is_number()) out[key] = value.get<double>();
    }
    return out;
  };
  return data;
}

void TrainResult::write_history(const fs::path& path) const {
  std::string lines;
  for (const auto& record : history) lines += record.to_json().dump() + "\n";
  write_file_atomic(path, lines);
}

const EpochRecord& TrainResult::selected() const {
  if (history.empty()) throw Error("the training has no epoch to select");
  for (const auto& record : history) {
    if (record.epoch == best_epoch) return record;
  }
  return history.back();
}

void check_selected_epoch(const TrainResult& result, const std::map<std::string, double>& saved,
                          const std::string& who, double relative_tolerance) {
  const EpochRecord& selected = result.selected();
  std::vector<std::string> differences;
  for (const auto& [name, value] : selected.metrics) {
    const auto it = saved.find(name);
    if (it == saved.end()) {
      differences.push_back(name + " missing (" + format_double(value) + " at selection)");
      continue;
    }
    const bool same = it->second == value || (std::isnan(value) && std::isnan(it->second));
    const double allowed = relative_tolerance * std::abs(value);
    if (!same && !(std::abs(it->second - value) <= allowed)) {
      differences.push_back(name + " " + format_double(it->second) + " (saved model) vs " +
                            format_double(value) + " (epoch " + std::to_string(selected.epoch) +
                            ")");
    }
  }
  if (differences.empty()) return;
  throw Error(who + "the saved model does not reproduce the validation figures of the epoch " +
              "it selected (epoch " + std::to_string(selected.epoch) + " of " +
              std::to_string(result.history.size()) + "): " + join(differences, ", "));
}

}  // namespace hlslim
