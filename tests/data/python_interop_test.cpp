// NumPy itself reads what write_numpy() writes, and from_npy() reads what NumPy writes.
// Skipped when /usr/bin/python3 cannot import numpy.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hlslim/data/npy.hpp"
#include "hlslim/data/numpy_io.hpp"
#include "hlslim/data/simulation.hpp"
#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::TempDir;

bool numpy_available() {
  const std::string command =
      std::string(HLSLIM_DATA_PYTHON) + " -c 'import numpy' > /dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

// Runs a Python script file and returns its standard output.
std::string run_python(const std::string& script_path) {
  const std::string command = std::string(HLSLIM_DATA_PYTHON) + " " + script_path + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string output;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  return status == 0 ? output : "python failed: " + output;
}

TEST(PythonInterop, NumpyLoadsWhatWeWrite) {
  if (!numpy_available()) GTEST_SKIP() << HLSLIM_DATA_PYTHON << " cannot import numpy";
  TempDir dir;
  const EventStore store = simulate(SimulationParams(), 120, 30, 17, 1);
  write_numpy(store, dir.path().string());
  const std::string script = dir.file("check.py");
  std::ofstream(script) << "import json, sys\n"
                           "import numpy as np\n"
                           "d = sys.argv[0].rsplit('/', 1)[0]\n"
                           "images = np.load(d + '/images.npy')\n"
                           "labels = np.load(d + '/labels.npy')\n"
                           "meta = json.load(open(d + '/labels.json'))\n"
                           "print(json.dumps({\n"
                           "  'images_dtype': str(images.dtype), 'images_shape': images.shape,\n"
                           "  'labels_dtype': str(labels.dtype), 'labels_shape': labels.shape,\n"
                           "  'ones': int(images.sum()), 'max': int(images.max()),\n"
                           "  'event7': np.flatnonzero(images[7]).tolist(),\n"
                           "  'labels7': labels[7].tolist(),\n"
                           "  'pt_column': meta['columns'].index('pt'), 'seed': meta['seed']}))\n";
  const std::string output = run_python(script);
  nlohmann::json result;
  ASSERT_NO_THROW(result = nlohmann::json::parse(output)) << output;
  EXPECT_EQ(result["images_dtype"], "uint8");
  EXPECT_EQ(result["images_shape"], nlohmann::json({150, 9, 384}));
  EXPECT_EQ(result["labels_dtype"], "float32");
  EXPECT_EQ(result["labels_shape"], nlohmann::json({150, 6}));
  EXPECT_EQ(result["ones"], store.hit_count());
  EXPECT_EQ(result["max"], 1);
  const PixelRange hits = store.hits(7);
  EXPECT_EQ(result["event7"], std::vector<std::uint32_t>(hits.begin(), hits.end()));
  const float* row = store.label_row(7);
  EXPECT_EQ(result["labels7"].get<std::vector<float>>(), std::vector<float>(row, row + 6));
  EXPECT_EQ(result["pt_column"], 0);
  EXPECT_EQ(result["seed"], 17);
}

TEST(PythonInterop, WeLoadWhatNumpyWrites) {
  if (!numpy_available()) GTEST_SKIP() << HLSLIM_DATA_PYTHON << " cannot import numpy";
  TempDir dir;
  const std::string script = dir.file("make.py");
  std::ofstream(script)
      << "import sys\n"
         "import numpy as np\n"
         "d = sys.argv[0].rsplit('/', 1)[0]\n"
         "images = np.zeros((4, 3, 5), dtype=bool)\n"
         "images[0, 0, 0] = images[0, 2, 4] = images[3, 1, 2] = True\n"
         "np.save(d + '/images.npy', images)\n"
         "np.save(d + '/labels.npy', np.array([[1.5, -1], [2.5, 1], [3.5, -1],"
         " [4.5, 1]], dtype=np.float64))\n"
         "np.save(d + '/counts.npy', np.arange(6, dtype=np.int16).reshape(2, 3))\n"
         "np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3))))\n"
         "print('ok')\n";
  ASSERT_EQ(run_python(script), "ok\n");
  const EventStore store =
      from_npy(dir.file("images.npy"), dir.file("labels.npy"), {"pt", "charge"}, "");
  EXPECT_EQ(store.layers(), 3u);
  EXPECT_EQ(store.columns(), 5u);
  EXPECT_EQ(store.offsets(), (std::vector<std::uint64_t>{0, 2, 2, 2, 3}));
  EXPECT_EQ(store.pixels(), (std::vector<std::uint32_t>{0, 14, 7}));
  EXPECT_EQ(store.label_column("pt"), (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(read_npy(dir.file("counts.npy")).data, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(testing::error_of([&] { read_npy(dir.file("fortran.npy")); }),
            dir.file("fortran.npy") +
                ": Fortran-order arrays are not supported (save a C-order array, e.g. "
                "numpy.ascontiguousarray)");
}

}  // namespace
}  // namespace hlslim::data
