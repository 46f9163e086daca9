#pragma once

// The training hook that follows a pruning schedule (LibTorch, through the trainer).
#include <cstdint>
#include <functional>

#include "hlslim/graph/graph.hpp"
#include "hlslim/train/prune_options.hpp"
#include "hlslim/train/trainer.hpp"

namespace hlslim {

/// Raises the masks to the scheduled level every `frequency` steps and keeps pruned weights
/// (and the biases of pruned units) at exactly zero after every optimizer step. Epochs that end
/// before the final level are not selectable as the training's result: only a model that has
/// the sparsity it will leave with may be chosen.
class PruningHook : public TrainHook {
 public:
  PruningHook(Graph scratch, std::function<double(std::int64_t)> schedule,
              std::function<void(Graph&, double)> prune, std::int64_t frequency, double first,
              double final_level);

  void on_train_begin(Trainer& trainer) override;
  void after_step(Trainer& trainer) override;
  void on_epoch_end(Trainer& trainer, EpochRecord& record) override;

 private:
  Graph scratch_;
  std::function<double(std::int64_t)> schedule_;
  std::function<void(Graph&, double)> prune_;
  std::int64_t frequency_;
  double current_;
  double final_;
};

}  // namespace hlslim
