#pragma once

#include <string>

#include "hlslim/data/npy.hpp"

// Internal to the data layer: the parser of the Python-literal dictionary in a .npy header.
namespace hlslim::data::detail {

// Parses e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" into descr, dtype,
// item size and shape (data_offset is left 0). Throws DataError prefixed with `path` for
// malformed text, unsupported or big-endian dtypes and Fortran order.
NpyHeader parse_npy_header(const std::string& path, const std::string& text);

}  // namespace hlslim::data::detail
