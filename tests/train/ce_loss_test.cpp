// Softmax cross-entropy (loss 'ce') against LibTorch's own cross_entropy on class indices, with
// and without label smoothing, and the logits convention: a trailing softmax is left out of the
// loss and of every prediction.
#include <gtest/gtest.h>

#include "hlslim/train/trainer.hpp"
#include "hlslim/util/errors.hpp"
#include "support/builders.hpp"

namespace hlslim {
namespace {

TrainOptions ce_options(double smoothing) {
  TrainOptions o;
  OptionTable table;
  o.declare(table);
  o.loss = Loss::kCe;
  o.label_smoothing = smoothing;
  return o;
}

TEST(CeLoss, MatchesLibTorchCrossEntropyOnClassIndices) {
  torch::manual_seed(5);
  const auto logits = torch::randn({64, 5}) * 3;
  const auto classes = torch::randint(0, 5, {64}, torch::kLong);
  const auto one_hot = torch::one_hot(classes, 5).to(torch::kFloat32);
  for (const double s : {0.0, 0.1, 0.3, 1.0}) {
    const auto reference = torch::nn::functional::cross_entropy(
        logits, classes, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(s));
    EXPECT_NEAR(Trainer::loss(ce_options(s), logits, one_hot).item<double>(),
                reference.item<double>(), 1e-5)
        << "label_smoothing " << s;
  }
}

TEST(CeLoss, ATrailingSoftmaxIsLeftOutOfTheLogitsAndThePredictions) {
  Graph graph;
  graph.name = "m";
  graph.input_shape = {1, 1, 4};
  Layer dense = testing::make_layer(LayerKind::kDense, "out");
  dense.params.units = 3;
  graph.layers = {testing::make_layer(LayerKind::kFlatten, "flat"), dense,
                  testing::make_layer(LayerKind::kSoftmax, "prob")};
  torch::manual_seed(1);
  GraphModule module(graph);
  const auto x = torch::randn({2, 1, 1, 4});
  const auto logits = module->forward_logits(x);
  EXPECT_TRUE(torch::allclose(module->forward(x), torch::softmax(logits, 1)));
  std::vector<float> y(6);
  torch_predictor(module)(x.contiguous().data_ptr<float>(), 2, y.data());
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[i], logits.flatten()[i].item<float>());
}

TEST(CeLoss, AFineTuningInheritsTheTaskOfTheModel) {
  const TargetNormalization classes = TargetNormalization::for_classes({"class"}, 5);
  TrainOptions defaulted = ce_options(0);
  defaulted.loss = Loss::kMae;  // as declared, loss_defaulted stays true
  EXPECT_EQ(task_options(defaulted, classes).loss, Loss::kCe);
  TrainOptions given = defaulted;
  given.loss = Loss::kMse;
  given.loss_defaulted = false;
  try {
    task_options(given, classes);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "loss 'mse' cannot train a model trained for 5 classes with loss 'ce'");
  }
  const TargetNormalization regression{{"pt", "eta"}, {0.0, 0.0}, {1.0, 1.0}};
  EXPECT_EQ(task_options(defaulted, regression).loss, Loss::kMae);
  try {
    task_options(ce_options(0), regression);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "loss 'ce' cannot train a model trained on the targets pt, eta with another "
                 "loss; train it with loss 'ce'");
  }
}

}  // namespace
}  // namespace hlslim
