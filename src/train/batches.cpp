#include "hlslim/train/batches.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/util/errors.hpp"

namespace hlslim {

TargetNormalization TargetNormalization::fit(const data::EventStore& store,
                                             const std::vector<std::string>& targets,
                                             const std::vector<std::size_t>& indices,
                                             bool standardize) {
  TargetNormalization n;
  n.names = targets;
  for (const auto& name : targets) {
    const auto values = store.label_column(name, indices);
    double mean = 0.0;
    double square = 0.0;
    for (float v : values) mean += v;
    mean /= static_cast<double>(std::max<std::size_t>(values.size(), 1));
    for (float v : values) square += (v - mean) * (v - mean);
    const double sd =
        std::sqrt(square / static_cast<double>(std::max<std::size_t>(values.size(), 1)));
    n.mean.push_back(standardize ? mean : 0.0);
    n.scale.push_back(standardize && sd > 0 ? sd : 1.0);
  }
  return n;
}

TargetNormalization TargetNormalization::for_classes(const std::vector<std::string>& targets,
                                                     std::int64_t classes) {
  TargetNormalization n;
  n.names = targets;
  n.classes = classes;
  n.mean.assign(static_cast<std::size_t>(classes), 0.0);
  n.scale.assign(static_cast<std::size_t>(classes), 1.0);
  return n;
}

void TargetNormalization::store(Graph& graph) const {
  graph.default_attrs["target_names"] = names;
  graph.default_attrs["target_mean"] = mean;
  graph.default_attrs["target_scale"] = scale;
  if (classes > 0) {
    graph.default_attrs["target_classes"] = classes;
  } else {
    graph.default_attrs.erase("target_classes");
  }
}

std::optional<TargetNormalization> TargetNormalization::from(const Graph& graph) {
  const auto names = graph.default_attrs.find("target_names");
  const auto mean = graph.default_attrs.find("target_mean");
  const auto scale = graph.default_attrs.find("target_scale");
  if (names == graph.default_attrs.end() || mean == graph.default_attrs.end() ||
      scale == graph.default_attrs.end()) {
    return std::nullopt;
  }
  TargetNormalization n;
  n.names = std::get<std::vector<std::string>>(names->second);
  n.mean = std::get<std::vector<double>>(mean->second);
  n.scale = std::get<std::vector<double>>(scale->second);
  if (const auto classes = graph.default_attrs.find("target_classes");
      classes != graph.default_attrs.end()) {
    n.classes = std::get<std::int64_t>(classes->second);
  }
  return n;
}

BatchSource::BatchSource(const data::EventStore& inputs, TargetNormalization normalization)
    : inputs_(inputs), normalization_(std::move(normalization)) {
  for (const auto& name : normalization_.names) columns_.push_back(inputs_.label_index(name));
}

void BatchSource::fill(const std::size_t* indices, std::size_t n, float* x, float* y) const {
  inputs_.fill_dense(indices, n, x);
  if (!y) return;
  const std::size_t k = columns_.size();
  if (normalization_.classes > 0 && k == 1) {
    const auto classes = static_cast<std::size_t>(normalization_.classes);
    std::fill(y, y + n * classes, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      const float label = inputs_.label_row(indices[i])[columns_[0]];
      const auto index = static_cast<std::size_t>(std::clamp(label, 0.0f, float(classes - 1)));
      y[i * classes + index] = 1.0f;
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const float* labels = inputs_.label_row(indices[i]);
    for (std::size_t j = 0; j < k; ++j) {
      y[i * k + j] = static_cast<float>((labels[columns_[j]] - normalization_.mean[j]) /
                                        normalization_.scale[j]);
    }
  }
}

}  // namespace hlslim
