// Forged model files: checksums right, contents wrong. Every bound is checked without overflow,
// every failure is a FileFormatError naming the file, and non-finite weights are rejected.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "hlslim/graph/layer_types.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

Graph dense_graph(float bias) {
  Graph g;
  g.name = "forged";
  g.input_shape = {3};
  Layer d;
  d.kind = LayerKind::kDense;
  d.name = "fc1";
  OptionTable table;
  declare_layer_params(d.kind, d.params, table);
  d.params.units = 2;
  d.tensors["weight"] = Tensor({2, 3}, 0.25f);
  d.tensors["bias"] = Tensor({2}, bias);
  g.layers.push_back(d);
  return g;
}

// A model file split into its header and its tensor data, put back together with a fresh
// checksum after a test changed either.
class ForgedModel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("forged_model");
    save_model(dense_graph(-1.0f), path());
    const std::string bytes = read_file(path());
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, bytes.data() + 12, 8);
    header_ = json::parse(bytes.substr(20, header_len));
    data_ = bytes.substr(20 + header_len, bytes.size() - 20 - header_len - 64);
  }
  fs::path path() const { return dir_ / "m.hlsm"; }
  json& tensor(const std::string& name) {
    for (json& t : header_["layers"][0]["tensors"]) {
      if (t["name"] == name) return t;
    }
    throw std::runtime_error("no tensor " + name);
  }
  // Writes the forged file and returns what loading it says.
  std::string load_error() {
    const std::string text = header_.dump();
    std::string bytes = read_file(path()).substr(0, 12);
    const std::uint64_t header_len = text.size();
    bytes.append(reinterpret_cast<const char*>(&header_len), 8);
    bytes += text + data_;
    bytes += sha256_hex(bytes);
    write_file_atomic(path(), bytes);
    try {
      load_model(path());
    } catch (const FileFormatError& e) {
      return e.what();
    }
    return "no error";
  }
  std::string prefix() const { return "model file '" + path().string() + "': "; }

  fs::path dir_;
  json header_;
  std::string data_;
};

TEST_F(ForgedModel, UnchangedFileLoads) {
  EXPECT_EQ(load_error(), "no error");
}

// offset + 8 wraps around 2^64 to 0: before the fix the bias was read from the 8 bytes before
// the tensor data (the end of the JSON header) and the model loaded with those weights.
TEST_F(ForgedModel, TensorOffsetNear2To64IsRejected) {
  tensor("bias")["offset"] = std::numeric_limits<std::uint64_t>::max() - 7;
  EXPECT_EQ(load_error(), prefix() +
                              "corrupted tensor table for layer 'fc1' (tensor 'bias': offset "
                              "18446744073709551608, 2 values, 32 bytes of data)");
}

TEST_F(ForgedModel, TensorPastTheDataIsRejected) {
  tensor("weight")["offset"] = 16;
  EXPECT_EQ(load_error(), prefix() +
                              "corrupted tensor table for layer 'fc1' (tensor 'weight': offset 16, "
                              "6 values, 32 bytes of data)");
}

// A shape whose element count overflows int64: signed overflow (undefined) before the fix.
TEST_F(ForgedModel, ShapeOverflowIsRejected) {
  tensor("weight")["shape"] = {std::int64_t{1} << 32, std::int64_t{1} << 32};
  EXPECT_EQ(load_error(), prefix() +
                              "corrupted tensor table for layer 'fc1' (tensor 'weight': offset "
                              "8, 6 values, 32 bytes of data)");
}

// data_bytes near 2^64 made the expected file size wrap around to the real one.
TEST_F(ForgedModel, DataSizeNear2To64IsRejected) {
  header_["data_bytes"] = std::numeric_limits<std::uint64_t>::max() - 40;
  EXPECT_EQ(load_error(), prefix() + "truncated (expected more than 2^64 bytes, found " +
                              std::to_string(20 + header_.dump().size() + 32 + 64) + ")");
}

// Before the fix these escaped as nlohmann::json and std::runtime_error exceptions.
TEST_F(ForgedModel, MistypedHeaderFieldsAreFileFormatErrors) {
  header_["data_bytes"] = "32";
  EXPECT_EQ(load_error(),
            prefix() + "corrupted header ('data_bytes' is not a non-negative integer)");
  header_["data_bytes"] = 32;
  header_["default_attrs"]["x"] = {"complex", 1};
  EXPECT_EQ(load_error(), prefix() + "corrupted header (unknown attribute type 'complex')");
  header_ = json::array();
  EXPECT_EQ(load_error(), prefix() + "corrupted header (not a JSON object)");
}

// Layer parameters get the option table's checks, as in a config: before the fix a model file
// without a convolution's kernel (found by fuzz_hlsm) read kernel[0] of an empty list in shape
// inference, and a zero unit count passed.
TEST_F(ForgedModel, LayerParametersAreCheckedAsInAConfig) {
  header_["layers"][0]["params"].erase("units");
  EXPECT_EQ(load_error(),
            prefix() + "corrupted header (layer 'fc1', parameter 'units' is missing)");
  header_["layers"][0]["params"]["units"] = 0;
  EXPECT_EQ(load_error(), prefix() +
                              "corrupted header (layer 'fc1', parameter 'units': value 0 "
                              "of 'units' is out of range (>= 1))");
  header_["layers"][0]["params"]["units"] = 2;
  header_["input_shape"] = {3, 0};
  EXPECT_EQ(load_error(), prefix() +
                              "corrupted header (input shape [3, 0]: at most 3 dimensions, each at "
                              "least 1)");
}

TEST(ModelFileWeights, NonFiniteWeightsNameTheFileLayerAndTensor) {
  const fs::path dir = testing::temp_dir("nonfinite_model");
  for (const float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
    save_model(dense_graph(bad), dir / "m.hlsm");
    try {
      load_model(dir / "m.hlsm");
      FAIL() << "expected an error";
    } catch (const FileFormatError& e) {
      EXPECT_EQ(std::string(e.what()),
                "model file '" + (dir / "m.hlsm").string() + "': layer 'fc1', tensor 'bias': " +
                    "value 0 is " + (std::isnan(bad) ? "NaN" : "infinite") +
                    " (a model with non-finite weights cannot be quantized or exported)");
    }
  }
}

}  // namespace
}  // namespace hlslim
