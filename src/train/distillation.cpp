#include "hlslim/train/distillation.hpp"

#include <algorithm>

#include "hlslim/util/errors.hpp"

namespace hlslim {

torch::Tensor soft_label_loss(const torch::Tensor& student_logits,
                              const torch::Tensor& teacher_logits, double temperature) {
  const double t2 = temperature * temperature;
  if (student_logits.size(1) == 1) {
    const torch::Tensor soft = torch::sigmoid(teacher_logits / temperature);
    return t2 * torch::binary_cross_entropy_with_logits(student_logits / temperature, soft);
  }
  const torch::Tensor log_student = torch::log_softmax(student_logits / temperature, 1);
  const torch::Tensor log_teacher = torch::log_softmax(teacher_logits / temperature, 1);
  const torch::Tensor kl = (log_teacher.exp() * (log_teacher - log_student)).sum(1);
  return t2 * kl.mean();
}

torch::Tensor binary_soft_label_loss(const torch::Tensor& student_logits,
                                     const torch::Tensor& teacher_logits, double temperature) {
  const torch::Tensor soft = torch::sigmoid(teacher_logits / temperature);
  return temperature * temperature *
         torch::binary_cross_entropy_with_logits(student_logits / temperature, soft);
}

torch::Tensor regression_distillation_loss(const torch::Tensor& student,
                                           const torch::Tensor& teacher,
                                           const std::vector<Loss>& losses,
                                           const std::vector<double>& weights, double huber_delta) {
  std::vector<torch::Tensor> columns;
  for (std::int64_t j = 0; j < student.size(1); ++j) {
    const torch::Tensor s = student.select(1, j);
    const torch::Tensor t = teacher.select(1, j);
    const Loss kind = losses.at(static_cast<std::size_t>(j));
    torch::Tensor e;
    switch (kind) {
      case Loss::kMae:
        e = (s - t).abs();
        break;
      case Loss::kMse:
        e = (s - t).square();
        break;
      case Loss::kHuber:
        e = torch::huber_loss(s, t, at::Reduction::None, huber_delta);
        break;
      case Loss::kBce:
      case Loss::kCe:
        throw Error(std::string("the distillation loss of a regression output cannot be '") +
                    enum_name(loss_names(), kind) + "'");
    }
    if (!weights.empty()) e = e * weights.at(static_cast<std::size_t>(j));
    columns.push_back(e);
  }
  return torch::stack(columns, 1).mean();
}

TeacherCache::TeacherCache(GraphModule teacher, const BatchSource& source,
                           const std::vector<std::size_t>& indices,
                           std::vector<std::size_t> hint_layers, std::size_t cache_bytes)
    : teacher_(std::move(teacher)), source_(source), hint_layers_(std::move(hint_layers)) {
  const auto shapes = teacher_->architecture().shapes();
  std::size_t bytes_per_sample = 0;
  for (std::size_t layer : hint_layers_) {
    bytes_per_sample += static_cast<std::size_t>(shape_numel(shapes.at(layer + 1))) * sizeof(float);
  }
  features_cached_ = bytes_per_sample * indices.size() <= cache_bytes;
  const std::size_t largest =
      indices.empty() ? 0 : *std::max_element(indices.begin(), indices.end());
  rows_.assign(largest + 1, -1);
  for (std::size_t i = 0; i < indices.size(); ++i) rows_[indices[i]] = static_cast<std::int64_t>(i);
  const auto computed = run(indices, features_cached_ ? hint_layers_ : std::vector<std::size_t>{});
  outputs_ = computed.at(0);
  if (features_cached_) features_.assign(computed.begin() + 1, computed.end());
}

std::vector<torch::Tensor> TeacherCache::run(const std::vector<std::size_t>& indices,
                                             const std::vector<std::size_t>& taps) {
  torch::NoGradGuard no_grad;
  teacher_->eval();
  teacher_->set_taps(taps);
  const auto& input_shape = teacher_->architecture().input_shape;
  constexpr std::size_t kBatch = 4096;
  std::vector<float> x(kBatch * source_.input_size());
  std::vector<std::vector<torch::Tensor>> parts;
  for (std::size_t start = 0; start < indices.size(); start += kBatch) {
    const std::size_t n = std::min(kBatch, indices.size() - start);
    source_.fill(indices.data() + start, n, x.data(), nullptr);
    std::vector<std::int64_t> shape{static_cast<std::int64_t>(n)};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    std::vector<torch::Tensor> batch{
        teacher_->forward_logits(torch::from_blob(x.data(), shape, torch::kFloat32)).clone()};
    for (std::size_t layer : taps) batch.push_back(teacher_->tap(layer).flatten(1).clone());
    parts.push_back(std::move(batch));
    teacher_samples_ += static_cast<std::int64_t>(n);
  }
  std::vector<torch::Tensor> out;
  if (parts.empty()) return {torch::empty({0, 0})};
  for (std::size_t k = 0; k < parts.front().size(); ++k) {
    std::vector<torch::Tensor> column;
    for (auto& p : parts) column.push_back(p[k]);
    out.push_back(torch::cat(column, 0));
  }
  return out;
}

std::int64_t TeacherCache::row(std::size_t index) const {
  if (index >= rows_.size() || rows_[index] < 0) {
    throw Error("distillation: sample " + std::to_string(index) + " has no cached teacher output");
  }
  return rows_[index];
}

torch::Tensor TeacherCache::outputs(const std::vector<std::size_t>& indices) const {
  std::vector<std::int64_t> rows;
  rows.reserve(indices.size());
  for (std::size_t i : indices) rows.push_back(row(i));
  return outputs_.index_select(0, torch::tensor(rows, torch::kLong));
}

torch::Tensor TeacherCache::features(std::size_t hint, const std::vector<std::size_t>& indices) {
  if (features_cached_) {
    std::vector<std::int64_t> rows;
    rows.reserve(indices.size());
    for (std::size_t i : indices) rows.push_back(row(i));
    return features_.at(hint).index_select(0, torch::tensor(rows, torch::kLong));
  }
  // Too large to keep: run the teacher on this batch for this hint.
  return run(indices, {hint_layers_.at(hint)}).at(1);
}

DistillationHook::DistillationHook(TeacherCache& cache, DistillationSettings settings,
                                   std::vector<HintPair> hints,
                                   const std::vector<std::int64_t>& student_feature_sizes,
                                   const std::vector<std::int64_t>& teacher_feature_sizes)
    : cache_(cache), settings_(std::move(settings)), hints_(std::move(hints)) {
  for (std::size_t h = 0; h < hints_.size(); ++h) {
    adapters_.emplace_back(
        torch::nn::LinearOptions(student_feature_sizes.at(h), teacher_feature_sizes.at(h)));
  }
}

void DistillationHook::attach(Trainer& trainer) {
  trainer.set_truth_weight(settings_.alpha);
  if (adapters_.empty()) return;
  trainer.add_parameters(adapter_parameters());
  std::vector<std::size_t> taps;
  for (const auto& hint : hints_) taps.push_back(hint.student_layer);
  trainer.module()->set_taps(taps);
}

std::vector<torch::Tensor> DistillationHook::adapter_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& adapter : adapters_) {
    for (const auto& p : adapter->parameters()) out.push_back(p);
  }
  return out;
}

