#pragma once

#include "hlslim/data/simulation_params.hpp"
#include "hlslim/data/split.hpp"
#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/dataset.hpp"

namespace hlslim {

/// Where the data stage gets its events.
enum class DataSource { kSimulate, kNpy, kFile };

/// `data`: makes or loads the events (built-in simulation, NumPy files, or an hlslim dataset
/// file), splits them, and fixes what networks read (full images or windows) and predict.
class DataStage : public Stage {
 public:
  const char* type() const override { return "data"; }
  const char* summary() const override {
    return "Simulate or load events, split them, and choose the network input and targets.";
  }
  void declare(OptionTable& options) override;
  void configure(const OptionValues& values, Diagnostics& diagnostics) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::filesystem::path> input_files() const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override { return {}; }
  void run(StageContext& context) override;

 private:
  data::EventStore make_events(const StageContext& context) const;
  void share_noise(data::Split& split, std::uint64_t seed) const;
  /// What validate can tell from a dataset file's header: it holds events, and every target
  /// is one of its label columns.
  void check_events(std::size_t events, const std::vector<std::string>& label_names,
                    const SourcePos& pos, Diagnostics& diagnostics) const;
  /// What only the events tell, checked when they are loaded: finite labels, no empty set.
  void check_loaded(const data::EventStore& events, const data::Split& split) const;

  DataSource source_ = DataSource::kSimulate;
  std::int64_t events_ = 0;
  std::int64_t noise_events_ = 0;
  data::SimulationParams simulation_;
  std::vector<double> layer_radii_;
  std::vector<std::string> layer_stations_;
  std::filesystem::path images_;
  std::filesystem::path labels_;
  std::filesystem::path labels_json_;
  std::vector<std::string> label_columns_;
  std::filesystem::path file_;
  double train_fraction_ = 0.8;
  double validation_fraction_ = 0.1;
  double test_fraction_ = 0.1;
  double noise_training_fraction_ = 0.5;
  bool export_npy_ = false;
  TaskSpec task_;
};

}  // namespace hlslim
