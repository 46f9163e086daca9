// The training engine against hand-computed values, and its guarantees: determinism, NaN
// detection, early stopping with the best weights, and interrupt-and-resume equal to an
// uninterrupted run.
#include "hlslim/train/trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <limits>

#include "hlslim/data/random.hpp"
#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/interrupt.hpp"
#include "support/builders.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

using testing::make_layer;

TrainOptions quiet_options() {
  TrainOptions o;
  OptionTable table;
  o.declare(table);  // defaults
  return o;
}

TEST(Loss, EachLossAgainstHandComputedValues) {
  auto o = quiet_options();
  const auto out = torch::tensor({{1.0f, -2.0f}, {0.5f, 3.0f}});
  const auto target = torch::tensor({{0.0f, 0.0f}, {2.0f, 1.0f}});
  o.loss = Loss::kMae;  // |1| |-2| |-1.5| |2| -> 6.5 / 4
  EXPECT_FLOAT_EQ(Trainer::loss(o, out, target).item<float>(), 1.625f);
  o.loss = Loss::kMse;  // 1 4 2.25 4 -> 11.25 / 4
  EXPECT_FLOAT_EQ(Trainer::loss(o, out, target).item<float>(), 2.8125f);
  o.loss = Loss::kHuber;  // delta 1: 0.5, 1.5, 1.0, 1.5 -> 4.5 / 4
  EXPECT_FLOAT_EQ(Trainer::loss(o, out, target).item<float>(), 1.125f);
  o.loss = Loss::kMae;
  o.loss_weights = {1.0, 0.5};  // 1 + 1 + 1.5 + 1 -> 4.5 / 4
  EXPECT_FLOAT_EQ(Trainer::loss(o, out, target).item<float>(), 1.125f);
  o.loss_weights.clear();
  o.loss = Loss::kBce;  // logit 0 against 1: log 2
  EXPECT_NEAR(Trainer::loss(o, torch::zeros({1, 1}), torch::ones({1, 1})).item<float>(),
              std::log(2.0f), 1e-6f);
  o.loss = Loss::kCe;  // logits [0, ln 3], one-hot class 1: -log(3/4)
  EXPECT_NEAR(
      Trainer::loss(o, torch::tensor({{0.0f, std::log(3.0f)}}), torch::tensor({{0.0f, 1.0f}}))
          .item<float>(),
      -std::log(0.75f), 1e-6f);
}

// One weight w, one input x = 1 (a single hit), target 0, loss mse: the gradient is 2w.
struct OneWeight {
  data::EventStore store{1, 1, {"t"}};
  Graph graph;
  std::unique_ptr<BatchSource> source;
  TrainData data;

  OneWeight() {
    const std::uint32_t pixel = 0;
    const float label = 0.0f;
    store.add_event(&pixel, 1, &label);
    graph.name = "w";
    graph.input_shape = {1, 1, 1};
    graph.layers.push_back(make_layer(LayerKind::kFlatten, "f"));
    Layer d = make_layer(LayerKind::kDense, "d");
    d.params.units = 1;
    d.params.bias = false;
    d.tensors["weight"] = Tensor({1, 1}, 2.0f);
    graph.layers.push_back(d);
    TargetNormalization identity{{"t"}, {0.0}, {1.0}};
    source = std::make_unique<BatchSource>(store, identity);
    data.source = source.get();
    data.train = {0};
    data.validation = {0};
    data.input_shape = graph.input_shape;
  }

  float train(TrainOptions options) {
    GraphModule module(graph);
    Trainer trainer(module, options, 1);
    trainer.fit(data, {});
    // The last epoch's weights, whatever the best epoch was.
    return module->named_parameters()["d.weight"].item<float>();
  }
};

