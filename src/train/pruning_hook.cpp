#include "hlslim/train/pruning_hook.hpp"

#include "hlslim/prune/masks.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {

PruningHook::PruningHook(Graph scratch, std::function<double(std::int64_t)> schedule,
                         std::function<void(Graph&, double)> prune, std::int64_t frequency,
                         double first, double final_level)
    : scratch_(std::move(scratch)),
      schedule_(std::move(schedule)),
      prune_(std::move(prune)),
      frequency_(frequency),
      current_(first),
      final_(final_level) {}

// A resumed training continues from the masks of the last update before the interruption;
// knowing their level avoids recomputing them when the schedule has not moved since.
void PruningHook::on_train_begin(Trainer& trainer) {
  const std::int64_t last = trainer.global_step() / frequency_ * frequency_;
  if (last > 0) current_ = schedule_(last);
}

void PruningHook::after_step(Trainer& trainer) {
  const std::int64_t step = trainer.global_step();
  // Updates every `frequency` steps, and as soon as the schedule reaches its final level (so a
  // short training does not end below it).
  const double target = schedule_(step);
  if (step % frequency_ == 0 || (target == final_ && current_ != final_)) {
    if (target != current_) {
      trainer.module()->store_weights(scratch_);
      prune_(scratch_, target);
      trainer.module()->load_weights(scratch_);
      current_ = target;
    }
  }
  trainer.module()->apply_masks();
}

void PruningHook::on_epoch_end(Trainer& trainer, EpochRecord& record) {
  (void)trainer;
  if (current_ != final_) record.selectable = false;
}

std::shared_ptr<TrainHook> PruneOptions::start(Graph& graph, std::int64_t total_steps,
                                               std::int64_t steps_per_epoch,
                                               const std::string& keys) const {
  const std::int64_t end = final_step(total_steps);
  // Only an epoch that ends at the final sparsity can become the result, and it should have
  // fine-tuned there: the final level must come before the last step.
  if (end >= total_steps) {
    const std::string key = keys + (begin_step_ + 1 >= total_steps ? "begin_step"
                                    : end_step_ >= 0               ? "end_step"
                                                                   : "end_fraction");
    throw Error("the pruning schedule reaches its final sparsity at step " + std::to_string(end) +
                    " (" + key + "), but the training has only " + std::to_string(total_steps) +
                    " steps (" + std::to_string(steps_per_epoch) +
                    " per epoch): no step would fine-tune at the final sparsity; lower " + key +
                    " or train more epochs",
                kExitConfig);
  }
  const auto layer_targets = targets(graph);
  std::function<double(std::int64_t)> schedule;
  if (schedule_ == PruneSchedule::kPolynomial) {
    schedule = [=, begin = begin_step_, initial = initial_sparsity_, final = sparsity_,
                power = power_](std::int64_t step) {
      if (step < begin) return 0.0;
      return polynomial_sparsity(initial, final, begin, end, power, step);
    };
  } else {
    // 'one_shot' and 'constant' both jump to the final level at `begin_step`; the hook never
    // re-prunes a level it has reached, so the masks of that moment stay.
    schedule = [begin = begin_step_, final = sparsity_](std::int64_t step) {
      return step < begin ? 0.0 : final;
    };
  }
  // Masks exist from the start (all ones until the schedule prunes), so the module has them
  // and its checkpoints hold them.
  const double first = schedule_ == PruneSchedule::kPolynomial ? 0.0 : schedule(0);
  prune(graph, first, layer_targets);
  auto apply = [this, layer_targets](Graph& g, double level) { prune(g, level, layer_targets); };
  return std::make_shared<PruningHook>(graph, schedule, apply, frequency_, first, sparsity_);
}

}  // namespace hlslim
