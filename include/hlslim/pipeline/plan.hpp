#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/runner.hpp"
#include "hlslim/sweep/spec.hpp"

namespace hlslim {

class StageRegistry;

/// A sweep ready to run: the base config, every point's validated config, and the sweep
/// directory (the config's `output`):
///
///     SWEEP_DIR/plan.json          the points and their values (what `hlslim collect` reads)
///     SWEEP_DIR/shared/            the stages before the first swept one, run once
///     SWEEP_DIR/shared/seed-N/     ... or once per seed, when `seed` is swept with other keys
///     SWEEP_DIR/points/NNNN/       one run directory per point
///     SWEEP_DIR/slurm/, logs/      job scripts and per-task logs of `--submit`
struct SweepPlan {
  std::filesystem::path config_path;  ///< absolute
  std::vector<std::string> overrides;
  std::filesystem::path dir;  ///< absolute
  PipelineConfig base;
  std::vector<SweepPoint> points;
  std::vector<PipelineConfig> configs;  ///< one per point
  /// The leading stages no swept key touches: they run once into dir/shared. When `seed` is
  /// swept together with other keys, the leading stages no other swept key touches: they run
  /// once per seed value into dir/shared/seed-N.
  std::size_t shared_stages = 0;
  /// True when the shared stages run once per seed (then there is one group per seed value).
  bool shared_per_seed = false;

  /// The points that link the same shared directory.
  struct SharedGroup {
    std::filesystem::path dir;        ///< dir/shared, or dir/shared/seed-N
    std::int64_t seed = -1;           ///< N of a group per seed; -1 for the one group
    std::vector<std::size_t> points;  ///< in order; the first one's config runs a seed's stages
  };
  /// Empty when nothing is shared; else one group of every point, or one per seed value in the
  /// order in which the points first use them.
  std::vector<SharedGroup> shared_groups;
  /// Per point, the index of its group in shared_groups (empty when nothing is shared).
  std::vector<std::size_t> point_group;

  const SweepSpec& spec() const { return *base.sweep; }
  std::filesystem::path shared_dir() const { return dir / "shared"; }
  /// The config that runs the shared stages of group `group`: the base config for the one
  /// group, the group's first point's config for a seed's group.
  const PipelineConfig& shared_config(std::size_t group) const;
  /// dir/points/0007 (four digits, more when there are more points).
  std::filesystem::path point_dir(std::size_t index) const;
  /// Names of the shared stages, in order.
  std::vector<std::string> shared_stage_names() const;
};

/// Loads a config with a `sweep:` block and every point of it. `output`, when not empty,
/// replaces the config's `output` as the sweep directory. Throws hlslim::ConfigError listing
/// every problem (a config without a sweep block is one).
SweepPlan load_sweep(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                     const std::filesystem::path& output, const StageRegistry& registry);

/// Index of the first stage that a swept key changes: a key under a stage's name changes that
/// stage; `models.M...` changes the first stage that reads model M; `seed` and `device` change
/// every stage; `name` and `threads` change none. Returns the stage count when none changes.
std::size_t first_swept_stage(const PipelineConfig& base, const std::vector<std::string>& keys);

/// How far a point has got.
struct PointStatus {
  enum class State { kPending, kRunning, kDone, kFailed, kStale };
  State state = State::kPending;
  std::string text;  ///< "done", "failed (distill)", "pending", "running", "stale (config changed)"
};

/// The status of point `index` from its manifest: done only when every stage completed with
/// the fingerprints of the current config.
PointStatus point_status(const SweepPlan& plan, std::size_t index);

/// True when the shared stages are complete in dir/shared (every dir/shared/seed-N) with the
/// current config (or there are none).
bool shared_complete(const SweepPlan& plan);

/// True when the shared stages of group `group` are complete in its directory.
bool shared_complete(const SweepPlan& plan, std::size_t group);

/// Writes dir/plan.json atomically, unless it already holds exactly this plan.
void write_sweep_plan(const SweepPlan& plan);

/// Runs the shared stages into dir/shared unless they are complete, holding an exclusive lock
/// (flock on dir/shared.lock) so that concurrent points prepare them once; per seed, every
/// seed's into dir/shared/seed-N, one after the other, each under dir/shared/seed-N.lock.
/// Throws like run_pipeline.
void prepare_shared(const SweepPlan& plan);

/// Runs the shared stages of group `group` into its directory unless they are complete, under
/// its lock.
void prepare_shared(const SweepPlan& plan, std::size_t group);

/// Runs point `index` into its run directory (resuming it), linking the shared stages of its
/// group; prepares them first when they are missing. Throws like run_pipeline.
RunResult run_point(const SweepPlan& plan, std::size_t index);

}  // namespace hlslim
