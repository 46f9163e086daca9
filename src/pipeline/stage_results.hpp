#pragma once

// Filling StageResults from what the stages compute.
#include <nlohmann/json.hpp>
#include <string>

#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/graph/graph.hpp"
#include "hlslim/results/results.hpp"
#include "hlslim/train/degradation.hpp"
#include "hlslim/train/evaluation.hpp"

namespace hlslim {

/// An evaluation from a figures-of-merit object: its numbers (null as NaN) as figures, its
/// objects and lists (turn-on bins, residual histograms, counts) as distributions. The figures
/// of each binary head of a multi-output 'bce' model (an object with roc_auc and accuracy) are
/// also figures, named "<head>/roc_auc" and "<head>/accuracy".
Evaluation make_evaluation(const std::string& model, ModelRole role, bool fixed_point,
                           const nlohmann::json& figures);

/// `evaluation` with its test predictions written beside its results: `dir` /
/// "predictions-<role>-<model>.npy", float32, one row per event of the test figures (the test
/// muon events, then the noise-only events, as in split.json) and two columns, pT and global
/// eta (NaN without an eta prediction). The run's evaluation step computes every trigger
/// figure from them (docs/trigger-figures.md). Without pT predictions nothing is written.
Evaluation with_predictions(Evaluation evaluation, const TestPredictions& predictions,
                            const std::filesystem::path& dir);

/// The size of `graph`, with its weight bits when it is quantized.
ModelSize model_size(const std::string& model, const Graph& graph);

/// The overflow counts of an engine run of `model`.
OverflowCounts overflow_counts(const std::string& model, const Graph& graph,
                               const EngineStats& stats);

/// The guard's comparison as a result.
DegradationResult degradation_result(const std::string& model, const Degradation& degradation);

}  // namespace hlslim
