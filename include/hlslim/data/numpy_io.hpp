#pragma once

#include <string>
#include <vector>

#include "hlslim/data/event_store.hpp"

namespace hlslim::data {

/// Writes `store` for NumPy users into `directory` (created if missing): images.npy (uint8,
/// N x layers x columns, 0/1; float32 with each hit's value for a store with values), labels.npy
/// (float32, N x K) and labels.json (an object with "columns": the K label names, "n_events",
/// "image_shape": [layers, columns], plus every key of the store's metadata, e.g. "seed" and
/// "simulation" for a simulated store). Each file is written atomically; images are streamed, so
/// memory stays small for any N. Throws DataError naming the file on failure.
void write_numpy(const EventStore& store, const std::string& directory);

/// Builds a store from NumPy files. `images_path`: a .npy array of shape N x H x W (H layers) or
/// N x W (one layer) of any supported dtype, where a non-zero element is a hit and keeps its
/// value: an array of 0 and 1 only gives binary images, any other value makes a store with hit
/// values (continuous features), whatever the dtype. `labels_path`:
/// a .npy array N x K (or N, read as K = 1), or "" for a store without labels. Label names:
/// with `labels_json_path` they are its "columns", and a non-empty `label_columns` then selects
/// and orders a subset of them; without it, `label_columns` names the K columns; with neither,
/// they are label_0 ... label_{K-1}. The other keys of labels.json become the store's metadata;
/// its optional "classes" (the names of the classes of a class-index column) must be a list of
/// strings.
/// Throws DataError naming the file for every inconsistency: rank, event-count or column-count
/// mismatch, unknown selected column, NaN or infinite label or image element, or any .npy
/// reader error.
EventStore from_npy(const std::string& images_path, const std::string& labels_path,
                    const std::vector<std::string>& label_columns,
                    const std::string& labels_json_path);

/// What the headers of a from_npy() input say, read without the data (for `hlslim validate`).
struct NpyLayout {
  std::size_t events = 0;
  std::size_t layers = 0;
  std::size_t columns = 0;
  std::vector<std::string> label_names;  ///< the names from_npy() would give the labels
};

/// Checks the headers of from_npy()'s inputs against each other (ranks, event and column
/// counts, labels.json, selected columns) as from_npy() does, reading no data. Throws DataError
/// as from_npy() does.
NpyLayout inspect_npy(const std::string& images_path, const std::string& labels_path,
                      const std::vector<std::string>& label_columns,
                      const std::string& labels_json_path);

}  // namespace hlslim::data
