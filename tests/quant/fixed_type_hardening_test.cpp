// Precision strings with absurd numbers or absurd lengths: rejected with the message of the
// limit they break, quoting at most 64 characters of what was written.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "hlslim/quant/fixed_type.hpp"

namespace hlslim {
namespace {

std::string parse_error(const std::string& text) {
  const FixedTypeResult result = parse_fixed_type(text);
  return result ? "parsed as " + result.type->to_string() : result.error;
}

// Before the fix, digits beyond the range of int read as "not an integer".
TEST(FixedTypeLimits, WidthsBeyondIntAreTooLargeNotMalformed) {
  EXPECT_EQ(parse_error("fixed<99999999999,6>"),
            "total bits must be at most 64, got '99999999999'");
  EXPECT_EQ(parse_error("uint<18446744073709551617>"),
            "total bits must be at most 64, got '18446744073709551617'");
  EXPECT_EQ(parse_error("fixed<16,-99999999999>"),
            "integer bits must be between -512 and 512, got '-99999999999'");
  EXPECT_EQ(parse_error("fixed<16,6,RND,SAT,99999999999>"),
            "saturation bits N must be 0, got '99999999999' (only the default N = 0 is "
            "supported)");
  EXPECT_EQ(parse_error("fixed<2147483647,6>"),
            "total bits must be at most 64, got 2147483647 (raw values are held in int64_t)");
  EXPECT_EQ(parse_error("fixed<16,-2147483648>"),
            "integer bits must be between -512 and 512, got -2147483648");
}

TEST(FixedTypeLimits, LongTextIsQuotedShortened) {
  const std::string digits(1000, '7');
  EXPECT_EQ(parse_error("fixed<" + digits + ",6>"),
            "total bits must be at most 64, got '" + digits.substr(0, 64) + "...'");
  EXPECT_EQ(parse_error(std::string(100000, 'x')),
            "expected '<' in precision '" + std::string(64, 'x') + "...' (e.g. fixed<16,6>)");
}

TEST(FixedTypeLimits, ExtremeValidTypesHaveFiniteRanges) {
  for (const char* text : {"fixed<64,512>", "fixed<64,-512>", "ufixed<63,512>", "ufixed<1,-512>",
                           "int<64>", "uint<63>"}) {
    const FixedTypeResult result = parse_fixed_type(text);
    ASSERT_TRUE(result) << text << ": " << result.error;
    EXPECT_TRUE(std::isfinite(result.type->max()) && std::isfinite(result.type->min()) &&
                result.type->step() > 0)
        << text;
    EXPECT_EQ(parse_fixed_type(result.type->to_string()).type, result.type) << text;
  }
}

}  // namespace
}  // namespace hlslim
