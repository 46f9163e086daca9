// The .hlsm model file reader. The file ends in the SHA-256 of everything before it, which no
// mutation keeps right, so a fuzz input is a model file without its checksum: the harness
// appends it. A model is loaded, or rejected with hlslim::Error (FileFormatError); anything else
// is a bug. A model that loads is saved again and must load to the same architecture.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  bytes += hlslim::sha256_hex(bytes);
  const std::string path = hlslim::fuzz::write_input("model.hlsm", bytes.data(), bytes.size());
  try {
    const hlslim::Graph graph = hlslim::load_model(path);
    const std::string copy = hlslim::fuzz::scratch_dir() + "/copy.hlsm";
    hlslim::save_model(graph, copy);
    const hlslim::Graph again = hlslim::load_model(copy);
    if (again.layers.size() != graph.layers.size() || again.shapes() != graph.shapes()) {
      std::fprintf(stderr, "a saved model loads back with another architecture\n");
      std::abort();
    }
  } catch (const hlslim::Error&) {
  }
  return 0;
}
