#include "hlslim/train/train_options.hpp"

#include <algorithm>

#include "hlslim/util/text.hpp"

namespace hlslim {

const std::vector<std::string>& monitorable_metrics() {
  static const std::vector<std::string> names = {"val_loss", "pt_mae",      "pt_spread",
                                                 "eta_mae",  "plateau_eff", "eff_at_thr_15",
                                                 "roc_auc",  "accuracy"};
  return names;
}

bool figure_maximizes(const std::string& figure) {
  return figure == "plateau_eff" || figure == "eff_at_thr_15" || figure == "roc_auc" ||
         figure == "accuracy";
}

const EnumNames<Loss>& loss_names() {
  static const EnumNames<Loss> names{{"mae", Loss::kMae},
                                     {"mse", Loss::kMse},
                                     {"huber", Loss::kHuber},
                                     {"bce", Loss::kBce},
                                     {"ce", Loss::kCe}};
  return names;
}

bool TrainOptions::monitor_maximizes() const {
  return figure_maximizes(monitor);
}

void TrainOptions::declare(OptionTable& t) {
  t.add_enum("loss", loss, Loss::kMae,
             {{"mae", Loss::kMae},
              {"mse", Loss::kMse},
              {"huber", Loss::kHuber},
              {"bce", Loss::kBce},
              {"ce", Loss::kCe}},
             "Loss: mean absolute or squared error, Huber, binary cross-entropy on logits (one "
             "0/1 target column per output), or softmax cross-entropy over K outputs (one "
             "target column of class indices 0..K-1, or K one-hot target columns).");
  t.add_float("label_smoothing", label_smoothing, 0.0,
              "Loss 'ce': train on (1 - s) times the one-hot target plus s / K for every class.")
      .min(0)
      .max(1);
  t.add_float_list("loss_weights", loss_weights, {},
                   "Weight of each output in the loss (e.g. pT and eta); empty: all 1.")
      .min(0);
  t.add_float("huber_delta", huber_delta, 1.0, "Huber loss: where it turns from square to linear.")
      .greater_than(0);
  t.add_enum("optimizer", optimizer, Optimizer::kAdam,
             {{"adam", Optimizer::kAdam}, {"adamw", Optimizer::kAdamW}, {"sgd", Optimizer::kSgd}},
             "Optimizer.");
  t.add_float("learning_rate", learning_rate, 1e-3, "Initial learning rate.").greater_than(0);
  t.add_float("momentum", momentum, 0.9, "SGD momentum.").min(0).max(1);
  t.add_float("weight_decay", weight_decay, 0.0,
              "Weight decay (decoupled for adamw, L2 in the gradient for adam and sgd).")
      .min(0);
  t.add_enum("schedule", schedule, LrSchedule::kConstant,
             {{"constant", LrSchedule::kConstant},
              {"step", LrSchedule::kStep},
              {"cosine", LrSchedule::kCosine},
              {"plateau", LrSchedule::kPlateau}},
             "Learning-rate schedule: constant; times `gamma` every `step_epochs`; cosine "
             "decay to `min_learning_rate`; or times `gamma` when the monitored metric has not "
             "improved for `plateau_patience` epochs.");
  t.add_int("step_epochs", step_epochs, 10, "Epochs between steps of the step schedule.").min(1);
  t.add_float("gamma", gamma, 0.5, "Factor of the step and plateau schedules.")
      .greater_than(0)
      .max(1);
  t.add_int("plateau_patience", plateau_patience, 3,
            "Epochs without improvement before the "
            "plateau schedule lowers the rate.")
      .min(1);
  t.add_float("min_learning_rate", min_learning_rate, 1e-6,
              "Floor of the cosine and plateau schedules.")
      .min(0);
  t.add_int("batch_size", batch_size, 256, "Samples per optimizer step.").min(1).max(1 << 20);
  t.add_int("epochs", epochs, 20, "Passes over the training set.").min(1);
  t.add_int("early_stopping", early_stopping, 0,
            "Stop after this many epochs without improvement of `monitor`; 0: never.")
      .min(0);
  t.add_choice("monitor", monitor, "val_loss", monitorable_metrics(),
               "Validation metric that selects the best epoch (its weights are kept) and drives "
               "early stopping and the plateau schedule.");
  t.add_float("clip_norm", clip_norm, 0.0, "Clip the gradient norm to this; 0: no clipping.")
      .min(0);
  t.add_float("l1", l1, 0.0, "L1 penalty on every weight (not biases).").min(0);
  t.add_float("l2", l2, 0.0, "L2 penalty on every weight (not biases).").min(0);
  t.add_yaml("regularization", regularization,
             "Per-layer penalties by layer name or type, overriding l1/l2: "
             "{fc1: {l1: 1e-4}, dense: {l2: 1e-5}}.");
  t.add_int("checkpoint_every", checkpoint_every, 1,
            "Epochs between training checkpoints (an interrupt always writes one).")
      .min(1);
}

void TrainOptions::configure(const OptionValues& values, Diagnostics& diagnostics) {
  loss_pos = values.pos("loss");
  monitor_pos = values.pos("monitor");
  loss_defaulted = values.defaulted("loss");
  if (loss == Loss::kCe && !loss_weights.empty()) {
    diagnostics.error(values.pos("loss_weights"),
                      "'loss_weights' do not apply to loss 'ce' (one loss per sample over all "
                      "classes)");
  }
  if (label_smoothing > 0 && loss != Loss::kCe) {
    diagnostics.error(values.pos("label_smoothing"),
                      "'label_smoothing' applies to loss 'ce' only (the loss is '" +
                          std::string(enum_name(loss_names(), loss)) + "')");
  }
  if (!regularization.IsMap()) {
    diagnostics.error(values.pos("regularization"),
                      "'regularization' must map layer names or types to {l1, l2}");
    return;
  }
  for (const auto& item : regularization) {
    const SourcePos pos = values.pos("regularization");
    if (!item.second.IsMap()) {
      diagnostics.error(pos, "regularization of '" + item.first.Scalar() +
                                 "' must be a mapping with l1 and/or l2");
      continue;
    }
    for (const auto& penalty : item.second) {
      const std::string key = penalty.first.Scalar();
      double value = -1;
      if ((key != "l1" && key != "l2") || !penalty.second.IsScalar() ||
          !YAML::convert<double>::decode(penalty.second, value) || value < 0) {
        diagnostics.error(pos, "regularization of '" + item.first.Scalar() +
                                   "': expected l1 or l2 with a number >= 0, got '" + key + "'");
      }
    }
  }
}

}  // namespace hlslim
