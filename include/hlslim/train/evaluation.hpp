#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "hlslim/train/batches.hpp"

namespace hlslim {

class Dataset;
class FixedEngine;
struct EngineStats;

/// Computes raw network outputs for n inputs: x is n x input_size, y receives n x outputs. Any
/// engine can stand behind it: LibTorch in training, the fixed-point engine after quantization.
using BatchPredictor = std::function<void(const float* x, std::size_t n, float* y)>;

/// A predictor running the bit-accurate fixed-point engine (which must outlive it), adding to
/// `stats` when given.
BatchPredictor engine_predictor(const FixedEngine& engine, EngineStats* stats = nullptr);

/// Predictions in physical units, one vector per target, for events `indices`.
std::vector<std::vector<float>> predict(const BatchPredictor& predictor, const BatchSource& source,
                                        const std::vector<std::size_t>& indices,
                                        std::size_t batch_size);

/// A model's predictions on the events its test figures cover, in physical units: the muon
/// events asked for, then (with noise) every noise-only event of the dataset, in that order.
struct TestPredictions {
  std::vector<float> pt;
  std::vector<float> eta;  ///< global eta; empty when the model predicts no eta
};

/// The figures of merit (docs/simulation.md) of a model on muon events `muon_indices` plus,
/// when `with_noise`, every noise-only event of the dataset: pt_mae, pt_spread, eta_mae (global
/// eta), turn_on, plateau_eff, eff_at_thr_15 and fake_rate when the targets include "pt";
/// roc_auc and accuracy per target for classification (`classification`); for a cross-entropy
/// task (`normalization.classes` > 0, whatever `classification` says) the outputs are logits and
/// the figures are those of data::MulticlassMetrics on their softmax. When `predictions`
/// is given and the targets include "pt", the pT and eta predictions are stored there.
nlohmann::json evaluate_figures(const BatchPredictor& predictor, const Dataset& dataset,
                                const TargetNormalization& normalization,
                                const std::vector<std::size_t>& muon_indices, bool with_noise,
                                bool classification, std::size_t batch_size = 4096,
                                TestPredictions* predictions = nullptr);

}  // namespace hlslim
