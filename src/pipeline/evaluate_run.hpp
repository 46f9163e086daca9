#pragma once

// The run's evaluation step: after the stages, every model's figures at the current
// evaluation settings, from the test predictions the stages saved (docs/trigger-figures.md).
#include <filesystem>

#include "hlslim/pipeline/manifest.hpp"
#include "hlslim/pipeline/settings.hpp"
#include "hlslim/results/results.hpp"

namespace hlslim {

class Dataset;

/// Evaluates every completed stage of `manifest` whose results.json lists test predictions:
/// the figures of merit at the first threshold and the trigger figures at every threshold, in
/// the typed form of results.json. Writes RUN_DIR/evaluation.json atomically and returns it.
/// A model whose predictions cannot be read or do not match the dataset's split is left out with
/// a warning naming the file (its stage's own figures stand). Events read from files get no
/// rates: their pT spectrum is unknown.
RunEvaluation evaluate_run(const std::filesystem::path& run_dir, const Manifest& manifest,
                           const EvaluationSettings& settings, const Dataset& dataset);

}  // namespace hlslim
