#include "data_stage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "hlslim/data/error.hpp"
#include "hlslim/data/npy.hpp"
#include "hlslim/data/numpy_io.hpp"
#include "hlslim/data/random.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/data/store_io.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/interrupt.hpp"
#include "hlslim/util/text.hpp"

namespace hlslim {

void DataStage::declare(OptionTable& t) {
  t.add_enum(
      "source", source_, DataSource::kSimulate,
      {{"simulate", DataSource::kSimulate}, {"npy", DataSource::kNpy}, {"file", DataSource::kFile}},
      "Where events come from: the built-in simulation, NumPy files, or a dataset "
      "written by `hlslim simulate` (events.hlsd).");
  t.add_int("events", events_, 100000, "Muon events to simulate.").min(1);
  t.add_int("noise_events", noise_events_, 20000,
            "Noise-only events to simulate (the fake-rate sample).")
      .min(0);
  declare_simulation_options(t.add_group("simulation",
                                         "Detector and generator parameters "
                                         "(docs/simulation.md)."),
                             simulation_, layer_radii_, layer_stations_);
  OptionTable& npy = t.add_group("npy", "User data for source: npy.");
  npy.add_path("images", images_, "",
               "Inputs: N x H x W images or N x F features (read as 1 x F). Zero elements are "
               "left out; 0/1 arrays are binary hit images, other values are kept as they are.");
  npy.add_path("labels", labels_, "", "Labels: N x K float array.");
  npy.add_path("labels_json", labels_json_, "",
               "JSON naming the K label columns (a list, or an object with 'columns').");
  npy.add_string_list("columns", label_columns_, {},
                      "Names of the K label columns, when no labels_json is given.");
  t.add_path("file", file_, "", "Dataset file or directory for source: file.");
  OptionTable& split = t.add_group("split",
                                   "Fractions of muon events per set (they sum to 1); "
                                   "noise-only events form their own set.");
  split.add_float("train", train_fraction_, 0.8, "Training fraction.").min(0).max(1);
  split.add_float("validation", validation_fraction_, 0.1, "Validation fraction.").min(0).max(1);
  split.add_float("test", test_fraction_, 0.1, "Test fraction.").min(0).max(1);
  t.add_enum("input", task_.input, InputKind::kWindows, input_kind_names(),
             "What networks read: windows of `window` columns cut around the middle-station "
             "seed, or the full images.");
  t.add_int("window", task_.window, 16, "Window width in columns for input: windows.").min(1);
  t.add_int("position_rows", task_.position_rows, 2,
            "Rows added to each window coding where it lies in the full image (thermometer "
            "codes: the first in W levels, the second W times finer): pT from bending needs "
            "|eta|, which a window alone does not show. 0: none.")
      .min(0)
      .max(2);
  t.add_string_list("targets", task_.targets, {"pt", "eta"},
                    "Label columns networks predict, in output order.");
  t.add_float("noise_training_fraction", noise_training_fraction_, 0.5,
              "Fraction of the noise-only events (labels all 0: pT 0 never fires) that join "
              "the training and validation sets, so networks learn not to fire on noise; the "
              "rest measure the fake rate.")
      .min(0)
      .max(1);
  t.add_bool("export_npy", export_npy_, false,
             "Also write images.npy, labels.npy and labels.json into the stage directory.");
}

void DataStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  for (const auto& problem : apply_layer_options(simulation_, layer_radii_, layer_stations_)) {
    diagnostics.error(values.pos("simulation"), "in 'simulation': " + problem);
  }
  const double sum = train_fraction_ + validation_fraction_ + test_fraction_;
  if (std::abs(sum - 1.0) > 1e-9) {
    diagnostics.error(values.pos("split"),
                      "split fractions must sum to 1, got " + format_double(sum));
  }
  // Every set has a job: training learns from one, validation selects the epoch, test gives
  // every figure. An empty one would run to the end and report nothing meaningful.
  const std::pair<const char*, double> fractions[] = {
      {"train", train_fraction_}, {"validation", validation_fraction_}, {"test", test_fraction_}};
  for (const auto& [set, fraction] : fractions) {
    if (fraction <= 0) {
      diagnostics.error(values.pos("split"),
                        std::string("'split.") + set + "' is 0: the " + set +
                            " set would be empty; give every set a share of the events");
    } else if (source_ == DataSource::kSimulate && fraction * static_cast<double>(events_) < 1.0) {
      diagnostics.error(values.pos("split"), std::string("'split.") + set + "' of " +
                                                 format_double(fraction) + " leaves the " + set +
                                                 " set empty with " + std::to_string(events_) +
                                                 " events");
    }
  }
  if (task_.targets.empty()) diagnostics.error(values.pos("targets"), "'targets' is empty");
  if (source_ == DataSource::kNpy && (images_.empty() || labels_.empty())) {
    diagnostics.error(values.pos("npy"), "source 'npy' needs 'npy.images' and 'npy.labels'");
  }
  if (source_ == DataSource::kFile && file_.empty()) {
    diagnostics.error(values.pos("file"), "source 'file' needs 'file'");
  }
}