TEST(Optimizers, FirstStepsAgainstHandComputedValues) {
  OneWeight problem;
  auto o = quiet_options();
  o.loss = Loss::kMse;
  o.batch_size = 1;
  o.epochs = 1;
  o.monitor = "val_loss";
  o.learning_rate = 0.1;
  o.early_stopping = 0;

  o.optimizer = Optimizer::kSgd;
  o.momentum = 0.0;
  EXPECT_FLOAT_EQ(problem.train(o), 1.6f);  // 2 - 0.1 * 4
  // With momentum 0.9 the second step uses 0.9 * 4 + 3.2. Best-weight restore is bypassed by
  // making every epoch an improvement (the loss falls).
  o.momentum = 0.9;
  o.epochs = 2;
  EXPECT_NEAR(problem.train(o), 1.6f - 0.1f * 6.8f, 1e-6f);
  o.epochs = 1;
  o.optimizer = Optimizer::kAdam;  // first Adam step moves by lr * g / (|g| + eps)
  EXPECT_NEAR(problem.train(o), 1.9f, 1e-6f);
  o.optimizer = Optimizer::kAdamW;  // decoupled decay first: w (1 - lr wd), then the Adam step
  o.weight_decay = 0.1;
  EXPECT_NEAR(problem.train(o), 2.0f * (1.0f - 0.01f) - 0.1f, 1e-6f);
}

TEST(Schedules, LearningRatePerEpoch) {
  OneWeight problem;
  auto o = quiet_options();
  o.loss = Loss::kMse;
  o.batch_size = 1;
  o.epochs = 4;
  o.learning_rate = 1e-3;
  o.optimizer = Optimizer::kSgd;
  o.momentum = 0;
  auto rates = [&](TrainOptions options) {
    GraphModule module(problem.graph);
    Trainer trainer(module, options, 1);
    std::vector<double> out;
    for (const auto& r : trainer.fit(problem.data, {}).history) out.push_back(r.learning_rate);
    return out;
  };
  o.schedule = LrSchedule::kStep;
  o.step_epochs = 2;
  o.gamma = 0.1;
  const auto step = rates(o);
  EXPECT_DOUBLE_EQ(step[1], 1e-3);
  EXPECT_NEAR(step[2], 1e-4, 1e-12);
  o.schedule = LrSchedule::kCosine;
  o.min_learning_rate = 0;
  const auto cosine = rates(o);
  EXPECT_DOUBLE_EQ(cosine[0], 1e-3);
  EXPECT_NEAR(cosine[2], 0.5e-3, 1e-12);  // half way: cos(pi/2) = 0
}

// A model with every kind of randomness in training (initialisation, shuffling, dropout)
// learning the number of hits in a 4 x 6 image.
struct HitCounting {
  data::EventStore store{4, 6, {"hits"}};
  Graph graph;
  std::unique_ptr<BatchSource> source;
  TrainData data;

  HitCounting() {
    data::Rng rng(5);
    for (int e = 0; e < 600; ++e) {
      std::vector<std::uint32_t> pixels;
      for (std::uint32_t p = 0; p < 24; ++p)
        if (rng.uniform() < 0.3) pixels.push_back(p);
      const float label = static_cast<float>(pixels.size());
      store.add_event(pixels.data(), pixels.size(), &label);
    }
    graph.name = "counter";
    graph.input_shape = {1, 4, 6};
    graph.layers.push_back(make_layer(LayerKind::kFlatten, "f"));
    Layer d1 = make_layer(LayerKind::kDense, "d1");
    d1.params.units = 8;
    graph.layers.push_back(d1);
    Layer drop = make_layer(LayerKind::kDropout, "drop");
    drop.params.rate = 0.1;
    graph.layers.push_back(drop);
    Layer d2 = make_layer(LayerKind::kDense, "d2");
    d2.params.units = 1;
    graph.layers.push_back(d2);
    for (std::size_t i = 0; i < 500; ++i) data.train.push_back(i);
    for (std::size_t i = 500; i < 600; ++i) data.validation.push_back(i);
    source = std::make_unique<BatchSource>(
        store, TargetNormalization::fit(store, {"hits"}, data.train, true));
    data.source = source.get();
    data.input_shape = graph.input_shape;
  }

