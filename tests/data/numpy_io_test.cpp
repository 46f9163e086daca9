#include "hlslim/data/numpy_io.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hlslim/data/npy.hpp"
#include "hlslim/data/simulation.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;
using testing::TempDir;

TEST(NumpyIo, WritesImagesLabelsAndJson) {
  TempDir dir;
  const EventStore store = simulate(SimulationParams(), 40, 10, 12, 1);
  write_numpy(store, dir.file("np"));

  NpyReader images(dir.file("np/images.npy"));
  EXPECT_EQ(images.header().descr, "|u1");
  EXPECT_EQ(images.header().shape, (std::vector<std::size_t>{50, 9, 384}));
  std::vector<std::uint8_t> dense(50 * 9 * 384);
  images.read_raw(dense.data(), dense.size());
  std::size_t ones = 0;
  for (std::size_t event = 0; event < 50; ++event) {
    for (std::uint32_t pixel : store.hits(event)) EXPECT_EQ(dense[event * 3456 + pixel], 1);
  }
  for (std::uint8_t value : dense) ones += value;
  EXPECT_EQ(ones, store.hit_count());

  const NpyArray labels = read_npy(dir.file("np/labels.npy"));
  EXPECT_EQ(labels.shape, (std::vector<std::size_t>{50, 6}));
  EXPECT_EQ(labels.data, store.labels());

  std::ifstream in(dir.file("np/labels.json"));
  const nlohmann::json json = nlohmann::json::parse(in);
  EXPECT_EQ(json["columns"], simulation_label_names());
  EXPECT_EQ(json["n_events"], 50);
  EXPECT_EQ(json["image_shape"], nlohmann::json({9, 384}));
  EXPECT_EQ(json["seed"], 12);
  EXPECT_EQ(json["simulation"], SimulationParams().to_json());
}

TEST(NumpyIo, RoundTripThroughNumpyFiles) {
  TempDir dir;
  const EventStore store = simulate(SimulationParams(), 30, 5, 13, 1);
  write_numpy(store, dir.path().string());
  const EventStore back =
      from_npy(dir.file("images.npy"), dir.file("labels.npy"), {}, dir.file("labels.json"));
  EXPECT_EQ(back.label_names(), store.label_names());
  EXPECT_EQ(back.offsets(), store.offsets());
  EXPECT_EQ(back.pixels(), store.pixels());
  EXPECT_EQ(back.labels(), store.labels());
  EXPECT_EQ(nlohmann::json::parse(back.metadata_json()),
            nlohmann::json::parse(store.metadata_json()));

  const EventStore picked = from_npy(dir.file("images.npy"), dir.file("labels.npy"), {"eta", "pt"},
                                     dir.file("labels.json"));
  EXPECT_EQ(picked.label_names(), (std::vector<std::string>{"eta", "pt"}));
  EXPECT_EQ(picked.label(3, 1), store.label(3, store.label_index("pt")));
  EXPECT_EQ(error_of([&] {
              from_npy(dir.file("images.npy"), dir.file("labels.npy"), {"ptt"},
                       dir.file("labels.json"));
            }),
            dir.file("labels.json") +
                ": no label column 'ptt' (available: pt, eta, phi, charge, n_hits, is_noise)");
}

class FromNpy : public ::testing::Test {
 protected:
  std::string labels(const std::vector<std::size_t>& shape, const std::vector<float>& values) {
    const std::string path = dir_.file("labels.npy");
    write_npy(path, shape, values.data());
    return path;
  }
  std::string images(const std::vector<std::size_t>& shape, const std::vector<float>& values,
                     const std::string& name = "images.npy") {
    const std::string path = dir_.file(name);
    write_npy(path, shape, values.data());
    return path;
  }
  TempDir dir_;
};

