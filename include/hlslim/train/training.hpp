#pragma once

// Training as the stages use it, without LibTorch (each file that includes LibTorch costs about
// 8 s of compile time): the data a training reads, its result and history, the invariant every
// training stage checks, and entry points that build, train and evaluate the LibTorch module of
// a graph. trainer.hpp holds the trainer itself.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/train/evaluation.hpp"
#include "hlslim/train/train_options.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

class Dataset;
class TrainHook;  // trainer.hpp

/// One finished epoch, as written to history.jsonl.
struct EpochRecord {
  std::int64_t epoch = 0;  ///< from 1
  double loss = 0;         ///< mean training loss (without penalties)
  double val_loss = 0;
  double learning_rate = 0;
  double seconds = 0;
  std::map<std::string, double> metrics;  ///< validation figures (those that are numbers)
  /// False when a hook says this epoch's weights may not become the result (e.g. compression
  /// had not reached its final state yet): such epochs neither become the best nor count
  /// toward early stopping.
  bool selectable = true;

  /// For history.jsonl: what the epoch learned, no wall-clock time (a rerun writes the same
  /// bytes); a non-finite number is null.
  nlohmann::json to_json() const;
  /// For checkpoints: everything, with non-finite numbers exact (util/json_number.hpp).
  nlohmann::json to_checkpoint_json() const;
  static EpochRecord from_json(const nlohmann::json& j);
};

/// What the trainer learns from and is judged on.
struct TrainData {
  const BatchSource* source = nullptr;
  std::vector<std::size_t> train;
  std::vector<std::size_t> validation;
  Shape input_shape;
  /// Validation figures for the current weights (may be empty); called once per epoch.
  std::function<std::map<std::string, double>(const BatchPredictor&)> validation_figures;
};

/// Training data from a dataset's split: its training and validation events, with the
/// validation figures of merit computed every epoch. The figures that depend on the trigger
/// threshold (plateau_eff) are among them only when `monitor` is one, so that a training's
/// files depend on the threshold only when its choice of model does.
TrainData split_training_data(const Dataset& dataset, const BatchSource& source,
                              const TargetNormalization& normalization, bool classification,
                              const Shape& input_shape, const std::string& monitor);

/// How training went.
struct TrainResult {
  std::vector<EpochRecord> history;
  std::int64_t best_epoch = 0;
  double best_value = 0;
  bool stopped_early = false;
  double seconds = 0;
  double samples_per_second = 0;

  /// Writes the history as JSON lines (one epoch a line), atomically.
  void write_history(const std::filesystem::path& path) const;

  /// The epoch whose weights fit() left in the module: the best selectable one, or the last
  /// one when no epoch was selectable. Throws hlslim::Error on an empty history.
  const EpochRecord& selected() const;
};

/// The validation figures of a saved model as the trainer measured them during training:
/// LibTorch, with fake quantization at the model's stored precisions when the training used
/// it (`fake_quant`), in float otherwise.
std::map<std::string, double> saved_validation_figures(const Graph& saved, const TrainData& data,
                                                       bool fake_quant);

/// The largest absolute difference between the raw outputs of two models over the validation
/// events, relative to the largest absolute output of `reference` (at least 1), both run as
/// saved_validation_figures() runs them: how far a rewrite that should keep a model's function
/// (removing pruned units) moved it.
double relative_output_difference(const Graph& reference, const Graph& rewritten,
                                  const TrainData& data, bool fake_quant);

/// The invariant every training stage keeps: the model it saves, evaluated on the validation
/// set, reproduces the validation figures of the epoch it selected, every figure to the last
/// digit (`relative_tolerance` 0; a test may allow more). Throws hlslim::Error, prefixed with
/// `who`, naming the epoch and both numbers of each figure that differs.
void check_selected_epoch(const TrainResult& result, const std::map<std::string, double>& saved,
                          const std::string& who, double relative_tolerance = 0);

/// The checks every stage that trains runs in check(), between the model (`shaped`: its input
/// shape set), the data's `targets`, and the training's loss and monitor; positioned errors
/// prefixed with `who`:
/// - at `pos`: outputs that do not fit the targets (one per target; for loss 'ce' at least two,
///   with one target column of class indices or one one-hot column per output);
/// - at options.loss_pos: a last layer the loss contradicts (softmax or sigmoid before 'bce',
///   sigmoid before 'ce', softmax or sigmoid before a regression loss);
/// - at options.monitor_pos: a monitor that means nothing for the task (a trigger figure
///   without a regression of 'pt', accuracy or roc_auc without a classification loss).
/// - at `pos`: softmax layers that break the rules of graph/softmax_head.hpp.
/// `trained_loss` is the loss the model was trained with by an earlier stage when this stage
/// trains it further (a fine-tuning; a student trained on its teacher's targets: the teacher's),
/// as enum_name(loss_names(), ...) writes it, or "": a defaulted loss is checked as 'ce' when it
/// is 'ce', as task_options() resolves it at run time, and as the default otherwise.
void check_training_task(const Graph& shaped, const std::string& model,
                         const std::vector<std::string>& targets, const TrainOptions& options,
                         const std::string& trained_loss, const SourcePos& pos,
                         const std::string& who, Diagnostics& diagnostics);

/// The options a training of a model with `normalization` runs with: a fine-tuning whose loss
/// was left at its default takes 'ce' from a model trained for classes. Throws hlslim::Error
/// when a given loss contradicts the model's task ('ce' for a model trained on other targets,
/// another loss for a model trained for classes).
TrainOptions task_options(const TrainOptions& options, const TargetNormalization& normalization);

/// Checks the labels of a cross-entropy task (`normalization.classes` > 0) on every event of
/// `indices`: a class-index column must hold integers 0..classes-1 (and the "classes" names of
/// the store's metadata, when given, must be as many), one-hot columns exactly one 1 and
/// otherwise 0 per event. Throws hlslim::Error naming the column, the event and the value.
void check_class_labels(const data::EventStore& store, const TargetNormalization& normalization,
                        const std::vector<std::size_t>& indices);

/// The class names of a cross-entropy task: the one-hot column names, else the "classes" list
/// of the store's metadata (labels.json) when it has `normalization.classes` names, else
/// "class_0", "class_1", ...
std::vector<std::string> class_names(const data::EventStore& store,
                                     const TargetNormalization& normalization);

/// Seeds LibTorch's generator (torch::manual_seed).
void seed_torch(std::uint64_t seed);

/// Gives every layer of `graph` without tensors LibTorch's default initial weights, drawn from
/// its generator, as GraphModule(graph) does.
void initialize_weights(Graph& graph);

/// A predictor running `graph` in float with LibTorch, in eval mode and without gradients:
/// what the trainer validates a float model with.
BatchPredictor float_predictor(const Graph& graph);

/// Trains `graph` in place: seeds LibTorch with `seed`, builds the graph's module
/// (fake-quantized at `fake_quant` when given), runs Trainer::fit() with `options` and `hooks`
/// on `data` (checkpoints in `checkpoint_dir`, which may be empty), and writes the selected
/// weights back into `graph`.
TrainResult train_graph(Graph& graph, const TrainOptions& options, std::uint64_t seed,
                        const TrainData& data, const std::filesystem::path& checkpoint_dir,
                        const std::vector<TrainHook*>& hooks = {},
                        const std::optional<ModelPrecision>& fake_quant = std::nullopt);

/// A hook that keeps masked weights (and masked biases) at exactly zero after every optimizer
/// step, for trainings of a pruned model that prune nothing further themselves.
std::shared_ptr<TrainHook> make_mask_hook();

}  // namespace hlslim
