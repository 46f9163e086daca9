#include "hlslim/quant/fixed_type.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

namespace hlslim {

namespace {

constexpr std::array<std::string_view, 7> kQuantNames = {
    "TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV"};
constexpr std::array<std::string_view, 4> kOverflowNames = {"WRAP", "SAT", "SAT_ZERO", "SAT_SYM"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Strips an "AP_" prefix (any case) from a mode name.
std::string_view strip_ap(std::string_view name) {
  if (name.size() > 3 && iequals(name.substr(0, 3), "AP_")) name.remove_prefix(3);
  return name;
}

template <std::size_t N>
std::string join_names(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::vector<std::string_view> split_args(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

// An integer argument: the value, or why there is none. Digits beyond the range of int are
// kOutOfRange rather than "not an integer", so that an absurd width gets the message of a
// width too large.
struct IntArg {
  enum Status { kOk, kNotInteger, kOutOfRange } status = kNotInteger;
  int value = 0;
};

IntArg parse_int(std::string_view s) {
  IntArg out;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out.value);
  if (s.empty() || ptr != end) return out;
  if (ec == std::errc::result_out_of_range) {
    out.status = IntArg::kOutOfRange;
  } else if (ec == std::errc()) {
    out.status = IntArg::kOk;
  }
  return out;
}

// User text as an error message quotes it: at most 64 characters.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMaxQuoted = 64;
  return "'" + std::string(s.substr(0, kMaxQuoted)) + (s.size() > kMaxQuoted ? "...'" : "'");
}

FixedTypeResult fail(std::string message) {
  return FixedTypeResult{std::nullopt, std::move(message)};
}

}  // namespace

std::int64_t FixedType::raw_min() const {
  if (!is_signed) return 0;
  return width >= 64 ? INT64_MIN : -(std::int64_t{1} << (width - 1));
}

std::int64_t FixedType::raw_max() const {
  const int magnitude_bits = is_signed ? width - 1 : width;
  return magnitude_bits >= 63 ? INT64_MAX : (std::int64_t{1} << magnitude_bits) - 1;
}

double FixedType::step() const {
  return std::ldexp(1.0, -fraction_bits());
}
double FixedType::min() const {
  return std::ldexp(static_cast<double>(raw_min()), -fraction_bits());
}
double FixedType::max() const {
  return std::ldexp(static_cast<double>(raw_max()), -fraction_bits());
}

std::string FixedType::to_string() const {
  std::string out = is_signed ? "fixed<" : "ufixed<";
  out += std::to_string(width) + "," + std::to_string(integer_bits);
  if (quant != QuantMode::kTrn || overflow != OverflowMode::kWrap) {
    out += ",";
    out += quant_mode_name(quant);
  }
  if (overflow != OverflowMode::kWrap) {
    out += ",";
    out += overflow_mode_name(overflow);
  }
  return out + ">";
}

std::string_view quant_mode_name(QuantMode mode) {
  return kQuantNames[static_cast<int>(mode)];
}

std::string_view overflow_mode_name(OverflowMode mode) {
  return kOverflowNames[static_cast<int>(mode)];
}

std::optional<QuantMode> parse_quant_mode(std::string_view name) {
  name = strip_ap(trim(name));
  for (std::size_t i = 0; i < kQuantNames.size(); ++i) {
    if (iequals(name, kQuantNames[i])) return static_cast<QuantMode>(i);
  }
  return std::nullopt;
}

std::optional<OverflowMode> parse_overflow_mode(std::string_view name) {
  name = strip_ap(trim(name));
  for (std::size_t i = 0; i < kOverflowNames.size(); ++i) {
    if (iequals(name, kOverflowNames[i])) return static_cast<OverflowMode>(i);
  }
  return std::nullopt;
}

FixedTypeResult make_fixed_type(bool is_signed, int width, int integer_bits, QuantMode quant,
                                OverflowMode overflow) {
  if (width < 1) return fail("total bits must be at least 1, got " + std::to_string(width));
  if (is_signed && width > kMaxSignedWidth) {
    return fail("total bits must be at most 64, got " + std::to_string(width) +
                " (raw values are held in int64_t)");
  }
  if (!is_signed && width > kMaxUnsignedWidth) {
    return fail("unsigned total bits must be at most 63, got " + std::to_string(width) +
                " (raw values are held in int64_t)");
  }
  if (integer_bits < -kMaxIntegerBitsMagnitude || integer_bits > kMaxIntegerBitsMagnitude) {
    return fail("integer bits must be between -512 and 512, got " + std::to_string(integer_bits));
  }
  return FixedTypeResult{FixedType{is_signed, width, integer_bits, quant, overflow}, {}};
}

FixedTypeResult parse_fixed_type(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty()) return fail("empty precision string");
  const std::size_t open = s.find('<');
  if (open == std::string_view::npos) {
    return fail("expected '<' in precision " + quoted(s) + " (e.g. fixed<16,6>)");
  }
  if (s.back() != '>') return fail("expected '>' at the end of precision " + quoted(s));

