// Class labels read from NumPy files: a class-index column of shape (N,) and the optional
// "classes" list of labels.json, which must name the classes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hlslim/data/npy.hpp"
#include "hlslim/data/numpy_io.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

void write_inputs(const testing::TempDir& dir, const std::string& labels_json) {
  const std::vector<float> features = {0.5f, 1.0f, 2.0f, 0.0f, 1.5f, 3.0f};
  const std::vector<float> classes = {2, 0, 1};
  write_npy(dir.file("x.npy"), {3, 2}, features.data());
  write_npy(dir.file("y.npy"), {3}, classes.data());
  testing::write_bytes(dir.file("labels.json"), labels_json);
}

TEST(ClassLabels, AnIndexColumnKeepsItsClassNamesAsMetadata) {
  testing::TempDir dir;
  write_inputs(dir, R"({"columns": ["class"], "classes": ["g", "q", "w"]})");
  const EventStore store =
      from_npy(dir.file("x.npy"), dir.file("y.npy"), {}, dir.file("labels.json"));
  EXPECT_EQ(store.label_names(), std::vector<std::string>{"class"});
  EXPECT_EQ(store.label_column("class", {0, 1, 2}), (std::vector<float>{2, 0, 1}));
  EXPECT_EQ(nlohmann::json::parse(store.metadata_json())["classes"],
            nlohmann::json({"g", "q", "w"}));
}

TEST(ClassLabels, ClassesMustBeAListOfNames) {
  testing::TempDir dir;
  write_inputs(dir, R"({"columns": ["class"], "classes": "g q w"})");
  const std::string expected =
      dir.file("labels.json") +
      ": 'classes' must be a list of class names (one per class index of a label column)";
  EXPECT_EQ(error_of([&] {
              from_npy(dir.file("x.npy"), dir.file("y.npy"), {}, dir.file("labels.json"));
            }),
            expected);
  EXPECT_EQ(error_of([&] {
              inspect_npy(dir.file("x.npy"), dir.file("y.npy"), {}, dir.file("labels.json"));
            }),
            expected);
}

TEST(ClassLabels, ALabelFileOfAnotherShapeThanItsColumnsIsRefusedFromTheHeaders) {
  testing::TempDir dir;
  write_inputs(dir, R"({"columns": ["class", "weight"]})");
  EXPECT_EQ(error_of([&] {
              inspect_npy(dir.file("x.npy"), dir.file("y.npy"), {}, dir.file("labels.json"));
            }),
            dir.file("labels.json") + ": 'columns' lists 2 names but " + dir.file("y.npy") +
                " has 1 columns");
  EXPECT_EQ(error_of([&] {
              inspect_npy(dir.file("x.npy"), dir.file("y.npy"), {"a", "b"}, "");
            }),
            dir.file("y.npy") + ": has 1 columns but 2 label names were given");
}

}  // namespace
}  // namespace hlslim::data
