#pragma once

// The pruning option block, shared by the prune stage and the distill stage (which prunes its
// student while training it). The training hook that applies it is in pruning_hook.hpp (LibTorch);
// this header is free of it.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "hlslim/config/options.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/prune/structured.hpp"
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

class TrainHook;  // train/trainer.hpp

/// What pruning removes: single weights of smallest magnitude, or whole units.
enum class PruneMethod { kMagnitude, kStructured };
/// Where magnitude pruning draws its threshold: per layer, or one across the pruned layers.
enum class PruneScope { kLayer, kGlobal };
/// How the pruned fraction grows over the fine-tuning.
enum class PruneSchedule { kOneShot, kConstant, kPolynomial };

const EnumNames<PruneMethod>& prune_method_names();
const EnumNames<UnitNorm>& unit_norm_names();
const EnumNames<PruneScope>& prune_scope_names();
const EnumNames<PruneSchedule>& prune_schedule_names();

class PruneOptions {
 public:
  void declare(OptionTable& t, double default_sparsity = 0.5);
  /// `who` prefixes messages of this block (empty for the prune stage's own keys).
  void configure(const OptionValues& values, Diagnostics& diagnostics, const std::string& who);
  /// Layer names of `layers` exist; explicit structured targets are removable.
  void check_model(const Graph& graph, const std::string& model, Diagnostics& diagnostics,
                   const std::string& who) const;

  /// Target fraction of every pruned layer (name > type > `sparsity`; "exclude" leaves a layer
  /// out). With method 'structured', layers whose units cannot be removed are left out too.
  std::map<std::string, double> targets(const Graph& graph) const;

  /// The training step at which the schedule reaches the final sparsity.
  std::int64_t final_step(std::int64_t total_steps) const;
  /// Prepares pruning of `graph` over a training of `total_steps`: puts the initial masks in
  /// the graph (so the module has them from the start) and returns the hook that follows the
  /// schedule. Throws hlslim::Error (exit code 2) when the schedule reaches the final sparsity
  /// only at the last step or later, naming the key responsible (prefixed with `keys`, e.g.
  /// "prune." in the distill stage).
  std::shared_ptr<TrainHook> start(Graph& graph, std::int64_t total_steps,
                                   std::int64_t steps_per_epoch, const std::string& keys) const;
  /// Applies the final masks to trained weights that already have them (the selected epoch
  /// ended at the final sparsity): the masked weights are the zeros, so the masks stay; the
  /// stages check that the saved model still validates as the selected epoch did.
  void finish(Graph& graph) const;

  bool structured() const { return method_ == PruneMethod::kStructured; }
  bool active() const { return sparsity_ > 0; }
  double sparsity() const { return sparsity_; }
  PruneMethod method() const { return method_; }
  UnitNorm criterion() const { return criterion_; }
  PruneSchedule schedule() const { return schedule_; }
  PruneScope scope() const { return scope_; }

 private:
  void prune(Graph& graph, double level, const std::map<std::string, double>& targets) const;

  PruneMethod method_ = PruneMethod::kMagnitude;
  UnitNorm criterion_ = UnitNorm::kL2;
  double sparsity_ = 0.5;
  PruneScope scope_ = PruneScope::kLayer;
  YAML::Node layers_;
  PruneSchedule schedule_ = PruneSchedule::kPolynomial;
  double initial_sparsity_ = 0.0;
  std::int64_t begin_step_ = 0;
  std::int64_t end_step_ = -1;
  double end_fraction_ = 0.67;
  std::int64_t frequency_ = 100;
  double power_ = 3.0;
  SourcePos layers_pos_;
};

}  // namespace hlslim
