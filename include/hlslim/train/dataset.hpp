#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hlslim/config/options.hpp"
#include "hlslim/data/event_store.hpp"
#include "hlslim/data/metrics.hpp"
#include "hlslim/data/simulation_params.hpp"
#include "hlslim/data/split.hpp"
#include "hlslim/graph/tensor.hpp"

namespace hlslim {

/// What networks read: the full detector images, or windows cut around a seed.
enum class InputKind { kWindows, kFull };
const EnumNames<InputKind>& input_kind_names();

/// What the network reads and predicts, as chosen in the data stage.
struct TaskSpec {
  InputKind input = InputKind::kWindows;
  std::int64_t window = 16;  ///< window width in columns
  /// Windows get this many extra rows telling where the window lies in the full image: the
  /// bending in columns depends on |eta|, which a window alone cannot see. Row 1 is a
  /// thermometer code of the position in W levels; row 2 refines it W times within a level.
  std::int64_t position_rows = 2;
  std::vector<std::string> targets{"pt", "eta"};
  /// Trigger threshold in GeV for the figures of merit, and where its plateau starts above it:
  /// the pipeline sets them from its evaluation settings; not saved with the dataset.
  double threshold = 10.0;
  double plateau_offset = 5.0;  ///< GeV
};

/// A dataset as later stages use it: every event (full images, sparse), the split, what
/// networks read (the full images or windows cut from them) and the detector geometry.
class Dataset {
 public:
  data::EventStore events;  ///< full images, all events (muons first, then noise-only)
  data::EventStore inputs;  ///< what networks read: `events`, or one window per event
  data::Split split;
  data::SimulationParams geometry;  ///< detector geometry (defaults for user data)
  bool simulated = false;
  TaskSpec task;

  /// Builds `inputs` from `events` according to `task`. Throws hlslim::Error when windows are
  /// asked for images that are not 9-layer detector images.
  void prepare_inputs();

  /// Shape networks read: [1, layers, columns] of `inputs`.
  Shape input_shape() const;

  /// Figures-of-merit options for this task (threshold, turn-on bins over the pT range).
  data::MetricsOptions metrics_options() const;

  /// Writes events.hlsd, split.json and dataset.json into `dir`, atomically.
  void save(const std::filesystem::path& dir) const;

  /// Reads what save() wrote; throws hlslim::FileFormatError naming the file.
  static Dataset load(const std::filesystem::path& dir);
};

/// Declares every simulation parameter as an option bound to `params` (used by the data
/// stage's `simulation:` block and `hlslim simulate`).
void declare_simulation_options(OptionTable& table, data::SimulationParams& params,
                                std::vector<double>& layer_radii,
                                std::vector<std::string>& layer_stations);

/// Applies the layer lists of declare_simulation_options() to `params`; returns problems.
std::vector<std::string> apply_layer_options(data::SimulationParams& params,
                                             const std::vector<double>& layer_radii,
                                             const std::vector<std::string>& layer_stations);

}  // namespace hlslim