TEST_F(FromNpy, AcceptsAnyImageShapeAndNonZeroValues) {
  // Two 1 x 4 images given as N x W floats: any non-zero value is a hit, and keeps its value.
  const std::string image_path = images({2, 4}, {0.0f, 0.5f, 0.0f, -3.0f, 0.0f, 0.0f, 0.0f, 0.0f});
  const EventStore store = from_npy(image_path, labels({2}, {7.0f, 8.0f}), {"pt"}, "");
  EXPECT_EQ(store.layers(), 1u);
  EXPECT_EQ(store.columns(), 4u);
  EXPECT_EQ(store.pixels(), (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(store.values(), (std::vector<float>{0.5f, -3.0f}));
  EXPECT_EQ(store.offsets(), (std::vector<std::uint64_t>{0, 2, 2}));
  EXPECT_EQ(store.label_names(), (std::vector<std::string>{"pt"}));

  const EventStore unnamed =
      from_npy(images({1, 2, 3}, {0, 0, 1, 1, 0, 0}), labels({1, 2}, {1.0f, 2.0f}), {}, "");
  EXPECT_EQ(unnamed.label_names(), (std::vector<std::string>{"label_0", "label_1"}));
  EXPECT_EQ(unnamed.pixels(), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_FALSE(unnamed.has_values());  // 0/1 floats are binary images
  EXPECT_EQ(from_npy(images({1, 2, 3}, {0, 0, 1, 1, 0, 0}), "", {}, "").label_count(), 0u);
}

TEST_F(FromNpy, FeatureTablesKeepTheirValuesWhateverTheDtype) {
  // Signed integers keep their sign; 0/1 bytes are binary images, other counts are values.
  const std::string bytes = dir_.file("counts.npy");
  const std::uint8_t counts[] = {0, 1, 3, 1};
  write_npy(bytes, {2, 2}, counts);
  EXPECT_EQ(from_npy(bytes, "", {}, "").values(), (std::vector<float>{1.0f, 3.0f, 1.0f}));
  const std::uint8_t binary[] = {0, 1, 1, 1};
  write_npy(bytes, {2, 2}, binary);
  EXPECT_FALSE(from_npy(bytes, "", {}, "").has_values());
  const std::string signed_path = dir_.file("signed.npy");
  {
    // NpyWriter writes only |u1 and <f4: a little-endian int16 file by hand (128-byte preamble).
    std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 3), }";
    header += std::string(128 - 10 - header.size() - 1, ' ') + "\n";
    const std::int16_t raw[] = {-300, 0, 7};
    std::ofstream out(signed_path, std::ios::binary);
    out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size()) << '\x00' << header;
    out.write(reinterpret_cast<const char*>(raw), sizeof raw);
  }
  const EventStore signed_store = from_npy(signed_path, "", {}, "");
  EXPECT_EQ(signed_store.pixels(), (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(signed_store.values(), (std::vector<float>{-300.0f, 7.0f}));

  // Written back for NumPy users as float32 images holding the values.
  TempDir out;
  write_numpy(signed_store, out.path().string());
  const NpyArray back = read_npy(out.file("images.npy"));
  EXPECT_EQ(NpyReader(out.file("images.npy")).header().dtype, NpyDtype::float32);
  EXPECT_EQ(back.shape, (std::vector<std::size_t>{1, 1, 3}));
  EXPECT_EQ(back.data, (std::vector<float>{-300.0f, 0.0f, 7.0f}));
}

TEST_F(FromNpy, Errors) {
  const std::string i = images({3, 2, 2}, std::vector<float>(12, 0.0f));
  EXPECT_EQ(error_of([&] {
              from_npy(i, labels({2, 1}, {1, 2}), {}, "");
            }),
            dir_.file("labels.npy") + ": 2 rows but " + i + " has 3 events");
  EXPECT_EQ(error_of([&] {
              from_npy(i, labels({3, 2}, {1, 2, 3, 4, 5, 6}), {"pt"}, "");
            }),
            dir_.file("labels.npy") + ": has 2 columns but 1 label names were given");
  EXPECT_EQ(error_of([&] {
              from_npy(i, labels({3, 2}, {1, 2, 3, NAN, 5, 6}), {"pt", "eta"}, "");
            }),
            dir_.file("labels.npy") + ": row 1, column 'eta' is NaN");
  EXPECT_EQ(error_of([&] {
              from_npy(i, labels({3, 1, 1}, {1, 2, 3}), {}, "");
            }),
            dir_.file("labels.npy") + ": expected shape N x K or N, got (3, 1, 1)");
  EXPECT_EQ(error_of([&] {
              from_npy(images({2}, {1, 0}, "flat.npy"), "", {}, "");
            }),
            dir_.file("flat.npy") + ": expected shape N x H x W or N x W, got (2)");
  EXPECT_EQ(error_of([&] {
              from_npy(images({1, 2}, {1, NAN}, "nan.npy"), "", {}, "");
            }),
            dir_.file("nan.npy") + ": event 0 has a NaN pixel");
  EXPECT_EQ(error_of([&] {
              from_npy(images({1, 2}, {1, -INFINITY}, "inf.npy"), "", {}, "");
            }),
            dir_.file("inf.npy") + ": event 0 has an infinite pixel");
  EXPECT_EQ(error_of([&] { from_npy(i, "", {"pt"}, ""); }),
            "label columns were named but no labels file was given");
  const std::string json_path = dir_.file("labels.json");
  std::ofstream(json_path) << R"({"columns": ["pt"], "n_events": 4})";
  EXPECT_EQ(error_of([&] {
              from_npy(i, labels({3}, {1, 2, 3}), {}, json_path);
            }),
            json_path + ": n_events is 4 but " + i + " has 3 events");
  std::ofstream(json_path) << R"({"columns": ["pt", "eta"]})";
  EXPECT_EQ(
      error_of([&] {
        from_npy(i, labels({3}, {1, 2, 3}), {}, json_path);
      }),
      json_path + ": 'columns' lists 2 names but " + dir_.file("labels.npy") + " has 1 columns");
  std::ofstream(json_path) << "{not json";
  EXPECT_EQ(error_of([&] {
              from_npy(i, labels({3}, {1, 2, 3}), {}, json_path);
            }).rfind(json_path + ": invalid JSON: ", 0),
            0u);
}

}  // namespace
}  // namespace hlslim::data
