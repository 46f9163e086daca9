// When no epoch can be selected, the trainer's warning says why: a monitored figure that was
// never computed is not blamed on compression.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "hlslim/train/trainer.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

// Runs a one-weight training whose validation figures never include `monitor`, and returns
// what it logged.
std::string train_logging(const std::string& monitor) {
  data::EventStore store{1, 1, {"t"}};
  const std::uint32_t pixel = 0;
  const float label = 0.0f;
  store.add_event(&pixel, 1, &label);
  Graph graph;
  graph.name = "w";
  graph.input_shape = {1, 1, 1};
  graph.layers.push_back(testing::make_layer(LayerKind::kFlatten, "f"));
  Layer d = testing::make_layer(LayerKind::kDense, "d");
  d.params.units = 1;
  graph.layers.push_back(d);
  const BatchSource source(store, TargetNormalization{{"t"}, {0.0}, {1.0}});
  TrainData data;
  data.source = &source;
  data.train = {0};
  data.validation = {0};
  data.input_shape = graph.input_shape;
  data.validation_figures = [](const BatchPredictor&) { return std::map<std::string, double>{}; };
  TrainOptions options;
  OptionTable table;
  options.declare(table);
  options.loss = Loss::kMse;
  options.epochs = 2;
  options.monitor = monitor;

  std::ostringstream log;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  GraphModule module(graph);
  Trainer trainer(module, options, 1);
  const TrainResult result = trainer.fit(data, {});
  spdlog::set_default_logger(previous);
  EXPECT_EQ(result.best_epoch, 0);
  return log.str();
}

TEST(MonitorWarning, AFigureNeverComputedIsNamedNotBlamedOnCompression) {
  const std::string log = train_logging("accuracy");
  EXPECT_NE(log.find("the monitored figure 'accuracy' was never a number on the validation set "
                     "(not computed for this task, or NaN), so no epoch was selected; keeping "
                     "the last epoch's weights"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("compression"), std::string::npos) << log;
}

}  // namespace
}  // namespace hlslim
