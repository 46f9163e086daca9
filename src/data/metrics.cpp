#include "hlslim/data/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "figure_math.hpp"
#include "hlslim/data/error.hpp"

namespace hlslim::data {
using namespace figure_math;

std::vector<double> MetricsOptions::uniform_edges(double lo, double hi, double width) {
  std::vector<double> edges = {lo};
  if (width > 0.0) {
    for (std::size_t i = 1;; ++i) {
      const double edge = lo + static_cast<double>(i) * width;
      if (edge >= hi - 1e-9 * width) break;
      edges.push_back(edge);
    }
  }
  edges.push_back(hi);
  return edges;
}

TriggerInputs make_trigger_inputs(const EventStore& store, const std::vector<std::size_t>& indices,
                                  const std::vector<float>& pt_pred,
                                  const std::vector<float>& eta_pred) {
  if (pt_pred.size() != indices.size() ||
      (!eta_pred.empty() && eta_pred.size() != indices.size())) {
    throw DataError("make_trigger_inputs: " + std::to_string(indices.size()) + " events but " +
                    std::to_string(pt_pred.size()) + " pT and " + std::to_string(eta_pred.size()) +
                    " eta predictions");
  }
  const std::vector<float> pt = store.label_column("pt", indices);
  const std::vector<float> eta =
      eta_pred.empty() ? std::vector<float>() : store.label_column("eta", indices);
  const bool has_flag = store.has_label("is_noise");
  const std::vector<float> noise =
      has_flag ? store.label_column("is_noise", indices) : std::vector<float>(indices.size(), 0.0f);
  const std::vector<float> hits =
      store.has_label("n_hits") ? store.label_column("n_hits", indices) : std::vector<float>();
  TriggerInputs inputs;
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (noise[i] != 0.0f) {
      inputs.noise_pt_pred.push_back(pt_pred[i]);
      continue;
    }
    inputs.pt_pred.push_back(pt_pred[i]);
    inputs.pt_true.push_back(pt[i]);
    if (!eta_pred.empty()) {
      inputs.eta_pred.push_back(eta_pred[i]);
      inputs.eta_true.push_back(eta[i]);
    }
    if (!hits.empty()) inputs.n_hits.push_back(hits[i]);
  }
  return inputs;
}

TriggerMetrics compute_trigger_metrics(const TriggerInputs& inputs, const MetricsOptions& options) {
  const std::size_t n = inputs.pt_true.size();
  if (inputs.pt_pred.size() != n) {
    throw DataError("trigger metrics: " + std::to_string(inputs.pt_pred.size()) +
                    " pT predictions for " + std::to_string(n) + " muon events");
  }
  if (inputs.eta_pred.size() != inputs.eta_true.size() ||
      (!inputs.eta_true.empty() && inputs.eta_true.size() != n)) {
    throw DataError("trigger metrics: " + std::to_string(inputs.eta_pred.size()) +
                    " eta predictions and " + std::to_string(inputs.eta_true.size()) +
                    " true eta values for " + std::to_string(n) + " muon events");
  }
  const std::vector<double>& edges = options.turn_on_edges;
  if (edges.size() < 2 || !std::is_sorted(edges.begin(), edges.end()) ||
      std::adjacent_find(edges.begin(), edges.end()) != edges.end()) {
    throw DataError(
        "trigger metrics: turn-on edges must be at least two strictly ascending values");
  }

  TriggerMetrics m;
  m.pt_residual = Histogram::with_edges(options.pt_residual_edges, "pT residual");
  m.eta_residual = Histogram::with_edges(options.eta_residual_edges, "eta residual");
  m.threshold_gev = options.threshold_gev;
  m.n_muon = n;
  double sum_all = 0.0, sum_spread = 0.0, sum_eta = 0.0;
  std::size_t plateau_fired = 0, high_fired = 0;
  for (std::size_t i = 1; i < edges.size(); ++i) m.turn_on.push_back({edges[i - 1], edges[i]});
  for (std::size_t i = 0; i < n; ++i) {
    const double truth = inputs.pt_true[i];
    const double error = std::abs(static_cast<double>(inputs.pt_pred[i]) - truth);
    const bool fired = fires(inputs.pt_pred[i], options.threshold_gev);
    sum_all += error;
    if (truth != 0.0) m.pt_residual.fill((static_cast<double>(inputs.pt_pred[i]) - truth) / truth);
    if (truth >= options.spread_min_gev && truth <= options.spread_max_gev) {
      sum_spread += error;
      ++m.n_spread;
    }
    if (truth >= options.plateau_min_gev) {
      ++m.n_plateau;
      plateau_fired += fired;
    }
    if (truth >= options.high_threshold_gev) {
      ++m.n_high;
      high_fired += fires(inputs.pt_pred[i], options.high_threshold_gev);
    }
    if (truth >= edges.front() && truth <= edges.back()) {
      const auto upper = std::upper_bound(edges.begin(), edges.end(), truth);
      const std::size_t bin = std::min<std::size_t>(
          static_cast<std::size_t>(upper - edges.begin()) - 1, m.turn_on.size() - 1);
      ++m.turn_on[bin].n;
      m.turn_on[bin].n_fired += fired;
    }
  }
  m.n_eta = inputs.eta_true.size();
  for (std::size_t i = 0; i < m.n_eta; ++i) {
    const double residual = static_cast<double>(inputs.eta_pred[i]) - inputs.eta_true[i];
    sum_eta += std::abs(residual);
    m.eta_residual.fill(residual);
  }
  m.pt_mae = n == 0 ? kNaN : sum_all / static_cast<double>(n);
  m.pt_spread = m.n_spread == 0 ? kNaN : sum_spread / static_cast<double>(m.n_spread);
  m.eta_mae = m.n_eta == 0 ? kNaN : sum_eta / static_cast<double>(m.n_eta);
  m.plateau_eff = ratio(plateau_fired, m.n_plateau);
  m.eff_at_thr_15 = ratio(high_fired, m.n_high);
  m.n_noise = inputs.noise_pt_pred.size();
  std::size_t fakes = 0;
  for (float prediction : inputs.noise_pt_pred) fakes += fires(prediction, options.threshold_gev);
  m.fake_rate = ratio(fakes, m.n_noise);
  for (TurnOnBin& bin : m.turn_on) {
    bin.efficiency = ratio(bin.n_fired, bin.n);
    bin.error =
        bin.n == 0
            ? kNaN
            : std::sqrt(bin.efficiency * (1.0 - bin.efficiency) / static_cast<double>(bin.n));
  }
  return m;
}

