#include "npy_header.hpp"

#include <cctype>

#include "hlslim/data/error.hpp"

namespace hlslim::data::detail {
namespace {

struct DtypeEntry {
  const char* code;  // the descr without its byte-order character
  NpyDtype dtype;
  std::size_t item_size;
};

constexpr DtypeEntry kDtypes[] = {
    {"b1", NpyDtype::boolean, 1}, {"u1", NpyDtype::uint8, 1},   {"i1", NpyDtype::int8, 1},
    {"u2", NpyDtype::uint16, 2},  {"i2", NpyDtype::int16, 2},   {"u4", NpyDtype::uint32, 4},
    {"i4", NpyDtype::int32, 4},   {"u8", NpyDtype::uint64, 8},  {"i8", NpyDtype::int64, 8},
    {"f4", NpyDtype::float32, 4}, {"f8", NpyDtype::float64, 8},
};

// Header text as a message quotes it: at most 200 characters, every byte that is not printable
// ASCII spelled \xNN, so that a damaged file never puts raw bytes on the terminal.
std::string printable(const std::string& text) {
  constexpr std::size_t kMaxQuoted = 200;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMaxQuoted; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      out += static_cast<char>(byte);
    } else {
      out += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 0xf];
    }
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out;
}

// A cursor over the header text: just enough of Python's literal syntax for numpy's dict of
// strings, booleans and a tuple of integers.
class Parser {
 public:
  Parser(const std::string& path, const std::string& text) : path_(path), text_(text) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(path_ + ": malformed header: " + what + " at character " +
                    std::to_string(position_) + " of \"" + printable(trimmed()) + "\"");
  }

  void skip_space() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }

  bool accept(char c) {
    skip_space();
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }

  std::string string() {
    skip_space();
    if (position_ >= text_.size() || (text_[position_] != '\'' && text_[position_] != '"')) {
      fail("expected a string");
    }
    const char quote = text_[position_++];
    const std::size_t end = text_.find(quote, position_);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(position_, end - position_);
    position_ = end + 1;
    return value;
  }

  bool boolean() {
    skip_space();
    for (const char* word : {"True", "False"}) {
      const std::string literal(word);
      if (text_.compare(position_, literal.size(), literal) == 0) {
        position_ += literal.size();
        return literal == "True";
      }
    }
    fail("expected True or False");
  }

  std::vector<std::size_t> shape() {
    expect('(');
    std::vector<std::size_t> values;
    while (!accept(')')) {
      skip_space();
      const std::size_t start = position_;
      std::size_t value = 0;
      while (position_ < text_.size() &&
             std::isdigit(static_cast<unsigned char>(text_[position_]))) {
        const std::size_t digit = static_cast<std::size_t>(text_[position_] - '0');
        if (value > (static_cast<std::size_t>(-1) - digit) / 10) fail("dimension too large");
        value = value * 10 + digit;
        ++position_;
      }
      if (position_ == start) fail("expected a non-negative integer dimension");
      // numpy may print dimensions as Python longs ("3L") in files from Python 2.
      if (position_ < text_.size() && text_[position_] == 'L') ++position_;
      values.push_back(value);
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return values;
  }

  bool at_end() {
    skip_space();
    return position_ == text_.size();
  }

 private:
  std::string trimmed() const {
    std::string text = text_;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text;
  }

  const std::string& path_;
  const std::string& text_;
  std::size_t position_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string& path, const std::string& text) {
  Parser parser(path, text);
  NpyHeader header;
  bool has_descr = false, has_order = false, has_shape = false, fortran = false;
  parser.expect('{');
  while (!parser.accept('}')) {
    const std::string key = parser.string();
    parser.expect(':');
    if (key == "descr") {
      header.descr = parser.string();
      has_descr = true;
    } else if (key == "fortran_order") {
      fortran = parser.boolean();
      has_order = true;
    } else if (key == "shape") {
      header.shape = parser.shape();
      has_shape = true;
    } else {
      parser.fail("unknown key '" + printable(key) + "'");
    }
    if (!parser.accept(',')) {
      parser.expect('}');
      break;
    }
  }
  if (!parser.at_end()) parser.fail("unexpected text after the dictionary");
  if (!has_descr || !has_order || !has_shape) {
    throw DataError(path + ": malformed header: it needs the keys 'descr', 'fortran_order' and " +
                    "'shape'");
  }
  if (fortran) {
    throw DataError(path + ": Fortran-order arrays are not supported (save a C-order array, " +
                    "e.g. numpy.ascontiguousarray)");
  }
  const std::string& descr = header.descr;
  for (const DtypeEntry& entry : kDtypes) {
    if (descr.size() != 3 || descr.compare(1, 2, entry.code) != 0) continue;
    const char order = descr[0];
    // Byte order means nothing for one-byte types, which numpy marks with '|'.
    const bool accepted = entry.item_size == 1
                              ? (order == '|' || order == '<' || order == '>' || order == '=')
                              : (order == '<' || order == '=');
    if (accepted) {
      header.dtype = entry.dtype;
      header.item_size = entry.item_size;
      return header;
    }
    if (order == '>') {
      throw DataError(path + ": big-endian dtype '" + printable(descr) + "' is not supported");
    }
  }
  throw DataError(path + ": unsupported dtype '" + printable(descr) +
                  "' (supported: bool, uint8, int8, " +
                  "uint16, int16, uint32, int32, uint64, int64, float32, float64)");
}

}  // namespace hlslim::data::detail
