#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

// What every harness shares: the readers take paths, so each input goes to a file in a
// directory of this process's own (several fuzzers may run side by side).
namespace hlslim::fuzz {

/// A fresh directory for this process, created on the first call and removed at exit.
const std::string& scratch_dir();

/// Writes `size` bytes to scratch_dir()/name and returns the file's path.
std::string write_input(const std::string& name, const void* data, std::size_t size);

}  // namespace hlslim::fuzz