Histogram Histogram::with_edges(std::vector<double> edges, const char* what) {
  if (edges.size() < 2 || !std::is_sorted(edges.begin(), edges.end()) ||
      std::adjacent_find(edges.begin(), edges.end()) != edges.end()) {
    throw DataError(std::string("trigger metrics: ") + what +
                    " edges must be at least two strictly ascending values");
  }
  Histogram h;
  h.counts.assign(edges.size() - 1, 0);
  h.edges = std::move(edges);
  return h;
}

void Histogram::fill(double value) {
  if (std::isnan(value) || edges.size() < 2) return;
  if (value < edges.front()) {
    ++underflow;
  } else if (value > edges.back()) {
    ++overflow;
  } else {
    const auto upper = std::upper_bound(edges.begin(), edges.end(), value);
    ++counts[std::min<std::size_t>(static_cast<std::size_t>(upper - edges.begin()) - 1,
                                   counts.size() - 1)];
  }
}

nlohmann::json Histogram::to_json() const {
  return {{"edges", edges}, {"counts", counts}, {"underflow", underflow}, {"overflow", overflow}};
}

nlohmann::json TriggerMetrics::to_json() const {
  nlohmann::json bins = nlohmann::json::array();
  for (const TurnOnBin& bin : turn_on) {
    bins.push_back({{"lo", bin.lo},
                    {"hi", bin.hi},
                    {"n", bin.n},
                    {"n_fired", bin.n_fired},
                    {"efficiency", number_or_null(bin.efficiency)},
                    {"error", number_or_null(bin.error)}});
  }
  return {{"pt_mae", number_or_null(pt_mae)},
          {"pt_spread", number_or_null(pt_spread)},
          {"eta_mae", number_or_null(eta_mae)},
          {"turn_on", bins},
          {"plateau_eff", number_or_null(plateau_eff)},
          {"eff_at_thr_15", number_or_null(eff_at_thr_15)},
          {"fake_rate", number_or_null(fake_rate)},
          {"threshold_gev", threshold_gev},
          {"counts",
           {{"muon", n_muon},
            {"spread", n_spread},
            {"eta", n_eta},
            {"plateau", n_plateau},
            {"thr_15", n_high},
            {"noise", n_noise}}},
          {"residuals",
           {{"pt", pt_residual.to_json()},
            {"eta", n_eta == 0 ? nlohmann::json(nullptr) : eta_residual.to_json()}}}};
}

