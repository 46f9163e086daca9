#pragma once

#include <stdexcept>
#include <string>

namespace hlslim::data {

/// The one exception type of the data layer. Its message names the file involved (when there is
/// one) and the problem precisely, e.g.
/// "data/images.npy: expected dtype uint8 ('|u1'), found '<f4'".
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hlslim::data
