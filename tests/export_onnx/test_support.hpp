#pragma once

// File helpers for the export tests.

#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

namespace hlslim::export_test {

/// A fresh directory under the system's temporary directory, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("hlslim_export_onnx_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline onnx::ModelProto load_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto model;
  if (!in || !model.ParseFromIstream(&in)) {
    throw std::runtime_error("cannot read ONNX model " + path.string());
  }
  return model;
}

inline bool is_c_identifier(const std::string& name) {
  static const std::regex pattern("[A-Za-z][A-Za-z0-9_]*");
  return std::regex_match(name, pattern) && name.find("__") == std::string::npos;
}

}  // namespace hlslim::export_test
