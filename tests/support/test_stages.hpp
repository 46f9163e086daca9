#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hlslim/pipeline/registry.hpp"

namespace hlslim::testing {

/// How many times each test stage instance (by stage name) has run in this process.
std::map<std::string, int>& run_counts();

/// The built-in stages plus test-only ones:
/// - `record`: writes `value` to record.txt and counts its runs;
/// - `interrupt`: raises a real SIGINT (or `signal`) in itself the first time, completes when
///   resumed;
/// - `fail`: throws an error with `message`;
/// - `needs_model`: requires `model` to be present in the pipeline state.
const StageRegistry& test_registry();

/// A fresh, empty directory under the system temp dir, unique per test.
std::filesystem::path temp_dir(const std::string& name);

/// The epoch a training selected, read from its history.jsonl alone: the first best
/// `pt_spread` among the epochs not marked `"selectable": false`, or the last epoch when none
/// is selectable (what Trainer::fit keeps).
nlohmann::json selected_epoch(const std::filesystem::path& history);

/// Writes a file and returns its path.
std::filesystem::path write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace hlslim::testing