  TrainOptions options() const {
    auto o = quiet_options();
    o.loss = Loss::kMse;
    o.batch_size = 32;
    o.epochs = 6;
    o.learning_rate = 0.01;
    return o;
  }
};

std::vector<float> weights_of(GraphModule& module) {
  std::vector<float> out;
  for (const auto& p : module->parameters()) {
    const auto t = p.detach().contiguous();
    out.insert(out.end(), t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  return out;
}

TEST(Trainer, FitsAKnownFunction) {
  HitCounting problem;
  auto o = problem.options();
  o.epochs = 40;
  torch::manual_seed(1);
  GraphModule module(problem.graph);
  Trainer trainer(module, o, 1);
  const auto result = trainer.fit(problem.data, {});
  // Normalized MSE of a hit count, which a linear layer represents exactly.
  EXPECT_LT(result.history.back().val_loss, 0.01);
  // The throughput is the samples of every epoch over the time spent training them.
  const double samples = 40.0 * static_cast<double>(problem.data.train.size());
  EXPECT_NEAR(result.samples_per_second * result.seconds, samples, 1e-9 * samples);
}

TEST(Trainer, SameSeedGivesIdenticalWeights) {
  HitCounting problem;
  std::vector<float> runs[2];
  for (auto& weights : runs) {
    torch::manual_seed(3);
    GraphModule module(problem.graph);
    Trainer trainer(module, problem.options(), 3);
    trainer.fit(problem.data, {});
    weights = weights_of(module);
  }
  EXPECT_EQ(runs[0], runs[1]);
}

TEST(Trainer, NanLossStopsWithEpochAndStep) {
  HitCounting problem;
  auto o = problem.options();
  o.learning_rate = 1e30;
  o.optimizer = Optimizer::kSgd;
  torch::manual_seed(1);
  GraphModule module(problem.graph);
  Trainer trainer(module, o, 1);
  try {
    trainer.fit(problem.data, {});
    FAIL() << "expected the loss to diverge";
  } catch (const Error& e) {
    const std::string text = e.what();
    EXPECT_EQ(text.rfind("the training loss became ", 0), 0u) << text;
    EXPECT_NE(text.find(" at epoch 1, step "), std::string::npos) << text;
  }
}

// Replaces each epoch's val_loss so the best epoch is known, and records the weights then.
class ScriptedValidation : public TrainHook {
 public:
  explicit ScriptedValidation(std::vector<double> losses) : losses_(std::move(losses)) {}
  void on_epoch_end(Trainer& trainer, EpochRecord& record) override {
    record.val_loss = losses_.at(static_cast<std::size_t>(record.epoch - 1));
    weights.push_back(weights_of(trainer.module()));
  }
  std::vector<std::vector<float>> weights;

 private:
  std::vector<double> losses_;
};

TEST(Trainer, EarlyStoppingKeepsTheBestEpoch) {
  HitCounting problem;
  auto o = problem.options();
  o.epochs = 10;
  o.early_stopping = 2;
  ScriptedValidation script({1.0, 0.5, 0.7, 0.6, 0.1});
  torch::manual_seed(1);
  GraphModule module(problem.graph);
  Trainer trainer(module, o, 1);
  trainer.add_hook(&script);
  const auto result = trainer.fit(problem.data, {});
  EXPECT_TRUE(result.stopped_early);
  EXPECT_EQ(result.history.size(), 4u);  // epochs 3 and 4 did not improve on epoch 2
  EXPECT_EQ(result.best_epoch, 2);
  EXPECT_EQ(weights_of(module), script.weights[1]);
}

// Raises SIGINT (as recorded by the handler) after a given optimizer step.
class InterruptAt : public TrainHook {
 public:
  explicit InterruptAt(std::int64_t step) : step_(step) {}
  void after_step(Trainer& trainer) override {
    if (trainer.global_step() == step_) raise_interrupt(SIGINT);
  }

 private:
  std::int64_t step_;
};

TEST(Trainer, InterruptAndResumeEqualsAnUninterruptedRun) {
  HitCounting problem;
  const auto dir = testing::temp_dir("resume");
  auto o = problem.options();
  o.checkpoint_every = 2;
  std::vector<float> uninterrupted;
  {
    torch::manual_seed(9);
    GraphModule module(problem.graph);
    Trainer trainer(module, o, 9);
    trainer.fit(problem.data, {});
    uninterrupted = weights_of(module);
  }
  // Interrupted in the middle of epoch 4 (16 steps per epoch), after a checkpoint at epoch 2.
  reset_interrupt();
  {
    torch::manual_seed(9);
    GraphModule module(problem.graph);
    Trainer trainer(module, o, 9);
    InterruptAt hook(16 * 3 + 5);
    trainer.add_hook(&hook);
    EXPECT_THROW(trainer.fit(problem.data, dir / "checkpoint"), Interrupted);
  }
  reset_interrupt();
  // A new process would start from scratch with other random state: the checkpoint restores it.
  torch::manual_seed(12345);
  GraphModule module(problem.graph);
  Trainer trainer(module, o, 9);
  const auto result = trainer.fit(problem.data, dir / "checkpoint");
  EXPECT_EQ(result.history.size(), 6u);
  EXPECT_EQ(weights_of(module), uninterrupted);
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

// L1/L2 penalties resolve per layer (name > type > default) and apply to weights only.
TEST(Trainer, PenaltiesPerLayerAgainstHandComputedValues) {
  Graph graph;
  graph.name = "p";
  graph.input_shape = {2};
  for (const char* name : {"a", "b"}) {
    Layer d = testing::make_layer(LayerKind::kDense, name);
    d.params.units = 2;
    d.tensors["weight"] = Tensor({2, 2}, name[0] == 'a' ? 1.0f : -2.0f);
    d.tensors["bias"] = Tensor({2}, 100.0f);  // biases are never penalised
    graph.layers.push_back(d);
  }
  auto options = quiet_options();
  options.l2 = 0.5;                                       // default: every weight
  options.regularization = YAML::Load("{b: {l1: 0.1}}");  // layer b: L1 0.1, L2 still 0.5
  GraphModule module(graph);
  Trainer trainer(module, options, 1);
  // a: 0.5 * 4 * 1^2 = 2; b: 0.1 * 4 * 2 + 0.5 * 4 * 4 = 0.8 + 8.
  EXPECT_NEAR(trainer.penalty().item<float>(), 2.0f + 0.8f + 8.0f, 1e-5f);
  options.regularization = YAML::Load("{dense: {l2: 0}}");  // by type: no L2 anywhere
  Trainer none(module, options, 1);
  EXPECT_FLOAT_EQ(none.penalty().item<float>(), 0.0f);
}

}  // namespace
}  // namespace hlslim

namespace hlslim {
namespace {

TrainResult three_epochs() {
  TrainResult result;
  for (int epoch = 1; epoch <= 3; ++epoch) {
    EpochRecord record;
    record.epoch = epoch;
    record.metrics = {{"pt_spread", 1.0 + 0.25 * epoch}, {"plateau_eff", 0.99}};
    record.selectable = epoch > 1;
    result.history.push_back(record);
  }
  result.best_epoch = 2;
  return result;
}

// A checkpoint's history survives values JSON cannot spell: NaN and infinity are written as
// null and read back as NaN, so resuming never fails on them.
TEST(EpochRecordJson, NonFiniteValuesRoundTripAsNaN) {
  EpochRecord record;
  record.epoch = 3;
  record.loss = 0.5;
  record.val_loss = std::numeric_limits<double>::quiet_NaN();
  record.metrics = {{"pt_spread", INFINITY}, {"plateau_eff", 0.25}};
  record.selectable = false;
  const EpochRecord back = EpochRecord::from_json(nlohmann::json::parse(record.to_json().dump()));
  EXPECT_EQ(back.epoch, 3);
  EXPECT_EQ(back.loss, 0.5);
  EXPECT_TRUE(std::isnan(back.val_loss));
  EXPECT_TRUE(std::isnan(back.metrics.at("pt_spread")));
  EXPECT_EQ(back.metrics.at("plateau_eff"), 0.25);
  EXPECT_FALSE(back.selectable);
}

TEST(SelectedEpoch, IsTheBestOrElseTheLast) {
  TrainResult result = three_epochs();
  EXPECT_EQ(result.selected().epoch, 2);
  result.best_epoch = 0;  // none was selectable: fit() keeps the last epoch's weights
  EXPECT_EQ(result.selected().epoch, 3);
}

TEST(SelectedEpoch, SavedFiguresMustReproduceItToTheLastDigit) {
  const TrainResult result = three_epochs();
  EXPECT_NO_THROW(
      check_selected_epoch(result, {{"pt_spread", 1.5}, {"plateau_eff", 0.99}}, "stage 'prune': "));
  try {
    check_selected_epoch(result, {{"pt_spread", 1.5000000000000002}, {"plateau_eff", 0.98}},
                         "stage 'prune': ");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRuntime);
    EXPECT_EQ(std::string(e.what()),
              "stage 'prune': the saved model does not reproduce the validation figures of the "
              "epoch it selected (epoch 2 of 3): plateau_eff 0.98 (saved model) vs 0.99 (epoch "
              "2), pt_spread 1.5000000000000002 (saved model) vs 1.5 (epoch 2)");
  }
  // Within a stated tolerance (a smaller layer sums in another order).
  EXPECT_NO_THROW(
      check_selected_epoch(result, {{"pt_spread", 1.50001}, {"plateau_eff", 0.99}}, "", 1e-4));
  EXPECT_THROW(check_selected_epoch(result, {{"pt_spread", 1.6}, {"plateau_eff", 0.99}}, "", 1e-4),
               Error);
}

}  // namespace
}  // namespace hlslim

