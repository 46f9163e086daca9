#include "hlslim/data/store_io.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "hlslim/data/numpy_io.hpp"
#include "hlslim/data/simulation.hpp"
#include "hlslim/util/errors.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

void expect_equal_stores(const EventStore& a, const EventStore& b) {
  EXPECT_EQ(a.layers(), b.layers());
  EXPECT_EQ(a.columns(), b.columns());
  EXPECT_EQ(a.label_names(), b.label_names());
  EXPECT_EQ(a.metadata_json(), b.metadata_json());
  EXPECT_EQ(a.offsets(), b.offsets());
  EXPECT_EQ(a.pixels(), b.pixels());
  EXPECT_EQ(a.labels(), b.labels());
  EXPECT_EQ(a.values(), b.values());
}

// A 2 x 3 store with real-valued hits (signed, above 1, and one explicit 1).
EventStore valued_store() {
  EventStore store(2, 3, {"y"}, R"({"features": ["a", "b"]})");
  const std::uint32_t a[] = {0, 4, 5};
  const float va[] = {-1.5f, 12.75f, 1.0f};
  const float la[] = {1.0f};
  store.add_event(a, 3, la, va);
  const float lb[] = {0.0f};
  store.add_event(nullptr, 0, lb);
  const std::uint32_t c[] = {3};
  const float vc[] = {0.001f};
  store.add_event(c, 1, lb, vc);
  return store;
}

std::uint32_t version_of(const std::string& bytes) {
  std::uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  return version;
}

TEST(StoreIo, FilePathRules) {
  EXPECT_EQ(store_file_path("run/data"), "run/data/events.hlsd");
  EXPECT_EQ(store_file_path("run/data/"), "run/data/events.hlsd");
  EXPECT_EQ(store_file_path("run/train.hlsd"), "run/train.hlsd");
}

