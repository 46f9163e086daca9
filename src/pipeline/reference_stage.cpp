#include "reference_stage.hpp"

#include <spdlog/spdlog.h>

#include "hlslim/data/classical.hpp"
#include "hlslim/data/error.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "stage_results.hpp"

namespace hlslim {

void ReferenceStage::declare(OptionTable& t) {
  t.add_int("road_columns", road_columns_, 32,
            "Station clusters further than this many columns from the middle station's are "
            "ignored (noise rejection).")
      .min(1);
  t.add_int("min_station_layers", min_station_layers_, 2,
            "Layers with hits a station cluster needs to count as a measurement.")
      .min(1);
}

void ReferenceStage::check(PipelineSketch& sketch, const SourcePos& pos,
                           Diagnostics& diagnostics) const {
  if (!sketch.data) {
    diagnostics.error(pos, "stage 'reference' needs a dataset: put a 'data' stage before it");
  } else if (!sketch.data->simulated) {
    diagnostics.error(pos,
                      "stage 'reference': the classical reference needs the simulation's "
                      "detector geometry, but the data stage reads its events from files; "
                      "remove this stage or simulate the events");
  }
}

void ReferenceStage::run(StageContext& context) {
  const Dataset& dataset = context.state().dataset();
  if (!dataset.simulated) {
    throw Error(
        "the classical reference needs the simulation's detector geometry; this "
        "dataset was not simulated");
  }
  std::vector<std::size_t> indices = dataset.split.test;
  indices.insert(indices.end(), dataset.split.noise.begin(), dataset.split.noise.end());
  try {
    data::ClassicalOptions options;
    options.road_columns = static_cast<std::size_t>(road_columns_);
    options.min_station_layers = static_cast<std::size_t>(min_station_layers_);
    const data::ClassicalEstimator estimator(dataset.geometry, options);
    std::vector<float> pt;
    std::vector<float> eta;
    std::size_t fitted = 0;
    for (std::size_t i = 0; i < indices.size(); ++i) {
      const auto estimate = estimator.estimate(dataset.events, indices[i]);
      pt.push_back(estimate.pt_gev);
      eta.push_back(estimate.eta);
      if (i < dataset.split.test.size() && estimate.fitted) ++fitted;
    }
    const auto inputs = data::make_trigger_inputs(dataset.events, indices, pt, eta);
    const auto metrics = data::compute_trigger_metrics(inputs, dataset.metrics_options());
    context.metrics() = metrics.to_json();
    context.results().evaluations.push_back(with_predictions(
        make_evaluation("classical", ModelRole::kReference, false, context.metrics()),
        TestPredictions{pt, eta}, context.dir()));
    // Share of test muons whose sagitta could be measured (the others never fire).
    context.metrics()["fitted_fraction"] =
        static_cast<double>(fitted) /
        static_cast<double>(std::max<std::size_t>(dataset.split.test.size(), 1));
    spdlog::info("classical reference: pt_spread {:.3f} GeV, plateau_eff {:.4f}, fake_rate {:.5f}",
                 metrics.pt_spread, metrics.plateau_eff, metrics.fake_rate);
  } catch (const data::DataError& e) {
    throw Error(e.what());
  }
}

}  // namespace hlslim
