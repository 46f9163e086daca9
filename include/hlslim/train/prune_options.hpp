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
#include "hlslim/util/diagnostics.hpp"

namespace hlslim {

class PruningHook;  // train/pruning_hook.hpp

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
  std::unique_ptr<PruningHook> start(Graph& graph, std::int64_t total_steps,
                                     std::int64_t steps_per_epoch, const std::string& keys) const;
  /// Applies the final masks to trained weights that already have them (the selected epoch
  /// ended at the final sparsity): the masked weights are the zeros, so the masks stay; the
  /// stages check that the saved model still validates as the selected epoch did.
  void finish(Graph& graph) const;

  bool structured() const { return method_ == "structured"; }
  bool active() const { return sparsity_ > 0; }
  double sparsity() const { return sparsity_; }
  const std::string& method() const { return method_; }
  const std::string& criterion() const { return criterion_; }
  const std::string& schedule() const { return schedule_; }
  const std::string& scope() const { return scope_; }

 private:
  void prune(Graph& graph, double level, const std::map<std::string, double>& targets) const;

  std::string method_;
  std::string criterion_;
  double sparsity_ = 0.5;
  std::string scope_;
  YAML::Node layers_;
  std::string schedule_;
  double initial_sparsity_ = 0.0;
  std::int64_t begin_step_ = 0;
  std::int64_t end_step_ = -1;
  double end_fraction_ = 0.67;
  std::int64_t frequency_ = 100;
  double power_ = 3.0;
  SourcePos layers_pos_;
};

}  // namespace hlslim
