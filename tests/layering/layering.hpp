#pragma once

// The layering rule of the source tree (docs/architecture.md): every folder under src/ is one
// library, mirrored by a folder of public headers under include/hlslim/, and the folders form one
// order from the bottom up, declared by the order of add_subdirectory() in src/CMakeLists.txt.
// A file may include public headers of its own folder and of folders below it, its own folder's
// private headers, and nothing else of the project; a library may link only libraries below it.
#include <filesystem>
#include <string>
#include <vector>

namespace hlslim::layering {

/// One broken rule, with the file (relative to the root), the line (from 1) and what is wrong.
struct Violation {
  std::string file;
  int line = 0;
  std::string message;

  std::string to_string() const;
};

/// The declared order of the folders under src/, bottom first. Throws std::runtime_error when
/// src/CMakeLists.txt cannot be read.
std::vector<std::string> declared_order(const std::filesystem::path& root);

/// Every violation in the tree at `root` (holding src/ and include/hlslim/): includes that go
/// up or sideways, private headers of another folder, folders under src/ missing from the
/// order, and libraries that link a library above them.
std::vector<Violation> check_tree(const std::filesystem::path& root);

}  // namespace hlslim::layering