void DataStage::check(PipelineSketch& sketch, const SourcePos& pos,
                      Diagnostics& diagnostics) const {
  std::int64_t layers = static_cast<std::int64_t>(simulation_.layers.size());
  std::int64_t columns = static_cast<std::int64_t>(simulation_.columns);
  for (const auto& file : input_files()) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
      diagnostics.error(pos, "stage 'data': input file '" + file.string() + "' does not exist");
  }
  sketch.artifacts.insert("dataset");
  if (diagnostics.has_errors()) {
    // Unknown shape: later stages skip their shape checks instead of reporting follow-on errors.
    sketch.data = PipelineSketch::Data{{}, task_.targets, source_ == DataSource::kSimulate};
    return;
  }
  if (source_ == DataSource::kNpy) {
    try {
      const data::NpyLayout layout = data::inspect_npy(images_.string(), labels_.string(),
                                                       label_columns_, labels_json_.string());
      layers = static_cast<std::int64_t>(layout.layers);
      columns = static_cast<std::int64_t>(layout.columns);
      check_events(layout.events, layout.label_names, pos, diagnostics);
    } catch (const data::DataError& e) {
      diagnostics.error(pos, std::string("stage 'data': ") + e.what());
      sketch.data = PipelineSketch::Data{{}, task_.targets, false};
      return;
    }
  } else if (source_ == DataSource::kFile) {
    try {
      const data::StoreLayout layout = data::inspect_store(data::store_file_path(file_.string()));
      check_events(layout.events, layout.label_names, pos, diagnostics);
      if (task_.input == InputKind::kWindows &&
          (layout.layers != simulation_.layers.size() || layout.columns != simulation_.columns)) {
        diagnostics.error(
            pos, "stage 'data': '" + file_.string() + "' holds images of " +
                     std::to_string(layout.layers) + " x " + std::to_string(layout.columns) +
                     " but this stage's geometry is " + std::to_string(simulation_.layers.size()) +
                     " x " + std::to_string(simulation_.columns) +
                     "; give the dataset's 'simulation' parameters or use "
                     "input: full");
      }
      layers = static_cast<std::int64_t>(layout.layers);
      columns = static_cast<std::int64_t>(layout.columns);
    } catch (const data::DataError& e) {
      diagnostics.error(pos, std::string("stage 'data': ") + e.what());
      sketch.data = PipelineSketch::Data{{}, task_.targets, false};
      return;
    }
  }
  if (task_.input == InputKind::kWindows &&
      layers != static_cast<std::int64_t>(simulation_.layers.size())) {
    diagnostics.error(pos, "stage 'data': input 'windows' needs detector images of " +
                               std::to_string(simulation_.layers.size()) + " layers, got " +
                               std::to_string(layers) + "; use input: full");
    sketch.data = PipelineSketch::Data{{}, task_.targets, source_ == DataSource::kSimulate};
    return;
  }
  if (task_.input == InputKind::kWindows) {
    if (task_.window > columns) {
      diagnostics.error(pos, "stage 'data': window " + std::to_string(task_.window) +
                                 " is wider than the images (" + std::to_string(columns) +
                                 " columns)");
    }
    columns = task_.window;
    layers += task_.position_rows;
  }
  sketch.data =
      PipelineSketch::Data{{1, layers, columns}, task_.targets, source_ == DataSource::kSimulate};
}

void DataStage::check_events(std::size_t events, const std::vector<std::string>& label_names,
                             const SourcePos& pos, Diagnostics& diagnostics) const {
  const std::string where = source_ == DataSource::kNpy ? images_.string() : file_.string();
  if (events == 0) diagnostics.error(pos, "stage 'data': '" + where + "' holds no events");
  for (const auto& target : task_.targets) {
    if (std::find(label_names.begin(), label_names.end(), target) == label_names.end()) {
      diagnostics.error(pos, "stage 'data': target '" + target + "' is not a label column of '" +
                                 where + "'" + did_you_mean(target, label_names) +
                                 "; its columns: " + join(label_names, ", "));
    }
  }
}

void DataStage::check_loaded(const data::EventStore& events, const data::Split& split) const {
  // The targets must be finite (a NaN makes every loss NaN); other columns may hold NaN, as
  // HEP files often do for quantities a noise event does not have.
  const std::string where = source_ == DataSource::kNpy    ? labels_.string()
                            : source_ == DataSource::kFile ? file_.string()
                                                           : std::string("the simulation");
  for (const auto& target : task_.targets) {
    const std::size_t column = events.label_index(target);
    for (std::size_t event = 0; event < events.size(); ++event) {
      const float value = events.label(event, column);
      if (!std::isfinite(value)) {
        throw Error(where + ": event " + std::to_string(event) + ", target '" + target + "' is " +
                    (std::isnan(value) ? "NaN" : "infinite") +
                    "; every target must be a finite number");
      }
    }
  }
  const std::pair<const char*, std::size_t> sets[] = {{"train", split.train.size()},
                                                      {"validation", split.validation.size()},
                                                      {"test", split.test.size()}};
  for (const auto& [set, size] : sets) {
    if (size == 0) {
      throw Error("the " + std::string(set) + " set is empty: " + std::to_string(events.size()) +
                  " events are too few for the split; use more events or a larger 'split." + set +
                  "'");
    }
  }
}