torch::Tensor DistillationHook::extra_loss(Trainer& trainer,
                                           const std::vector<std::size_t>& indices,
                                           const torch::Tensor& output) {
  torch::Tensor total;
  const auto add = [&total](const torch::Tensor& term) {
    total = total.defined() ? total + term : term;
  };
  if (settings_.alpha < 1.0) {
    const torch::Tensor teacher = cache_.outputs(indices);
    const torch::Tensor distill =
        settings_.classification && !settings_.softmax && output.size(1) > 1
            ? binary_soft_label_loss(output, teacher, settings_.temperature)
        : settings_.classification
            ? soft_label_loss(output, teacher, settings_.temperature)
            : regression_distillation_loss(output, teacher, settings_.losses,
                                           settings_.loss_weights, settings_.huber_delta);
    add((1.0 - settings_.alpha) * distill);
  }
  for (std::size_t h = 0; h < hints_.size(); ++h) {
    const torch::Tensor student = trainer.module()->tap(hints_[h].student_layer).flatten(1);
    const torch::Tensor target = cache_.features(h, indices);
    add(hints_[h].weight * (adapters_[h]->forward(student) - target).square().mean());
  }
  return total;
}

void DistillationHook::save_state(const std::filesystem::path& dir) {
  if (adapters_.empty()) return;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : adapter_parameters()) tensors.push_back(p.detach().clone());
  torch::save(tensors, (dir / "adapters.pt").string());
}

void DistillationHook::load_state(const std::filesystem::path& dir) {
  if (adapters_.empty()) return;
  std::vector<torch::Tensor> tensors;
  torch::load(tensors, (dir / "adapters.pt").string());
  torch::NoGradGuard no_grad;
  const auto params = adapter_parameters();
  if (tensors.size() != params.size()) {
    throw Error("checkpoint '" + dir.string() + "': adapters do not match the hints");
  }
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(tensors[i]);
}

}  // namespace hlslim
