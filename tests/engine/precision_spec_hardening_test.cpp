// Precision specs of any length parse without recursion: a std::regex used to match
// `fixed<W,auto...>` recursed once per character and overflowed the stack on a long string
// (hlslim validate crashed with SIGSEGV on a config holding one).
#include <gtest/gtest.h>

#include <string>

#include "hlslim/engine/precision_plan.hpp"

namespace hlslim {
namespace {

TEST(PrecisionSpecLimits, LongStringsAreRejectedWithoutCrashing) {
  const std::string filler(1000000, 'x');
  const PrecisionSpecResult long_auto = parse_precision_spec("fixed<8,auto," + filler + ">");
  EXPECT_FALSE(long_auto.spec);
  EXPECT_EQ(long_auto.error, "unknown rounding mode '" + std::string(64, 'x') +
                                 "...' (expected one of: TRN, TRN_ZERO, RND, RND_ZERO, "
                                 "RND_MIN_INF, RND_INF, RND_CONV)");
  EXPECT_FALSE(parse_precision_spec("fixed<8,3," + filler + ">").spec);
}

TEST(PrecisionSpecLimits, AutoIntegerBitsKeepTheirSpellings) {
  for (const char* text : {"fixed<12,auto>", " AP_UFIXED < 9 , AUTO , RND_CONV , SAT > ",
                           "ufixed<9,auto,RND_CONV,SAT>", "fixed<8,auto\t>"}) {
    const PrecisionSpecResult result = parse_precision_spec(text);
    ASSERT_TRUE(result.spec) << text << ": " << result.error;
    EXPECT_EQ(result.spec->kind, PrecisionSpec::Kind::kAutoIntegerBits) << text;
  }
  for (const char* text : {"fixed<12,autox>", "int<auto>", "fixed<auto,3>", "fixed<12,3>"}) {
    const PrecisionSpecResult result = parse_precision_spec(text);
    EXPECT_TRUE(!result.spec || result.spec->kind == PrecisionSpec::Kind::kFixed) << text;
  }
  EXPECT_EQ(parse_precision_spec("ufixed<9,auto,RND_CONV,SAT>").spec->type.to_string(),
            "ufixed<9,1,RND_CONV,SAT>");
}

}  // namespace
}  // namespace hlslim
