// The YAML config loader as `hlslim run` and `hlslim validate` use it: the real stage registry,
// every stage's option table, models, the sweep block and the checks across stages. A config
// is either valid or rejected with hlslim::ConfigError (or another hlslim::Error); anything
// else (a crash, a sanitizer report, another exception type) is a bug.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/pipeline/registry.hpp"
#include "hlslim/util/errors.hpp"
#include "spdlog/spdlog.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // warnings about a config are not findings
  hlslim::builtin_stages();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = hlslim::fuzz::write_input("config.yaml", data, size);
  try {
    const hlslim::PipelineConfig config =
        hlslim::PipelineConfig::load(path, {}, hlslim::builtin_stages());
    // A valid config dumps to text that validates again (`dump-config` promises it).
    const std::string dumped = config.dump();
    const std::string again =
        hlslim::fuzz::write_input("dumped.yaml", dumped.data(), dumped.size());
    hlslim::PipelineConfig::load(again, {}, hlslim::builtin_stages());
  } catch (const hlslim::Error&) {
  }
  return 0;
}