TEST(StoreIo, RoundTripThroughADirectoryAndAFile) {
  TempDir dir;
  const EventStore store = simulate(SimulationParams(), 700, 300, 4, 1);
  write_store(store, dir.file("out"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/events.hlsd")));
  for (const auto& item : std::filesystem::directory_iterator(dir.file("out"))) {
    EXPECT_EQ(item.path().filename().string().find(".tmp"), std::string::npos) << item.path();
  }
  expect_equal_stores(read_store(dir.file("out")), store);

  write_store(store, dir.file("single.hlsd"));
  expect_equal_stores(read_store(dir.file("single.hlsd")), store);
  EXPECT_EQ(read_bytes(dir.file("single.hlsd")), read_bytes(dir.file("out/events.hlsd")));
}

TEST(StoreIo, ValuesRoundTripInVersion2AndBinaryStoresStayVersion1) {
  TempDir dir;
  const EventStore store = valued_store();
  write_store(store, dir.file("values.hlsd"));
  const std::string bytes = read_bytes(dir.file("values.hlsd"));
  EXPECT_EQ(version_of(bytes), 2u);
  const EventStore back = read_store(dir.file("values.hlsd"));
  ASSERT_TRUE(back.has_values());
  expect_equal_stores(back, store);

  // The same pixels without values: version 1, 4 bytes per hit less (4 hits: no padding).
  const EventStore binary = EventStore::from_arrays(
      "binary", store.layers(), store.columns(), store.label_names(), store.metadata_json(),
      store.offsets(), store.pixels(), store.labels());
  write_store(binary, dir.file("binary.hlsd"));
  const std::string binary_bytes = read_bytes(dir.file("binary.hlsd"));
  EXPECT_EQ(version_of(binary_bytes), 1u);
  EXPECT_EQ(bytes.size(), binary_bytes.size() + 4 * store.hit_count());
  expect_equal_stores(read_store(dir.file("binary.hlsd")), binary);
  EXPECT_FALSE(read_store(dir.file("binary.hlsd")).has_values());

  // A damaged value is caught by the data checksum.
  std::string damaged = bytes;
  // From the end: marker and checksum (16), padding (4), labels (12), then the hit values.
  const std::size_t value_offset = bytes.size() - 16 - 4 - 12 - 8;
  damaged[value_offset] ^= 0x01;
  write_bytes(dir.file("damaged.hlsd"), damaged);
  EXPECT_EQ(error_of([&] { read_store(dir.file("damaged.hlsd")); }),
            dir.file("damaged.hlsd") + ": corrupted data (checksum mismatch)");
}

TEST(StoreIo, EmptyStoreRoundTrip) {
  TempDir dir;
  const EventStore store(2, 5, {});
  write_store(store, dir.file("empty.hlsd"));
  const EventStore back = read_store(dir.file("empty.hlsd"));
  EXPECT_EQ(back.size(), 0u);
  EXPECT_EQ(back.columns(), 5u);
}

TEST(StoreIo, SameSeedGivesByteIdenticalFilesAtOneAndTwoThreads) {
  TempDir dir;
  const SimulationParams params;
  write_store(simulate(params, 12000, 3000, 99, 1), dir.file("one"));
  write_store(simulate(params, 12000, 3000, 99, 2), dir.file("two"));
  const std::string one = read_bytes(dir.file("one/events.hlsd"));
  EXPECT_GT(one.size(), 100000u);
  EXPECT_TRUE(one == read_bytes(dir.file("two/events.hlsd")));

  write_numpy(simulate(params, 9000, 0, 99, 1), dir.file("np1"));
  write_numpy(simulate(params, 9000, 0, 99, 2), dir.file("np2"));
  for (const char* name : {"images.npy", "labels.npy", "labels.json"}) {
    EXPECT_TRUE(read_bytes(dir.file(std::string("np1/") + name)) ==
                read_bytes(dir.file(std::string("np2/") + name)))
        << name;
  }
}

class DamagedStore : public ::testing::Test {
 protected:
  void SetUp() override {
    write_store(simulate(SimulationParams(), 50, 10, 8, 1), dir_.file("events.hlsd"));
    bytes_ = read_bytes(path());
  }
  std::string path() const { return dir_.file("events.hlsd"); }
  std::string read_error() const {
    return error_of([&] { read_store(path()); });
  }

  TempDir dir_;
  std::string bytes_;
};

TEST_F(DamagedStore, TruncatedBody) {
  write_bytes(path(), bytes_.substr(0, bytes_.size() - 10));
  EXPECT_EQ(read_error(), path() + ": truncated: the header describes " +
                              std::to_string(bytes_.size()) + " bytes but the file has " +
                              std::to_string(bytes_.size() - 10));
}

TEST_F(DamagedStore, TruncatedHeader) {
  write_bytes(path(), bytes_.substr(0, 40));
  std::uint32_t header_length = 0;
  std::memcpy(&header_length, bytes_.data() + 12, 4);
  EXPECT_EQ(read_error(), path() + ": truncated: the header needs " +
                              std::to_string(header_length) +
                              " bytes at offset 16 but the file has 40");
  write_bytes(path(), bytes_.substr(0, 12));
  EXPECT_EQ(read_error(), path() + ": truncated: 12 bytes, shorter than the 16-byte preamble");
}

TEST_F(DamagedStore, TrailingData) {
  write_bytes(path(), bytes_ + "xyz");
  EXPECT_EQ(read_error(), path() + ": the header describes " + std::to_string(bytes_.size()) +
                              " bytes but the file has " + std::to_string(bytes_.size() + 3) +
                              " (unexpected trailing data)");
}

TEST_F(DamagedStore, CorruptedData) {
  std::string damaged = bytes_;
  damaged[damaged.size() - 100] ^= 0x10;
  write_bytes(path(), damaged);
  EXPECT_EQ(read_error(), path() + ": corrupted data (checksum mismatch)");
}

TEST_F(DamagedStore, CorruptedHeader) {
  std::string damaged = bytes_;
  damaged[30] ^= 0x01;
  write_bytes(path(), damaged);
  EXPECT_EQ(read_error(), path() + ": corrupted header (checksum mismatch)");
}

TEST_F(DamagedStore, CorruptedEndMarker) {
  std::string damaged = bytes_;
  damaged.back() = 'x';
  write_bytes(path(), damaged);
  EXPECT_EQ(read_error(), path() + ": corrupted end marker");
}

TEST_F(DamagedStore, BadMagic) {
  write_bytes(path(), "this is a text file, not events\n");
  EXPECT_EQ(read_error(), path() + ": not an hlslim event file (bad magic)");
}

TEST_F(DamagedStore, OtherFormatVersion) {
  std::string damaged = bytes_;
  damaged[8] = 3;
  write_bytes(path(), damaged);
  EXPECT_EQ(read_error(),
            path() + ": unsupported format version 3 (this build reads versions 1 and 2)");
}

TEST(StoreIo, MissingFile) {
  TempDir dir;
  EXPECT_EQ(
      error_of([&] { read_store(dir.file("nowhere")); }),
      dir.file("nowhere/events.hlsd") + ": cannot open for reading: No such file or directory");
}

// Writes go through hlslim::AtomicFile, whose errors (hlslim::Error) name the directory.
TEST(StoreIo, UnwritableDestination) {
  TempDir dir;
  write_bytes(dir.file("blocker"), "a file where a directory should be");
  try {
    write_store(EventStore(1, 1, {}), dir.file("blocker/sub"));
    FAIL() << "expected an error";
  } catch (const hlslim::Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot create directory '" + dir.file("blocker/sub") + "': Not a directory");
  }
}

}  // namespace
}  // namespace hlslim::data