std::vector<std::filesystem::path> DataStage::input_files() const {
  std::vector<std::filesystem::path> files;
  if (source_ == DataSource::kNpy) {
    files = {images_, labels_};
    if (!labels_json_.empty()) files.push_back(labels_json_);
  } else if (source_ == DataSource::kFile) {
    files.push_back(data::store_file_path(file_.string()));
  }
  return files;
}

void DataStage::share_noise(data::Split& split, std::uint64_t seed) const {
  // A seeded shuffle of the noise events: the first share goes to training and validation in
  // the ratio of the muon sets, the rest stays for the fake rate.
  std::vector<std::size_t> noise = split.noise;
  data::Rng rng(data::event_seed(seed, 0x6e6f697365ULL));
  rng.shuffle(noise);
  const auto shared =
      static_cast<std::size_t>(noise_training_fraction_ * static_cast<double>(noise.size()));
  const double learn = train_fraction_ + validation_fraction_;
  const auto to_train =
      learn > 0 ? static_cast<std::size_t>(static_cast<double>(shared) * train_fraction_ / learn)
                : 0;
  split.train.insert(split.train.end(), noise.begin(), noise.begin() + to_train);
  split.validation.insert(split.validation.end(), noise.begin() + to_train, noise.begin() + shared);
  split.noise.assign(noise.begin() + shared, noise.end());
  for (auto* set : {&split.train, &split.validation, &split.noise})
    std::sort(set->begin(), set->end());
}

data::EventStore DataStage::make_events(const StageContext& context) const {
  if (source_ == DataSource::kSimulate) {
    const auto start = std::chrono::steady_clock::now();
    auto store = data::simulate(
        simulation_, static_cast<std::size_t>(events_), static_cast<std::size_t>(noise_events_),
        static_cast<std::uint64_t>(context.settings().seed), context.settings().thread_count());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("simulated {} muon and {} noise-only events in {:.2f} s ({:.0f} events/s)",
                 events_, noise_events_, seconds, static_cast<double>(store.size()) / seconds);
    return store;
  }
  if (source_ == DataSource::kNpy) {
    return data::from_npy(images_.string(), labels_.string(), label_columns_,
                          labels_json_.string());
  }
  return data::read_store(data::store_file_path(file_.string()));
}

void DataStage::run(StageContext& context) {
  Dataset dataset;
  dataset.task = task_;
  // The figures of merit use the run's evaluation settings, as a dataset loaded later does.
  dataset.task.threshold = context.state().threshold;
  dataset.task.plateau_offset = context.state().plateau_offset;
  dataset.geometry = simulation_;
  dataset.simulated = source_ == DataSource::kSimulate;
  try {
    dataset.events = make_events(context);
    throw_if_interrupted();
    for (const auto& target : task_.targets) dataset.events.label_index(target);
    dataset.split =
        data::split_events(dataset.events, {train_fraction_, validation_fraction_, test_fraction_},
                           static_cast<std::uint64_t>(context.settings().seed));
    share_noise(dataset.split, static_cast<std::uint64_t>(context.settings().seed));
    check_loaded(dataset.events, dataset.split);
    if (export_npy_) data::write_numpy(dataset.events, context.dir().string());
  } catch (const data::DataError& e) {
    throw Error(e.what());
  }
  dataset.prepare_inputs();
  dataset.save(context.dir());

  const auto& events = dataset.events;
  const double n = static_cast<double>(std::max<std::size_t>(events.size(), 1));
  context.metrics() = {
      {"events", events.size()},
      {"noise_events_for_fake_rate", dataset.split.noise.size()},
      {"train", dataset.split.train.size()},
      {"validation", dataset.split.validation.size()},
      {"test", dataset.split.test.size()},
      {"image_shape", {events.layers(), events.columns()}},
      {"input_shape", dataset.input_shape()},
      {"mean_hits_per_event", static_cast<double>(events.hit_count()) / n},
      {"hit_values", events.has_values()},
      {"memory_bytes_per_event", static_cast<double>(events.memory_bytes()) / n},
  };
  spdlog::info(
      "dataset: {} events ({} train, {} validation, {} test, {} noise-only for the fake "
      "rate), input {}{}",
      events.size(), dataset.split.train.size(), dataset.split.validation.size(),
      dataset.split.test.size(), dataset.split.noise.size(), shape_str(dataset.input_shape()),
      events.has_values() ? " with values" : " (binary)");
  context.state().artifacts["dataset"] = context.dir();
  context.state().dataset_cache = std::make_shared<const Dataset>(std::move(dataset));
}

}  // namespace hlslim
