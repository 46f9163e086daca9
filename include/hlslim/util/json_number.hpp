#pragma once

// JSON has no NaN or infinity: nlohmann::json writes them as null, which loses the difference
// between NaN, +inf and -inf. Output files keep that convention (readers such as pandas expect
// null), but checkpoints and state files must give back exactly what they stored: they write a
// non-finite number as the string "nan", "inf" or "-inf".
#include <nlohmann/json.hpp>

namespace hlslim {

/// `value` as a JSON number, or as "nan", "inf" or "-inf" when it is not finite.
nlohmann::json exact_number(double value);

/// Reads a number written by exact_number() or by nlohmann::json (null reads as NaN). Throws
/// nlohmann::json::type_error for anything else.
double read_number(const nlohmann::json& value);

}  // namespace hlslim
