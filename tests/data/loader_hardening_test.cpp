// Malformed files are rejected safely: sizes and offsets are checked without overflow before
// anything is read, and messages quote numbers, the file and the field, never raw bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "checksum.hpp"
#include "hlslim/data/npy.hpp"
#include "hlslim/data/numpy_io.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/data/store_io.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

// Where the parts of an events.hlsd file lie (docs/data-format.md).
struct StoreLayout {
  std::size_t header_checksum = 0;  // the header checksum; the offsets follow it
  std::size_t offsets() const { return header_checksum + 8; }
};

StoreLayout layout_of(const std::string& bytes) {
  std::uint32_t header_length = 0;
  std::memcpy(&header_length, bytes.data() + 12, 4);
  const std::size_t end = 16 + header_length;
  return {end + (8 - end % 8) % 8};
}

// Recomputes both checksums, so that a damage planted by a test passes them as a forger's would.
void reseal(std::string& bytes) {
  const StoreLayout layout = layout_of(bytes);
  detail::Checksum header;
  header.update(bytes.data(), layout.header_checksum);
  std::uint64_t value = header.value();
  std::memcpy(&bytes[layout.header_checksum], &value, 8);
  detail::Checksum body;
  body.update(bytes.data() + layout.offsets(), bytes.size() - 16 - layout.offsets());
  value = body.value();
  std::memcpy(&bytes[bytes.size() - 16], &value, 8);
}

void set_offset(std::string& bytes, std::size_t index, std::uint64_t value) {
  std::memcpy(&bytes[layout_of(bytes).offsets() + 8 * index], &value, 8);
}

class ForgedStore : public ::testing::Test {
 protected:
  void SetUp() override {
    write_store(simulate(SimulationParams(), 20, 10, 8, 1), path());
    bytes_ = read_bytes(path());
  }
  std::string path() const { return dir_.file("events.hlsd"); }
  std::string read_error(std::string bytes) const {
    reseal(bytes);
    write_bytes(path(), bytes);
    return error_of([&] { read_store(path()); });
  }

  TempDir dir_;
  std::string bytes_;
};

TEST_F(ForgedStore, ResealingAnIntactStoreKeepsItReadable) {
  EXPECT_EQ(read_error(bytes_), "no error");
}

// The offsets rise past the hit count and come back down to it: before the fix, the first event
// read thousands of hits beyond the array and quoted one of those heap words as a "pixel".
TEST_F(ForgedStore, OffsetBeyondTheHitsIsRejectedBeforeAnyHitIsRead) {
  const EventStore store = read_store(path());
  std::string bytes = bytes_;
  set_offset(bytes, 1, 1000000);
  EXPECT_EQ(read_error(bytes), path() + ": offset 1000000 of event 0 is beyond the hit count " +
                                   std::to_string(store.hit_count()));
}

TEST_F(ForgedStore, OffsetNear2To64IsRejected) {
  const EventStore store = read_store(path());
  std::string bytes = bytes_;
  set_offset(bytes, 3, ~std::uint64_t{0} - 2);
  EXPECT_EQ(read_error(bytes), path() +
                                   ": offset 18446744073709551613 of event 2 is beyond the "
                                   "hit count " +
                                   std::to_string(store.hit_count()));
}

TEST_F(ForgedStore, DecreasingOffsetsAreRejected) {
  const EventStore store = read_store(path());
  std::string bytes = bytes_;
  set_offset(bytes, 2, 0);
  ASSERT_GT(store.offsets()[1], 0u);
  EXPECT_EQ(read_error(bytes), path() + ": offsets decrease at event 1");
}

// A header that is not JSON: the message gives the position, not the bytes the parser read.
TEST_F(ForgedStore, InvalidHeaderJsonQuotesNoBytes) {
  std::string bytes = bytes_;
  bytes[16] = '\x01';
  bytes[17] = '\xfe';
  std::uint32_t header_length = 0;
  std::memcpy(&header_length, bytes.data() + 12, 4);
  EXPECT_EQ(read_error(bytes), path() + ": invalid header: not valid JSON (at byte 1 of " +
                                   std::to_string(header_length) + ")");
}

