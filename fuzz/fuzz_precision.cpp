// Precision strings as configs and model attributes give them: parse_fixed_type() (fixed<W,I>,
// ufixed<...>, int<N>, modes, ap_ prefixes) and parse_precision_spec() (also `auto` and
// fixed<W,auto>). Neither may throw; a parsed type spells itself back to the same type, and its
// range is computable.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/quant/fixed_type.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const hlslim::FixedTypeResult parsed = hlslim::parse_fixed_type(text);
  if (parsed) {
    const hlslim::FixedType& type = *parsed.type;
    const hlslim::FixedTypeResult again = hlslim::parse_fixed_type(type.to_string());
    if (!again || *again.type != type) {
      std::fprintf(stderr, "'%s' does not parse back to the same type\n", type.to_string().c_str());
      std::abort();
    }
    volatile double range = type.max() - type.min() + type.step();
    (void)range;
  } else if (parsed.error.empty()) {
    std::fprintf(stderr, "a rejected precision has no error message\n");
    std::abort();
  }
  const hlslim::PrecisionSpecResult spec = hlslim::parse_precision_spec(text);
  if (!spec.spec && spec.error.empty()) {
    std::fprintf(stderr, "a rejected precision spec has no error message\n");
    std::abort();
  }
  return 0;
}
