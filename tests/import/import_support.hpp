#pragma once

// What the import tests share: the models make_models.py writes (once, by the import.make_models
// CTest fixture, else once per test process, into the build tree), NumPy arrays, comparisons
// that name the first mismatch, and runs of the hlslim binary.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hlslim/data/npy.hpp"

namespace hlslim::import_test {

namespace fs = std::filesystem;

/// A fresh directory under the build tree's test area.
inline fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::path(HLSLIM_IMPORT_TEST_DIR) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// True when /usr/bin/python3 has torch and onnx (python3-torch, python3-onnx).
inline bool python_has_torch() {
  static const bool ok =
      std::system("/usr/bin/python3 -c 'import torch, onnx, numpy' >/dev/null 2>&1") == 0;
  return ok;
}

/// The directory with the generated models: the one CTest's setup wrote, else one this process
/// writes on first use. Empty when python lacks torch or onnx (the caller fails, or skips where
/// HLSLIM_ALLOW_MISSING_PYTHON_TORCH allows it).
inline const fs::path& models_dir() {
  static const fs::path dir = [] {
    const fs::path shared = HLSLIM_IMPORT_MODELS_DIR;
    const fs::path script = fs::path(HLSLIM_SOURCE_DIR) / "tests/import/make_models.py";
    if (fs::exists(shared / "unsupported.onnx") &&
        fs::last_write_time(shared / "unsupported.onnx") >= fs::last_write_time(script)) {
      return shared;
    }
    if (!python_has_torch()) return fs::path();
    const fs::path out = temp_dir("models_" + std::to_string(::getpid()));
    const std::string command = "/usr/bin/python3 " + script.string() + " " + out.string() + " >" +
                                (out / "make_models.log").string() + " 2>&1";
    if (std::system(command.c_str()) != 0) {
      ADD_FAILURE() << command << " failed; see " << (out / "make_models.log").string();
      return fs::path();
    }
    return out;
  }();
  return dir;
}

/// True when HLSLIM_ALLOW_MISSING_PYTHON_TORCH is set to a non-empty value other than 0: the
/// tests that need python3-torch and python3-onnx then skip without them instead of failing.
inline bool missing_python_allowed() {
  const char* allow = std::getenv("HLSLIM_ALLOW_MISSING_PYTHON_TORCH");
  return allow && *allow && std::string(allow) != "0";
}

#define HLSLIM_NEED_MODELS()                                                                  \
  if (::hlslim::import_test::models_dir().empty()) {                                          \
    if (::hlslim::import_test::missing_python_allowed())                                      \
      GTEST_SKIP() << "/usr/bin/python3 lacks torch or onnx (allowed by "                     \
                      "HLSLIM_ALLOW_MISSING_PYTHON_TORCH)";                                   \
    FAIL() << "/usr/bin/python3 lacks torch or onnx: install python3-torch and python3-onnx " \
              "(scripts/install-deps.sh --test), or set HLSLIM_ALLOW_MISSING_PYTHON_TORCH=1 " \
              "to skip these tests";                                                          \
  }

inline data::NpyArray npy(const std::string& name) {
  return data::read_npy((models_dir() / name).string());
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// What the hlslim binary printed (stdout and stderr) and its exit code.
struct Output {
  int exit_code;
  std::string text;
};

/// Runs the hlslim binary under test with `arguments`.
inline Output run_cli(const std::string& arguments) {
  const std::string command = std::string(HLSLIM_BINARY) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {-1, "cannot run " + command};
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

}  // namespace hlslim::import_test
