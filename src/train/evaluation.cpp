#include "hlslim/train/evaluation.hpp"

#include <algorithm>
#include <cmath>

#include "hlslim/data/error.hpp"
#include "hlslim/data/fragmenter.hpp"
#include "hlslim/data/metrics.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"

namespace hlslim {

BatchPredictor engine_predictor(const FixedEngine& engine, EngineStats* stats) {
  return [&engine, stats](const float* x, std::size_t n, float* y) { engine.run(x, n, y, stats); };
}

std::vector<std::vector<float>> predict(const BatchPredictor& predictor, const BatchSource& source,
                                        const std::vector<std::size_t>& indices,
                                        std::size_t batch_size) {
  const std::size_t k = source.target_count();
  const auto& norm = source.normalization();
  std::vector<std::vector<float>> out(k, std::vector<float>(indices.size()));
  std::vector<float> x(batch_size * source.input_size());
  std::vector<float> y(batch_size * k);
  for (std::size_t start = 0; start < indices.size(); start += batch_size) {
    const std::size_t n = std::min(batch_size, indices.size() - start);
    source.fill(indices.data() + start, n, x.data(), nullptr);
    predictor(x.data(), n, y.data());
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < k; ++j) {
        out[j][start + i] = static_cast<float>(y[i * k + j] * norm.scale[j] + norm.mean[j]);
      }
    }
  }
  return out;
}

namespace {

// The figures of a cross-entropy task from its logits (one vector per class): softmax in double,
// then top-1 accuracy, per-class and macro ROC AUC, the confusion matrix and the ROC curves.
nlohmann::json class_figures(const std::vector<std::vector<float>>& logits, const Dataset& dataset,
                             const TargetNormalization& normalization,
                             const std::vector<std::size_t>& indices) {
  const std::size_t k = logits.size();
  const std::size_t n = indices.size();
  std::vector<float> rows(n * k);
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = 0; i < n; ++i) rows[i * k + j] = logits[j][i];
  }
  check_class_labels(dataset.inputs, normalization, indices);
  std::vector<std::size_t> labels(n);
  if (normalization.names.size() == 1) {
    const auto column = dataset.inputs.label_column(normalization.names[0], indices);
    for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::size_t>(column[i]);
  } else {
    for (std::size_t j = 0; j < normalization.names.size(); ++j) {
      const auto column = dataset.inputs.label_column(normalization.names[j], indices);
      for (std::size_t i = 0; i < n; ++i) {
        if (column[i] == 1.0f) labels[i] = j;
      }
    }
  }
  return data::compute_multiclass_metrics(data::softmax_rows(rows, k), labels,
                                          class_names(dataset.inputs, normalization))
      .to_json();
}

}  // namespace

nlohmann::json evaluate_figures(const BatchPredictor& predictor, const Dataset& dataset,
                                const TargetNormalization& normalization,
                                const std::vector<std::size_t>& muon_indices, bool with_noise,
                                bool classification, std::size_t batch_size, TestPredictions* out) {
  std::vector<std::size_t> indices = muon_indices;
  if (with_noise)
    indices.insert(indices.end(), dataset.split.noise.begin(), dataset.split.noise.end());
  const BatchSource source(dataset.inputs, normalization);
  const auto predictions = predict(predictor, source, indices, batch_size);
  const auto& names = normalization.names;
  auto column = [&](const std::string& name) -> const std::vector<float>* {
    const auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? nullptr : &predictions[static_cast<std::size_t>(it - names.begin())];
  };
  nlohmann::json figures = nlohmann::json::object();
  try {
    if (normalization.classes > 0)
      return class_figures(predictions, dataset, normalization, indices);
    if (classification) {
      for (std::size_t j = 0; j < names.size(); ++j) {
        std::vector<float> scores(predictions[j].size());
        for (std::size_t i = 0; i < scores.size(); ++i)
          scores[i] = 1.0f / (1.0f + std::exp(-predictions[j][i]));
        const auto labels = dataset.inputs.label_column(names[j], indices);
        figures[names[j]] = data::compute_classification_metrics(scores, labels).to_json();
      }
      if (names.size() == 1) {
        const nlohmann::json single = figures[names[0]];
        figures = single;
      }
      return figures;
    }
    const auto* pt = column("pt");
    if (!pt) return figures;
    std::vector<float> eta;
    if (const auto* eta_pred = column("eta")) {
      // Windows predict eta local to the window; the figures use global eta.
      eta = dataset.inputs.has_label("eta_offset")
                ? data::global_eta(dataset.inputs, indices, *eta_pred)
                : *eta_pred;
    }
    const auto inputs = data::make_trigger_inputs(dataset.events, indices, *pt, eta);
    if (out) *out = TestPredictions{*pt, eta};
    figures = data::compute_trigger_metrics(inputs, dataset.metrics_options()).to_json();
  } catch (const data::DataError& e) {
    throw Error(std::string("cannot evaluate the figures of merit: ") + e.what());
  }
  return figures;
}

}  // namespace hlslim
