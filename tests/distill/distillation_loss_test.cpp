// Distillation losses against hand-computed values, including the temperature limits.
#include <gtest/gtest.h>

#include <cmath>

#include "hlslim/train/distillation.hpp"

namespace hlslim {
namespace {

double value(const torch::Tensor& t) {
  return t.item<double>();
}

TEST(DistillationLoss, BinarySoftLabelsAtTemperature) {
  // Both logits 0: the soft target is 1/2 and the loss ln 2, times T^2.
  const torch::Tensor zero = torch::zeros({3, 1});
  EXPECT_NEAR(value(soft_label_loss(zero, zero, 1.0)), std::log(2.0), 1e-6);
  EXPECT_NEAR(value(soft_label_loss(zero, zero, 2.0)), 4 * std::log(2.0), 1e-5);
  // Student logit 2, teacher logit 0, T = 2: target 1/2, student probability sigmoid(1);
  // BCE = -(0.5 ln s + 0.5 ln(1 - s)) = 0.5 * (ln(1 + e^-1) + ln(1 + e)).
  const double s = 0.5 * (std::log1p(std::exp(-1.0)) + std::log1p(std::exp(1.0)));
  EXPECT_NEAR(value(soft_label_loss(torch::full({1, 1}, 2.0), torch::zeros({1, 1}), 2.0)), 4 * s,
              1e-5);
}

TEST(DistillationLoss, MultiClassIsTheScaledKullbackLeiblerDivergence) {
  // Teacher [ln 3, 0] -> [3/4, 1/4]; student [0, 0] -> [1/2, 1/2].
  const torch::Tensor teacher = torch::tensor({{std::log(3.0f), 0.0f}});
  const torch::Tensor student = torch::zeros({1, 2});
  const double kl = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
  EXPECT_NEAR(value(soft_label_loss(student, teacher, 1.0)), kl, 1e-6);
  // Equal logits: zero at every temperature.
  EXPECT_NEAR(value(soft_label_loss(teacher, teacher, 7.0)), 0.0, 1e-6);
}

TEST(DistillationLoss, HighTemperatureTendsToMatchingCentredLogits) {
  // For T -> infinity, T^2 KL -> sum_k (d_k - mean d)^2 / (2K), d = student - teacher logits.
  // d = [1, 0]: centred [1/2, -1/2], sum of squares 1/2, K = 2 -> 1/8.
  const torch::Tensor student = torch::tensor({{1.0, 0.0}}, torch::kFloat64);
  const torch::Tensor teacher = torch::zeros({1, 2}, torch::kFloat64);
  EXPECT_NEAR(value(soft_label_loss(student, teacher, 1000.0)), 0.125, 1e-4);
  // For T -> 0 the student's softmax becomes one-hot while the teacher's stays uniform: KL grows
  // like d / (2T), so T^2 KL vanishes like T / 2.
  EXPECT_NEAR(value(soft_label_loss(student, teacher, 0.01)), 0.005, 2e-4);
}

TEST(DistillationLoss, RegressionUsesTheLossAndWeightOfEachOutput) {
  const torch::Tensor student = torch::tensor({{1.0f, 2.0f}, {3.0f, -1.0f}});
  const torch::Tensor teacher = torch::tensor({{0.0f, 0.0f}, {1.0f, 1.0f}});
  // mae on output 0: |1|, |2|; mse on output 1 weighted 0.5: 0.5 * 4, 0.5 * 4.
  // Mean over the 4 entries: (1 + 2 + 2 + 2) / 4.
  EXPECT_NEAR(value(regression_distillation_loss(student, teacher, {Loss::kMae, Loss::kMse},
                                                 {1.0, 0.5}, 1.0)),
              7.0 / 4.0, 1e-6);
  // huber with delta 1: |d| = 1 -> 0.5, |d| = 2 -> 1.5; on both outputs: (0.5 + 1.5 + 1.5 + 1.5)
  // / 4.
  EXPECT_NEAR(
      value(regression_distillation_loss(student, teacher, {Loss::kHuber, Loss::kHuber}, {}, 1.0)),
      5.0 / 4.0, 1e-6);
}

}  // namespace
}  // namespace hlslim
