// The .npy reader (headers of format versions 1 to 3, every supported dtype) and the NumPy
// dataset import that turns an images array into an event store. A file is read or rejected
// with DataError; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "hlslim/data/error.hpp"
#include "hlslim/data/npy.hpp"
#include "hlslim/data/numpy_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = hlslim::fuzz::write_input("array.npy", data, size);
  try {
    hlslim::data::read_npy(path);
  } catch (const hlslim::data::DataError&) {
  }
  try {
    hlslim::data::from_npy(path, "", {}, "");
  } catch (const hlslim::data::DataError&) {
  }
  try {
    hlslim::data::from_npy(path, path, {}, "");  // the same array as images and as labels
  } catch (const hlslim::data::DataError&) {
  }
  return 0;
}