// layers x columns wraps around 2^64 to 0: before the fix it passed as a small image.
TEST(EventStoreShape, ImageShapeOverflowIsRejected) {
  const std::size_t side = std::size_t{1} << 32;
  EXPECT_EQ(error_of([&] { EventStore::from_arrays("x.hlsd", side, side, {}, "{}", {0}, {}, {}); }),
            "x.hlsd: invalid image shape 4294967296 x 4294967296 (each side must be positive, at "
            "most 2^32 pixels)");
}

// A .npy file with its header and `shape` and nothing else.
std::string npy_file(const std::string& header) {
  std::string text = header;
  text.append((64 - (10 + text.size() + 1) % 64) % 64, ' ');
  text += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(text.size() & 0xff);
  bytes += static_cast<char>(text.size() >> 8);
  return bytes + text;
}

// No events, so no data bounds the image: its 2^64 pixels wrapped around to 0 before the fix.
TEST(NpyHardening, ImageShapeOverflowWithoutEventsIsRejected) {
  TempDir dir;
  const std::string path = dir.file("images.npy");
  write_bytes(path, npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4294967296, "
                             "4294967296), }"));
  EXPECT_EQ(error_of([&] { from_npy(path, "", {}, ""); }),
            path + ": image shape (0, 4294967296, 4294967296) is empty or above 2^32 pixels");
}

// 2^32 pixels of 8 bytes each: before the fix one 32 GiB image buffer was allocated for a file of
// 128 bytes that holds no image at all.
TEST(NpyHardening, NoEventsAllocateNoImageBuffer) {
  TempDir dir;
  const std::string path = dir.file("images.npy");
  write_bytes(path,
              npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 65536, 65536), }"));
  EXPECT_EQ(from_npy(path, "", {}, "").size(), 0u);
}

// With no rows nothing bounds the column count; before the fix a store with more columns than
// read_store() accepts was made (and 2^40 columns made 2^40 names "label_0", ...).
TEST(NpyHardening, LabelColumnsAreBounded) {
  TempDir dir;
  const std::string images = dir.file("images.npy");
  const std::string labels = dir.file("labels.npy");
  write_bytes(images, npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 2, 2), }"));
  write_bytes(labels, npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5000), }"));
  EXPECT_EQ(error_of([&] { from_npy(images, labels, {}, ""); }),
            labels + ": 5000 label columns exceed the limit of 4096");
}

TEST(NpyHardening, MalformedHeaderQuotesNoRawBytes) {
  TempDir dir;
  const std::string path = dir.file("x.npy");
  write_bytes(path, npy_file("{'descr': '<f4'\x01\xff}"));
  EXPECT_EQ(
      error_of([&] { read_npy(path); }),
      path + ": malformed header: expected '}' at character 15 of \"{'descr': '<f4'\\x01\\xff}\"");
  write_bytes(path, npy_file("{'descr': '<\x7f\x80', 'fortran_order': False, 'shape': (1,), }"));
  EXPECT_EQ(error_of([&] { read_npy(path); }),
            path +
                ": unsupported dtype '<\\x7f\\x80' (supported: bool, uint8, int8, uint16, int16, "
                "uint32, int32, uint64, int64, float32, float64)");
}

TEST(NpyHardening, OverlongHeaderIsRejected) {
  TempDir dir;
  const std::string path = dir.file("x.npy");
  const std::uint32_t length = (1u << 20) + 1;
  std::string bytes = "\x93NUMPY";
  bytes += '\x02';
  bytes += '\x00';
  bytes.append(reinterpret_cast<const char*>(&length), 4);
  bytes.append(length, ' ');
  write_bytes(path, bytes);
  EXPECT_EQ(error_of([&] { read_npy(path); }),
            path + ": header of 1048577 bytes exceeds the limit of 1048576");
}

TEST(NpyHardening, ElementCountOverflowThrows) {
  NpyHeader header;
  header.shape = {std::size_t{1} << 32, std::size_t{1} << 32};
  EXPECT_EQ(error_of([&] { header.element_count(); }), "array shape with more than 2^64 elements");
  header.shape = {std::size_t{1} << 32, std::size_t{1} << 32, 0};
  EXPECT_EQ(header.element_count(), 0u);
}

}  // namespace
}  // namespace hlslim::data
