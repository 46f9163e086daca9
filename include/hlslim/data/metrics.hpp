#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hlslim/data/event_store.hpp"

namespace hlslim::data {

/// Settings of the trigger figures of merit (docs/muon-trigger.md names them).
struct MetricsOptions {
  /// Trigger threshold T in GeV: an event fires when pt_pred >= T.
  double threshold_gev = 10.0;
  /// Edges of the turn-on bins in true pT, GeV, ascending; bins are [lo, hi), the last one
  /// [lo, hi]. Default: 1 GeV bins over the default generated range, 3 to 20 GeV.
  std::vector<double> turn_on_edges = uniform_edges(3.0, 20.0, 1.0);
  /// pt_spread covers spread_min_gev <= pT_true <= spread_max_gev.
  double spread_min_gev = 7.0;
  /// See spread_min_gev.
  double spread_max_gev = 13.0;
  /// plateau_eff covers pT_true >= plateau_min_gev.
  double plateau_min_gev = 15.0;
  /// eff_at_thr_15: pT_true >= this and pt_pred >= this.
  double high_threshold_gev = 15.0;
  /// Bin edges of the relative pT residual (pt_pred - pt_true) / pt_true histogram, ascending.
  /// Default: 40 bins of 0.05 from -1 to 1.
  std::vector<double> pt_residual_edges = uniform_edges(-1.0, 1.0, 0.05);
  /// Bin edges of the eta residual eta_pred - eta_true histogram, ascending. Default: 40 bins
  /// of 0.005 from -0.1 to 0.1.
  std::vector<double> eta_residual_edges = uniform_edges(-0.1, 0.1, 0.005);

  /// Edges lo, lo + width, ... up to hi (the last edge is hi even if the width does not divide
  /// the range). Returns {lo, hi} for width <= 0.
  static std::vector<double> uniform_edges(double lo, double hi, double width);
};

/// Predictions and truth of one evaluation. Muon events fill the first four vectors (the eta
/// pair may be left empty when the model predicts no eta); noise-only events fill noise_pt_pred.
struct TriggerInputs {
  /// Predicted pT of each muon event, GeV.
  std::vector<float> pt_pred;
  /// True pT of each muon event, GeV.
  std::vector<float> pt_true;
  /// Predicted eta of each muon event (empty: no eta prediction).
  std::vector<float> eta_pred;
  /// True eta of each muon event (empty together with eta_pred).
  std::vector<float> eta_true;
  /// Predicted pT of each noise-only event, GeV.
  std::vector<float> noise_pt_pred;
  /// Number of muon hits of each muon event (empty: unknown).
  std::vector<float> n_hits;
};

/// Splits predictions over events `indices` of `store` into TriggerInputs using its "pt", "eta"
/// and "is_noise" labels (no is_noise column: every event is a muon event) and, when the store
/// has one, its "n_hits" label (else n_hits stays empty). `eta_pred` may be empty. Throws DataError
/// on size mismatch, missing label columns or indices out of range.
TriggerInputs make_trigger_inputs(const EventStore& store, const std::vector<std::size_t>& indices,
                                  const std::vector<float>& pt_pred,
                                  const std::vector<float>& eta_pred);

/// One bin of the turn-on curve.
struct TurnOnBin {
  /// Lower edge in true pT, GeV.
  double lo = 0.0;
  /// Upper edge in true pT, GeV.
  double hi = 0.0;
  /// Muon events in the bin.
  std::size_t n = 0;
  /// Of those, events that fire.
  std::size_t n_fired = 0;
  /// n_fired / n; NaN when n is 0.
  double efficiency = 0.0;
  /// Binomial standard error sqrt(eff (1 - eff) / n) (0 at eff = 0 or 1); NaN when n is 0.
  double error = 0.0;
};

/// A histogram with fixed bins: bin i counts edges[i] <= v < edges[i + 1], the last bin also
/// v == edges.back(); values below the first edge count in underflow, above the last in
/// overflow, NaN values nowhere.
struct Histogram {
  /// Ascending bin edges (bins + 1 values).
  std::vector<double> edges;
  /// Entries per bin.
  std::vector<std::size_t> counts;
  /// Values below edges.front().
  std::size_t underflow = 0;
  /// Values above edges.back().
  std::size_t overflow = 0;

  /// Empty bins over `edges`. Throws DataError naming `what` when there are fewer than two
  /// edges or they are not strictly ascending.
  static Histogram with_edges(std::vector<double> edges, const char* what);
  /// Counts one value.
  void fill(double value);
  /// {"edges": [...], "counts": [...], "underflow", "overflow"}.
  nlohmann::json to_json() const;
};

/// The trigger figures of merit. A value over an empty set is NaN, its count 0, and to_json()
/// writes it as null.
struct TriggerMetrics {
  /// Threshold used, GeV.
  double threshold_gev = 10.0;
  /// Mean |pT_pred - pT_true| over all muon events, GeV.
  double pt_mae = 0.0;
  /// Mean |pT_pred - pT_true| for spread_min_gev <= pT_true <= spread_max_gev, GeV.
  double pt_spread = 0.0;
  /// Mean |eta_pred - eta_true| over all muon events (NaN without eta predictions).
  double eta_mae = 0.0;
  /// Efficiency vs true pT.
  std::vector<TurnOnBin> turn_on;
  /// Fraction of muon events with pT_true >= plateau_min_gev that fire.
  double plateau_eff = 0.0;
  /// Fraction of muon events with pT_true >= 15 GeV predicted >= 15 GeV.
  double eff_at_thr_15 = 0.0;
  /// Fraction of noise-only events that fire.
  double fake_rate = 0.0;
  /// Muon events.
  std::size_t n_muon = 0;
  /// Muon events in the pt_spread range.
  std::size_t n_spread = 0;
  /// Muon events with an eta prediction.
  std::size_t n_eta = 0;
  /// Muon events in the plateau range.
  std::size_t n_plateau = 0;
  /// Muon events with pT_true >= 15 GeV.
  std::size_t n_high = 0;
  /// Noise-only events.
  std::size_t n_noise = 0;
  /// (pt_pred - pt_true) / pt_true over the muon events (events with pt_true == 0 skipped).
  Histogram pt_residual;
  /// eta_pred - eta_true over the muon events with an eta prediction.
  Histogram eta_residual;