ClassificationMetrics compute_classification_metrics(const std::vector<float>& scores,
                                                     const std::vector<float>& labels,
                                                     double threshold) {
  if (scores.size() != labels.size()) {
    throw DataError("classification metrics: " + std::to_string(scores.size()) + " scores for " +
                    std::to_string(labels.size()) + " labels");
  }
  ClassificationMetrics m;
  m.n = scores.size();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < m.n; ++i) {
    if (std::isnan(scores[i])) {
      throw DataError("classification metrics: score " + std::to_string(i) + " is NaN");
    }
    const bool positive = labels[i] >= 0.5f;
    m.n_positive += positive;
    correct += (scores[i] >= threshold) == positive;
  }
  m.accuracy = ratio(correct, m.n);

  // Mann-Whitney: AUC = (rank sum of positives - P (P + 1) / 2) / (P N), ties sharing ranks.
  const std::size_t n_negative = m.n - m.n_positive;
  if (m.n_positive == 0 || n_negative == 0) {
    m.roc_auc = kNaN;
    return m;
  }
  std::vector<std::size_t> order(m.n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0.0;
  for (std::size_t begin = 0; begin < m.n;) {
    std::size_t end = begin + 1;
    while (end < m.n && scores[order[end]] == scores[order[begin]]) ++end;
    const double rank = 0.5 * static_cast<double>(begin + 1 + end);  // mean of begin+1 .. end
    for (std::size_t i = begin; i < end; ++i) {
      if (labels[order[i]] >= 0.5f) positive_rank_sum += rank;
    }
    begin = end;
  }
  const auto p = static_cast<double>(m.n_positive);
  m.roc_auc = (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * static_cast<double>(n_negative));
  return m;
}

nlohmann::json ClassificationMetrics::to_json() const {
  return {{"roc_auc", number_or_null(roc_auc)},
          {"accuracy", number_or_null(accuracy)},
          {"counts", {{"events", n}, {"positive", n_positive}}}};
}

}  // namespace hlslim::data

namespace hlslim::data {
namespace {

// ROC AUC of `scores` for the events where `positive` is true against the others, by the
// Mann-Whitney rank sum with ties sharing their mean rank; NaN without both kinds of events.
// `order` holds the event indices sorted by ascending score.
double rank_auc(const std::vector<double>& scores, const std::vector<char>& positive,
                const std::vector<std::size_t>& order) {
  const std::size_t n = order.size();
  std::size_t n_positive = 0;
  for (char p : positive) n_positive += p != 0;
  const std::size_t n_negative = n - n_positive;
  if (n_positive == 0 || n_negative == 0) return kNaN;
  double positive_rank_sum = 0.0;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin + 1;
    while (end < n && scores[order[end]] == scores[order[begin]]) ++end;
    const double rank = 0.5 * static_cast<double>(begin + 1 + end);
    for (std::size_t i = begin; i < end; ++i) {
      if (positive[order[i]]) positive_rank_sum += rank;
    }
    begin = end;
  }
  const auto p = static_cast<double>(n_positive);
  return (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * static_cast<double>(n_negative));
}

// The ROC curve from the highest score down: one point per distinct score, (0, 0) first.
RocCurve roc_curve(const std::vector<double>& scores, const std::vector<char>& positive,
                   const std::vector<std::size_t>& order, std::size_t max_points) {
  RocCurve curve;
  const std::size_t n = order.size();
  std::size_t n_positive = 0;
  for (char p : positive) n_positive += p != 0;
  if (n_positive == 0 || n_positive == n) return curve;
  const auto p_total = static_cast<double>(n_positive);
  const auto n_total = static_cast<double>(n - n_positive);
  curve.fpr.push_back(0.0);
  curve.tpr.push_back(0.0);
  std::size_t tp = 0;
  std::size_t fp = 0;
  for (std::size_t end = n; end > 0;) {
    std::size_t begin = end - 1;
    while (begin > 0 && scores[order[begin - 1]] == scores[order[end - 1]]) --begin;
    for (std::size_t i = begin; i < end; ++i) (positive[order[i]] ? tp : fp) += 1;
    curve.fpr.push_back(static_cast<double>(fp) / n_total);
    curve.tpr.push_back(static_cast<double>(tp) / p_total);
    end = begin;
  }
  max_points = std::max<std::size_t>(max_points, 2);
  if (curve.fpr.size() <= max_points) return curve;
  RocCurve thin;
  const std::size_t last = curve.fpr.size() - 1;
  for (std::size_t k = 0; k < max_points; ++k) {
    const std::size_t i = k * last / (max_points - 1);
    thin.fpr.push_back(curve.fpr[i]);
    thin.tpr.push_back(curve.tpr[i]);
  }
  return thin;
}

}  // namespace

