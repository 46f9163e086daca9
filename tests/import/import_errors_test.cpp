// What the importer refuses, with the exact messages: an unsupported operator names the node,
// its operator and what is supported; a Quant no ap_fixed type represents names the node; a
// `from:` file that is missing or does not import is a config error at its position.

#include <cstdio>

#include "hlslim/import/onnx_import.hpp"
#include "hlslim/util/errors.hpp"
#include "import_support.hpp"

namespace hlslim {
namespace {

using import_test::Output;
using import_test::run_cli;

using import_test::models_dir;

std::string import_error(const std::filesystem::path& path) {
  try {
    import_onnx(path, "m");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const char* const kSupported =
    "Gemm, MatMul, Add (a bias), Mul (a scale per channel), Conv, BatchNormalization, Relu, "
    "LeakyRelu, Sigmoid, Tanh, "
    "Softmax, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Flatten, Reshape, "
    "Transpose, Squeeze, Unsqueeze, Pad (of width 0), Identity, Dropout, Constant, Shape, "
    "Gather, Concat and Cast (on constants), and QONNX Quant";

TEST(ImportErrors, UnsupportedOperatorNamesNodeAndOperator) {
  HLSLIM_NEED_MODELS();
  const auto path = models_dir() / "unsupported.onnx";
  EXPECT_EQ(import_error(path), path.string() +
                                    ": node 'gelu_erf' (Erf) is not supported; supported "
                                    "operators: " +
                                    kSupported);
  // A node without a name is named by the value it writes.
  const auto unnamed = models_dir() / "unsupported_unnamed.onnx";
  EXPECT_EQ(import_error(unnamed), unnamed.string() +
                                       ": the unnamed Erf node writing 'y' is not supported; "
                                       "supported operators: " +
                                       kSupported);
}

TEST(ImportErrors, QuantScaleThatIsNoPowerOfTwo) {
  HLSLIM_NEED_MODELS();
  const auto path = models_dir() / "qonnx_bad_scale.onnx";
  EXPECT_EQ(import_error(path), path.string() +
                                    ": node 'q_w1' (Quant) has scale 0.3, which is not a power "
                                    "of two; no ap_fixed type represents it");
}

TEST(ImportErrors, NotAnOnnxFile) {
  const auto dir = import_test::temp_dir("not_onnx");
  std::ofstream(dir / "model.onnx") << "layers: [dense]\n";
  EXPECT_EQ(
      import_error(dir / "model.onnx"),
      "'" + (dir / "model.onnx").string() + "' is not an ONNX model (the protobuf does not parse)");
}

TEST(ImportErrors, FromFileMissingIsAConfigErrorAtItsPosition) {
  const auto dir = import_test::temp_dir("missing_from");
  std::ofstream(dir / "config.yaml") << "name: t\n"
                                        "models:\n"
                                        "  tagger: {from: missing.onnx}\n"
                                        "stages:\n"
                                        "  - stage: build\n";
  const Output out = run_cli("validate " + (dir / "config.yaml").string());
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.text, (dir / "config.yaml").string() +
                          ":3:18: error: model 'tagger': no such file 'missing.onnx'\n"
                          "1 error found; nothing was run.\n");
}

TEST(ImportErrors, UnsupportedOperatorIsAConfigErrorAtFrom) {
  HLSLIM_NEED_MODELS();
  const auto dir = import_test::temp_dir("unsupported_from");
  const auto model = models_dir() / "unsupported.onnx";
  std::ofstream(dir / "config.yaml") << "name: t\n"
                                        "models:\n"
                                        "  m:\n"
                                        "    from: "
                                     << model.string()
                                     << "\n"
                                        "stages:\n"
                                        "  - stage: build\n";
  const Output out = run_cli("validate " + (dir / "config.yaml").string());
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.text, (dir / "config.yaml").string() +
                          ":4:11: error: model 'm': cannot import: " + model.string() +
                          ": node 'gelu_erf' (Erf) is not supported; supported operators: " +
                          kSupported + "\n1 error found; nothing was run.\n");
}

// Malformed files (tests/import/make_models.py writes them) are refused with the node named,
// never read out of bounds.
TEST(ImportErrors, TransposeWhosePermIsNoPermutation) {
  HLSLIM_NEED_MODELS();
  const auto repeat = models_dir() / "bad_perm_repeat.onnx";
  EXPECT_EQ(import_error(repeat), repeat.string() +
                                      ": node 'bad_perm' (Transpose) has perm [0, 1, 1], which is "
                                      "not a permutation of the 3 dimensions of its input (0 to "
                                      "2, each once)");
  const auto range = models_dir() / "bad_perm_range.onnx";
  EXPECT_EQ(import_error(range), range.string() +
                                     ": node 'bad_perm' (Transpose) has perm [0, 3, 1], which is "
                                     "not a permutation of the 3 dimensions of its input (0 to "
                                     "2, each once)");
}

TEST(ImportErrors, GatherIndexOutsideItsConstant) {
  HLSLIM_NEED_MODELS();
  const auto path = models_dir() / "bad_gather.onnx";
  EXPECT_EQ(import_error(path),
            path.string() + ": node 'batch' (Gather) gathers index 7 from a constant of 3 values");
}

TEST(ImportErrors, UnsqueezeAxisOutsideItsOutput) {
  HLSLIM_NEED_MODELS();
  const auto path = models_dir() / "bad_unsqueeze.onnx";
  EXPECT_EQ(import_error(path), path.string() +
                                    ": node 'unsq' (Unsqueeze) has axis 5, outside the 3 "
                                    "dimensions of its output");
}

TEST(ImportErrors, MalformedFileIsAConfigErrorAtFrom) {
  HLSLIM_NEED_MODELS();
  const auto dir = import_test::temp_dir("malformed_from");
  const auto model = models_dir() / "bad_perm_repeat.onnx";
  std::ofstream(dir / "config.yaml") << "name: t\n"
                                        "models:\n"
                                        "  m: {from: "
                                     << model.string()
                                     << "}\n"
                                        "stages:\n"
                                        "  - stage: build\n";
  const Output out = run_cli("validate " + (dir / "config.yaml").string());
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.text, (dir / "config.yaml").string() +
                          ":3:13: error: model 'm': cannot import: " + model.string() +
                          ": node 'bad_perm' (Transpose) has perm [0, 1, 1], which is not a "
                          "permutation of the 3 dimensions of its input (0 to 2, each once)\n"
                          "1 error found; nothing was run.\n");
}

TEST(ImportErrors, ReshapeToANegativeSizeAndPoolWithAnEmptyWindow) {
  HLSLIM_NEED_MODELS();
  const auto reshape = models_dir() / "bad_reshape.onnx";
  EXPECT_EQ(import_error(reshape), reshape.string() +
                                       ": node 'reshape' (Reshape) reshapes to [1, -2, -3], which "
                                       "is not a shape");
  const auto pool = models_dir() / "bad_pool.onnx";
  EXPECT_EQ(import_error(pool), pool.string() +
                                    ": node 'pool' (MaxPool) has kernel_shape [0]; each size must "
                                    "be at least 1");
}

}  // namespace
}  // namespace hlslim
