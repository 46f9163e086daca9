#include "stage_results.hpp"

#include <limits>

#include "hlslim/data/npy.hpp"
#include "hlslim/engine/precision.hpp"
#include "quantize_report.hpp"

namespace hlslim {

Evaluation make_evaluation(const std::string& model, ModelRole role, bool fixed_point,
                           const nlohmann::json& figures) {
  Evaluation e;
  e.model = model;
  e.role = role;
  e.fixed_point = fixed_point;
  if (!figures.is_object()) return e;
  for (const auto& [name, value] : figures.items()) {
    if (value.is_number()) {
      e.figures[name] = value.get<double>();
    } else if (value.is_null()) {
      e.figures[name] = std::numeric_limits<double>::quiet_NaN();
    } else {
      e.distributions[name] = value;
      // A binary head of several 'bce' outputs: its figures go by "<head>/roc_auc" and
      // "<head>/accuracy", so that the summary, the report and collect show them.
      if (value.is_object() && value.contains("roc_auc") && value.contains("accuracy")) {
        for (const char* figure : {"roc_auc", "accuracy"}) {
          const auto& v = value[figure];
          e.figures[name + "/" + figure] =
              v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
        }
      }
    }
  }
  return e;
}

Evaluation with_predictions(Evaluation evaluation, const TestPredictions& predictions,
                            const std::filesystem::path& dir) {
  if (predictions.pt.empty()) return evaluation;
  const std::size_t n = predictions.pt.size();
  std::vector<float> rows(2 * n, std::numeric_limits<float>::quiet_NaN());
  for (std::size_t i = 0; i < n; ++i) {
    rows[2 * i] = predictions.pt[i];
    if (predictions.eta.size() == n) rows[2 * i + 1] = predictions.eta[i];
  }
  const std::string file = "predictions-" + std::string(model_role_name(evaluation.role)) + "-" +
                           evaluation.model + ".npy";
  data::write_npy((dir / file).string(), {n, 2}, rows.data());
  evaluation.predictions = file;
  return evaluation;
}

ModelSize model_size(const std::string& model, const Graph& graph) {
  const LayerSummary totals = graph.totals();
  ModelSize size{model, totals.parameters, totals.nonzero_parameters, totals.macs, std::nullopt};
  if (has_precision(graph)) size.weight_bits = total_weight_bits(graph, read_precision(graph));
  return size;
}

OverflowCounts overflow_counts(const std::string& model, const Graph& graph,
                               const EngineStats& stats) {
  OverflowCounts counts{model, stats.input_overflows, {}};
  for (std::size_t i = 0; i < stats.layers.size() && i < graph.layers.size(); ++i) {
    counts.layers[graph.layers[i].name] =
        stats.layers[i].accum_overflows + stats.layers[i].result_overflows;
  }
  return counts;
}

DegradationResult degradation_result(const std::string& model, const Degradation& d) {
  return {model, d.figure, d.before, d.after, d.change, d.limit, d.exceeded};
}

}  // namespace hlslim
