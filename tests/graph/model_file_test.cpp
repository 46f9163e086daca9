// Model files: damaged or foreign files fail with a message naming the file and the problem.
#include "hlslim/graph/model_file.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;

Graph small_graph() {
  Graph g;
  g.name = "small";
  g.input_shape = {3};
  Layer d;
  d.kind = LayerKind::kDense;
  d.name = "d";
  OptionTable table;
  declare_layer_params(d.kind, d.params, table);
  d.params.units = 2;
  d.tensors["weight"] = Tensor({2, 3}, 0.25f);
  d.tensors["bias"] = Tensor({2}, -1.0f);
  d.attrs["precision"] = std::string("fixed<8,3>");
  d.attrs["sparsity"] = 0.5;
  g.layers.push_back(d);
  g.default_attrs["reuse_factor"] = std::int64_t{2};
  g.type_attrs["dense"]["kernel"] = std::vector<std::int64_t>{1, 2};
  return g;
}

std::string load_error(const fs::path& path) {
  try {
    load_model(path);
  } catch (const FileFormatError& e) {
    return e.what();
  }
  return "";
}

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("model");
    path_ = dir_ / "m.hlsm";
    save_model(small_graph(), path_);
    bytes_ = read_file(path_);
  }
  fs::path write(const std::string& bytes) {
    const auto p = dir_ / "damaged.hlsm";
    write_file_atomic(p, bytes);
    return p;
  }
  fs::path dir_, path_;
  std::string bytes_;
};

TEST_F(ModelFile, RoundTripKeepsAttributesAndTensors) {
  const Graph g = load_model(path_);
  const Graph original = small_graph();
  EXPECT_EQ(g.name, "small");
  EXPECT_EQ(g.input_shape, original.input_shape);
  EXPECT_EQ(g.layers[0].tensors, original.layers[0].tensors);
  EXPECT_EQ(g.layers[0].attrs, original.layers[0].attrs);
  EXPECT_EQ(g.default_attrs, original.default_attrs);
  EXPECT_EQ(g.type_attrs, original.type_attrs);
  EXPECT_EQ(g.layers[0].params.units, 2);
}

TEST_F(ModelFile, CorruptedDataFailsTheChecksum) {
  std::string damaged = bytes_;
  damaged[damaged.size() - 70] ^= 0x40;  // inside the tensor data
  const auto p = write(damaged);
  EXPECT_EQ(load_error(p), "model file '" + p.string() +
                               "': checksum mismatch: the file is "
                               "corrupted");
}

TEST_F(ModelFile, TruncatedFile) {
  const auto p = write(bytes_.substr(0, bytes_.size() - 10));
  EXPECT_EQ(load_error(p), "model file '" + p.string() + "': truncated (expected " +
                               std::to_string(bytes_.size()) + " bytes, found " +
                               std::to_string(bytes_.size() - 10) + ")");
  const auto q = write(bytes_.substr(0, 5));
  EXPECT_EQ(load_error(q),
            "model file '" + q.string() + "': truncated (expected 20 bytes, found 5)");
}

TEST_F(ModelFile, OtherFormatVersion) {
  std::string other = bytes_;
  const std::uint32_t version = 7;
  std::memcpy(&other[8], &version, 4);
  const auto p = write(other);
  EXPECT_EQ(load_error(p), "model file '" + p.string() +
                               "': format version 7 is not supported "
                               "(this hlslim reads version 1)");
}

TEST_F(ModelFile, NotAModelFile) {
  const auto p = write("name: not a model\n");
  EXPECT_EQ(load_error(p), "model file '" + p.string() +
                               "': not an hlslim model file (bad "
                               "magic bytes)");
}

TEST_F(ModelFile, TrailingBytes) {
  const auto p = write(bytes_ + "xyz");
  EXPECT_EQ(load_error(p), "model file '" + p.string() +
                               "': corrupted (3 unexpected trailing "
                               "bytes)");
}

TEST_F(ModelFile, MissingFile) {
  try {
    load_model(dir_ / "absent.hlsm");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read '" + (dir_ / "absent.hlsm").string() + "': No such file or directory");
  }
}

}  // namespace
}  // namespace hlslim
