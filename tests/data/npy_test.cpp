#include "hlslim/data/npy.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

// A .npy file assembled by hand, independently of the library's writer.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const std::size_t fixed = major == 1 ? 10 : 12;
  header.append((64 - (fixed + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  const std::size_t length = header.size();
  bytes += static_cast<char>(length & 0xFF);
  bytes += static_cast<char>((length >> 8) & 0xFF);
  if (major != 1) bytes += std::string(2, '\0');
  return bytes + header + data;
}

template <typename T>
std::string raw(std::initializer_list<T> values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::size_t i = 0;
  for (T value : values) std::memcpy(&bytes[sizeof(T) * i++], &value, sizeof(T));
  return bytes;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

class Npy : public ::testing::Test {
 protected:
  std::string put(const std::string& bytes) {
    const std::string path = dir_.file("a.npy");
    write_bytes(path, bytes);
    return path;
  }
  TempDir dir_;
};

TEST_F(Npy, ReadsEveryIntegerAndFloatDtype) {
  const std::vector<float> expected = {0.0f, 1.0f, 2.0f, 3.0f};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"|u1", raw<std::uint8_t>({0, 1, 2, 3})},  {"|i1", raw<std::int8_t>({0, 1, 2, 3})},
      {"|b1", raw<std::uint8_t>({0, 1, 2, 3})},  {"<i2", raw<std::int16_t>({0, 1, 2, 3})},
      {"<u2", raw<std::uint16_t>({0, 1, 2, 3})}, {"<i4", raw<std::int32_t>({0, 1, 2, 3})},
      {"<u4", raw<std::uint32_t>({0, 1, 2, 3})}, {"<i8", raw<std::int64_t>({0, 1, 2, 3})},
      {"<u8", raw<std::uint64_t>({0, 1, 2, 3})}, {"<f4", raw<float>({0, 1, 2, 3})},
      {"<f8", raw<double>({0, 1, 2, 3})},
  };
  for (const auto& [descr, data] : cases) {
    const NpyArray array = read_npy(put(npy_bytes(dict(descr, "(2, 2)"), data)));
    EXPECT_EQ(array.shape, (std::vector<std::size_t>{2, 2})) << descr;
    // bool stores 0/1 only, and numpy writes exactly those bytes; here 2 and 3 read as is.
    EXPECT_EQ(array.data, expected) << descr;
  }
  EXPECT_EQ(read_npy(put(npy_bytes(dict("<i2", "(3,)"), raw<std::int16_t>({-7, 0, 300})))).data,
            (std::vector<float>{-7.0f, 0.0f, 300.0f}));
}

TEST_F(Npy, ReadsVersionTwoHeadersAndScalars) {
  const NpyArray v2 = read_npy(put(npy_bytes(dict("<f8", "(1, 2)"), raw<double>({0.5, -1.5}), 2)));
  EXPECT_EQ(v2.data, (std::vector<float>{0.5f, -1.5f}));
  const NpyArray scalar = read_npy(put(npy_bytes(dict("<f4", "()"), raw<float>({4.0f}))));
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.data, (std::vector<float>{4.0f}));
  const NpyArray empty = read_npy(put(npy_bytes(dict("<f4", "(0, 6)"), "")));
  EXPECT_EQ(empty.shape, (std::vector<std::size_t>{0, 6}));
  EXPECT_TRUE(empty.data.empty());
}

TEST_F(Npy, WriterRoundTripAndAlignment) {
  const std::string path = dir_.file("w.npy");
  const std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  write_npy(path, {2, 3}, values.data());
  NpyReader reader(path);
  EXPECT_EQ(reader.header().descr, "<f4");
  EXPECT_EQ(reader.header().data_offset % 64, 0u);
  EXPECT_EQ(read_npy(path).data, values);

  const std::vector<std::uint8_t> bytes = {0, 1, 1, 0};
  write_npy(dir_.file("u.npy"), {4}, bytes.data());
  const NpyArray u = read_npy(dir_.file("u.npy"));
  EXPECT_EQ(u.shape, (std::vector<std::size_t>{4}));
  EXPECT_EQ(u.data, (std::vector<float>{0, 1, 1, 0}));
  EXPECT_NE(read_bytes(dir_.file("u.npy")).find("'shape': (4,), }"), std::string::npos);
}

TEST_F(Npy, Errors) {
  const std::string p = dir_.file("a.npy");
  EXPECT_EQ(error_of([&] { read_npy(put("PK\x03\x04 not numpy at all")); }),
            p + ": not a NumPy .npy file (bad magic)");
  EXPECT_EQ(error_of([&] { read_npy(put(npy_bytes(dict("<c8", "(1,)"), raw<double>({1.0})))); }),
            p + ": unsupported dtype '<c8' (supported: bool, uint8, int8, uint16, int16, uint32, "
                "int32, uint64, int64, float32, float64)");
  EXPECT_EQ(error_of([&] { read_npy(put(npy_bytes(dict(">f4", "(1,)"), raw<float>({1.0f})))); }),
            p + ": big-endian dtype '>f4' is not supported");
  EXPECT_EQ(
      error_of([&] { read_npy(put(npy_bytes(dict("<f4", "(1, 1)", true), raw<float>({1.0f})))); }),
      p + ": Fortran-order arrays are not supported (save a C-order array, e.g. "
          "numpy.ascontiguousarray)");
  EXPECT_EQ(error_of([&] {
              read_npy(put(npy_bytes(dict("<f4", "(2, 2)"), raw<float>({1, 2, 3}))));
            }),
            p + ": truncated data: expected 16 bytes after the header, found 12");
  EXPECT_EQ(error_of([&] { read_npy(put(npy_bytes(dict("|u1", "(2,)"), "abc"))); }),
            p + ": 1 bytes of trailing data after the array");
  EXPECT_EQ(
      error_of([&] { read_npy(put(npy_bytes("{'descr': '<f4', 'shape': (1,), }", "abcd"))); }),
      p + ": malformed header: it needs the keys 'descr', 'fortran_order' and 'shape'");
  EXPECT_EQ(error_of([&] { read_npy(put(npy_bytes("{'descr': '<f4' 'x'}", ""))); }),
            p + ": malformed header: expected '}' at character 16 of \"{'descr': '<f4' 'x'}\"");
  std::string future = npy_bytes(dict("<f4", "(1,)"), raw<float>({1.0f}));
  future[6] = 4;
  EXPECT_EQ(error_of([&] { read_npy(put(future)); }), p + ": unsupported .npy format version 4.0");
  EXPECT_EQ(error_of([&] { read_npy(put(npy_bytes(dict("<f4", "(1,)"), "").substr(0, 9))); }),
            p + ": truncated header");
  EXPECT_EQ(error_of([&] { read_npy(dir_.file("missing.npy")); }),
            dir_.file("missing.npy") + ": cannot open for reading: No such file or directory");
}

}  // namespace
}  // namespace hlslim::data