#include "hlslim/train/degradation.hpp"

namespace hlslim {
namespace {

TEST(Degradation, RelativeWorseningInTheFiguresDirection) {
  // val_loss is not a figure of merit: pt_spread is judged; lower is better.
  auto d = compare_figures({{"pt_spread", 0.8}, {"plateau_eff", 0.99}},
                           {{"pt_spread", 1.0}, {"plateau_eff", 0.98}}, "val_loss", 0.1);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->figure, "pt_spread");
  EXPECT_NEAR(d->change, 0.25, 1e-12);
  EXPECT_TRUE(d->exceeded);
  // The monitored figure when both have it; higher is better for efficiencies.
  d = compare_figures({{"pt_spread", 0.8}, {"plateau_eff", 0.5}},
                      {{"pt_spread", 1.0}, {"plateau_eff", 0.48}}, "plateau_eff", 0.1);
  EXPECT_EQ(d->figure, "plateau_eff");
  EXPECT_NEAR(d->change, 0.04, 1e-12);
  EXPECT_FALSE(d->exceeded);
  // An improvement is a negative change; a limit of 0 never warns; NaN after always does.
  d = compare_figures({{"pt_spread", 1.0}}, {{"pt_spread", 0.9}}, "pt_spread", 0.1);
  EXPECT_NEAR(d->change, -0.1, 1e-12);
  EXPECT_FALSE(compare_figures({{"pt_spread", 1.0}}, {{"pt_spread", 9.0}}, "", 0)->exceeded);
  EXPECT_TRUE(compare_figures({{"pt_spread", 1.0}}, {{"pt_spread", NAN}}, "", 0.1)->exceeded);
  EXPECT_FALSE(compare_figures({{"pt_mae", 1.0}}, {{"pt_mae", 2.0}}, "val_loss", 0.1));
}

}  // namespace
}  // namespace hlslim
