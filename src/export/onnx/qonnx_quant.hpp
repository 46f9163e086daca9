#pragma once

// How an ap_fixed type becomes a QONNX Quant node, and what that cannot express.

#include <string>
#include <vector>

#include "hlslim/quant/fixed_type.hpp"

namespace hlslim::onnx_export {

/// The Quant parameters for a type: y = clamp(round(x / scale)) * scale with scale = 2^-F,
/// zero point 0 and `bitwidth` = W. `mismatches` explains, one clause each, where the Quant
/// differs from the type (empty when it is exact): only RND_CONV (-> ROUND) and TRN (-> FLOOR)
/// are exact roundings, only SAT (-> narrow 0) and SAT_SYM (-> narrow 1 when signed) exact
/// overflows, as hls4ml reads them; other modes are written as the nearest of those.
struct QuantSpec {
  double scale = 1.0;
  int bitwidth = 0;
  bool is_signed = true;
  bool narrow = false;
  std::string rounding;  ///< "ROUND" or "FLOOR"
  std::vector<std::string> mismatches;
};
QuantSpec quant_spec(const FixedType& type);

/// The value `x` takes in `type` (ap_fixed assignment), as a float; `exact` is cleared when
/// the float cannot hold it exactly (types of more than 24 significant bits).
float quantized_float(double x, const FixedType& type, bool& exact);

/// "a; b; c"
std::string join(const std::vector<std::string>& parts, const std::string& separator);

}  // namespace hlslim::onnx_export