  /// {"pt_mae", "pt_spread", "eta_mae", "turn_on": [{"lo", "hi", "n", "n_fired",
  /// "efficiency", "error"}...], "plateau_eff", "eff_at_thr_15", "fake_rate", "threshold_gev",
  /// "counts": {"muon", "spread", "eta", "plateau", "thr_15", "noise"},
  /// "residuals": {"pt": Histogram, "eta": Histogram or null without eta predictions}};
  /// NaN values are null.
  nlohmann::json to_json() const;
};

/// Computes the trigger figures of merit. NaN predictions never fire and make the mean errors
/// NaN. Throws DataError when pt_pred and pt_true (or eta_pred and eta_true) differ in size, the
/// eta vectors are neither empty nor muon-sized, or the turn-on or residual edges are not
/// ascending.
TriggerMetrics compute_trigger_metrics(const TriggerInputs& inputs,
                                       const MetricsOptions& options = {});

/// Figures of merit of a binary classification head.
struct ClassificationMetrics {
  /// Area under the ROC curve (ties count one half); NaN without both classes.
  double roc_auc = 0.0;
  /// Fraction of events whose decision (score >= threshold) equals the label; NaN when empty.
  double accuracy = 0.0;
  /// Events evaluated.
  std::size_t n = 0;
  /// Positive events (label >= 0.5).
  std::size_t n_positive = 0;

  /// {"roc_auc", "accuracy", "counts": {"events", "positive"}}; NaN values are null.
  nlohmann::json to_json() const;
};

/// ROC AUC and accuracy of `scores` against 0/1 `labels` (label >= 0.5 is positive) with
/// decision threshold `threshold`. Throws DataError when the sizes differ or a score is NaN.
ClassificationMetrics compute_classification_metrics(const std::vector<float>& scores,
                                                     const std::vector<float>& labels,
                                                     double threshold = 0.5);

/// One class's ROC curve (one class against the rest): false- and true-positive rates as the
/// decision threshold falls from above the highest score to below the lowest, from (0, 0) to
/// (1, 1). Empty when the class has no events or every event is of the class.
struct RocCurve {
  std::vector<double> fpr;
  std::vector<double> tpr;
};

/// Figures of merit of a K-class classifier (softmax over K outputs).
struct MulticlassMetrics {
  /// Class names, in output order.
  std::vector<std::string> classes;
  /// Top-1 accuracy: the fraction of events whose most probable class (the lowest index on a
  /// tie) is the true one; NaN when empty.
  double accuracy = 0.0;
  /// Mean of the per-class AUCs that are defined; NaN when none is.
  double macro_roc_auc = 0.0;
  /// ROC AUC of each class against the rest on its probability (ties count one half); NaN for a
  /// class without events or one that every event belongs to.
  std::vector<double> class_roc_auc;
  /// confusion[true][predicted]: event counts, K x K.
  std::vector<std::vector<std::size_t>> confusion;
  /// Each class's ROC curve, thinned to at most the requested number of points.
  std::vector<RocCurve> roc_curves;
  /// Events evaluated.
  std::size_t n = 0;
  /// Events of each class.
  std::vector<std::size_t> class_counts;

  /// {"accuracy", "roc_auc" (macro), "classes": [names], "class_roc_auc": {name: auc},
  /// "confusion": [[counts]] (rows: true class), "roc_curves": {name: {"fpr", "tpr"}},
  /// "counts": {"events", "classes": {name: count}}}; NaN values are null.
  nlohmann::json to_json() const;
};

/// Softmax of each row of `logits` (n x k, row-major), in double precision with the row's
/// maximum subtracted first. Throws DataError when k is 0 or does not divide the size.
std::vector<double> softmax_rows(const std::vector<float>& logits, std::size_t k);

/// Top-1 accuracy, per-class and macro ROC AUC, the confusion matrix and per-class ROC curves of
/// `probabilities` (n x K, row-major, K = classes.size()) against class indices `labels`
/// (0..K-1). Curves keep at most `max_curve_points` points (at least 2), evenly spread over
/// the full curve, its ends always included. Throws DataError when the sizes differ, there
/// are no classes, a label is out of range or a probability is NaN.
MulticlassMetrics compute_multiclass_metrics(const std::vector<double>& probabilities,
                                             const std::vector<std::size_t>& labels,
                                             std::vector<std::string> classes,
                                             std::size_t max_curve_points = 101);

}  // namespace hlslim::data