  std::string_view name = trim(s.substr(0, open));
  if (name.size() > 3 && iequals(name.substr(0, 3), "ap_")) name.remove_prefix(3);
  bool is_signed = true;
  bool is_int = false;
  if (iequals(name, "fixed")) {
  } else if (iequals(name, "ufixed")) {
    is_signed = false;
  } else if (iequals(name, "int")) {
    is_int = true;
  } else if (iequals(name, "uint")) {
    is_int = true;
    is_signed = false;
  } else {
    return fail("unknown type " + quoted(trim(s.substr(0, open))) +
                " (expected fixed, ufixed, int or uint, optionally with the ap_ prefix)");
  }

  const std::string_view inner = s.substr(open + 1, s.size() - open - 2);
  if (inner.find_first_of("<>") != std::string_view::npos) {
    return fail("unexpected '<' or '>' inside precision " + quoted(s));
  }
  const std::vector<std::string_view> args = split_args(inner);
  const std::string kind = std::string(is_signed ? "" : "u") + (is_int ? "int" : "fixed");
  if (is_int && args.size() != 1) {
    return fail(kind + " takes 1 argument (N), got " + std::to_string(args.size()));
  }
  if (!is_int && (args.size() < 2 || args.size() > 5)) {
    return fail(kind + " takes 2 to 5 arguments (W,I[,Q[,O[,N]]]), got " +
                std::to_string(args.size()));
  }

  const IntArg width = parse_int(args[0]);
  if (width.status == IntArg::kNotInteger) {
    return fail("total bits must be an integer, got " + quoted(args[0]));
  }
  if (width.status == IntArg::kOutOfRange) {
    return fail("total bits must be at most " + std::to_string(kMaxSignedWidth) + ", got " +
                quoted(args[0]));
  }
  int integer_bits = width.value;
  if (!is_int) {
    const IntArg i = parse_int(args[1]);
    if (i.status == IntArg::kNotInteger) {
      return fail("integer bits must be an integer, got " + quoted(args[1]));
    }
    if (i.status == IntArg::kOutOfRange) {
      return fail("integer bits must be between -" + std::to_string(kMaxIntegerBitsMagnitude) +
                  " and " + std::to_string(kMaxIntegerBitsMagnitude) + ", got " + quoted(args[1]));
    }
    integer_bits = i.value;
  }
  QuantMode quant = QuantMode::kTrn;
  OverflowMode overflow = OverflowMode::kWrap;
  if (args.size() >= 3) {
    const std::optional<QuantMode> q = parse_quant_mode(args[2]);
    if (!q) {
      return fail("unknown rounding mode " + quoted(args[2]) +
                  " (expected one of: " + join_names(kQuantNames) + ")");
    }
    quant = *q;
  }
  if (args.size() >= 4) {
    const std::optional<OverflowMode> o = parse_overflow_mode(args[3]);
    if (!o) {
      return fail("unknown overflow mode " + quoted(args[3]) +
                  " (expected one of: " + join_names(kOverflowNames) + ")");
    }
    overflow = *o;
  }
  if (args.size() == 5) {
    const IntArg n = parse_int(args[4]);
    if (n.status == IntArg::kNotInteger) {
      return fail("saturation bits must be an integer, got " + quoted(args[4]));
    }
    if (n.status == IntArg::kOutOfRange || n.value != 0) {
      const std::string got = n.status == IntArg::kOk ? std::to_string(n.value) : quoted(args[4]);
      return fail("saturation bits N must be 0, got " + got +
                  " (only the default N = 0 is supported)");
    }
  }
  return make_fixed_type(is_signed, width.value, integer_bits, quant, overflow);
}

}  // namespace hlslim