std::vector<double> softmax_rows(const std::vector<float>& logits, std::size_t k) {
  if (k == 0 || logits.size() % k != 0) {
    throw DataError("softmax: " + std::to_string(logits.size()) + " values are not rows of " +
                    std::to_string(k));
  }
  std::vector<double> out(logits.size());
  for (std::size_t row = 0; row < logits.size(); row += k) {
    double largest = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < k; ++j) largest = std::max(largest, double{logits[row + j]});
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      out[row + j] = std::exp(double{logits[row + j]} - largest);
      sum += out[row + j];
    }
    for (std::size_t j = 0; j < k; ++j) out[row + j] /= sum;
  }
  return out;
}

MulticlassMetrics compute_multiclass_metrics(const std::vector<double>& probabilities,
                                             const std::vector<std::size_t>& labels,
                                             std::vector<std::string> classes,
                                             std::size_t max_curve_points) {
  const std::size_t k = classes.size();
  if (k == 0) throw DataError("multi-class metrics: no classes");
  if (probabilities.size() != labels.size() * k) {
    throw DataError("multi-class metrics: " + std::to_string(probabilities.size()) +
                    " probabilities for " + std::to_string(labels.size()) + " events of " +
                    std::to_string(k) + " classes");
  }
  MulticlassMetrics m;
  m.classes = std::move(classes);
  m.n = labels.size();
  m.class_counts.assign(k, 0);
  m.confusion.assign(k, std::vector<std::size_t>(k, 0));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < m.n; ++i) {
    if (labels[i] >= k) {
      throw DataError("multi-class metrics: event " + std::to_string(i) + " has class " +
                      std::to_string(labels[i]) + ", expected 0.." + std::to_string(k - 1));
    }
    const double* row = probabilities.data() + i * k;
    std::size_t best = 0;
    for (std::size_t j = 0; j < k; ++j) {
      if (std::isnan(row[j])) {
        throw DataError("multi-class metrics: probability " + std::to_string(j) + " of event " +
                        std::to_string(i) + " is NaN");
      }
      if (row[j] > row[best]) best = j;
    }
    ++m.class_counts[labels[i]];
    ++m.confusion[labels[i]][best];
    correct += best == labels[i];
  }
  m.accuracy = ratio(correct, m.n);
  std::vector<double> scores(m.n);
  std::vector<char> positive(m.n);
  std::vector<std::size_t> order(m.n);
  double auc_sum = 0.0;
  std::size_t auc_count = 0;
  for (std::size_t j = 0; j < k; ++j) {
    for (std::size_t i = 0; i < m.n; ++i) {
      scores[i] = probabilities[i * k + j];
      positive[i] = labels[i] == j;
    }
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    const double auc = rank_auc(scores, positive, order);
    m.class_roc_auc.push_back(auc);
    if (!std::isnan(auc)) {
      auc_sum += auc;
      ++auc_count;
    }
    m.roc_curves.push_back(roc_curve(scores, positive, order, max_curve_points));
  }
  m.macro_roc_auc = auc_count ? auc_sum / static_cast<double>(auc_count) : kNaN;
  return m;
}

nlohmann::json MulticlassMetrics::to_json() const {
  nlohmann::json aucs = nlohmann::json::object();
  nlohmann::json curves = nlohmann::json::object();
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t j = 0; j < classes.size(); ++j) {
    aucs[classes[j]] = number_or_null(class_roc_auc[j]);
    curves[classes[j]] = {{"fpr", roc_curves[j].fpr}, {"tpr", roc_curves[j].tpr}};
    counts[classes[j]] = class_counts[j];
  }
  return {{"accuracy", number_or_null(accuracy)},
          {"roc_auc", number_or_null(macro_roc_auc)},
          {"classes", classes},
          {"class_roc_auc", aucs},
          {"confusion", confusion},
          {"roc_curves", curves},
          {"counts", {{"events", n}, {"classes", counts}}}};
}

}  // namespace hlslim::data
