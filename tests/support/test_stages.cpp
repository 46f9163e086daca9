#include "support/test_stages.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"

namespace hlslim::testing {
namespace {

class RecordStage : public Stage {
 public:
  const char* type() const override { return "record"; }
  const char* summary() const override { return "Test: writes a value and counts runs."; }
  void declare(OptionTable& options) override {
    options.add_string("value", value_, "x", "Text to write.");
    options.add_path("input", input_, "", "Optional input file (part of the fingerprint).");
  }
  void check(PipelineSketch& sketch, const SourcePos&, Diagnostics&) const override {
    sketch.artifacts.insert("record");
  }
  std::vector<std::filesystem::path> input_files() const override {
    if (input_.empty()) return {};
    return {input_};
  }
  void run(StageContext& context) override {
    ++run_counts()[context.stage_name()];
    write_file_atomic(context.dir() / "record.txt", value_);
    context.state().artifacts["record_" + context.stage_name()] = context.dir() / "record.txt";
    context.metrics()["value"] = value_;
  }

 private:
  std::string value_;
  std::filesystem::path input_;
};

class InterruptStage : public Stage {
 public:
  const char* type() const override { return "interrupt"; }
  const char* summary() const override { return "Test: interrupts itself once."; }
  void declare(OptionTable& options) override {
    options.add_int("signal", signal_, SIGINT, "Signal to raise.");
  }
  void check(PipelineSketch&, const SourcePos&, Diagnostics&) const override {}
  void run(StageContext& context) override {
    ++run_counts()[context.stage_name()];
    if (context.resuming()) {
      // The partial output of the interrupted attempt must have been kept.
      if (!std::filesystem::exists(context.dir() / "partial.txt"))
        throw Error("partial output of the interrupted attempt is missing");
      write_file_atomic(context.dir() / "done.txt", "resumed");
      return;
    }
    write_file_atomic(context.dir() / "partial.txt", "half");
    std::raise(static_cast<int>(signal_));
    throw_if_interrupted();
    throw Error("signal handler did not record the signal");
  }

 private:
  std::int64_t signal_ = SIGINT;
};

class FailStage : public Stage {
 public:
  const char* type() const override { return "fail"; }
  const char* summary() const override { return "Test: always fails."; }
  void declare(OptionTable& options) override {
    options.add_string("message", message_, "planned failure", "Error text.");
  }
  void check(PipelineSketch&, const SourcePos&, Diagnostics&) const override {}
  void run(StageContext&) override { throw Error(message_); }

 private:
  std::string message_;
};

class NeedsModelStage : public Stage {
 public:
  const char* type() const override { return "needs_model"; }
  const char* summary() const override { return "Test: requires a model in the state."; }
  void declare(OptionTable& options) override {
    options.add_string("model", model_, "", "Model that must exist.").required();
  }
  void check(PipelineSketch& sketch, const SourcePos& pos,
             Diagnostics& diagnostics) const override {
    if (!sketch.models.count(model_))
      diagnostics.error(pos, "stage needs model '" + model_ + "', which no earlier stage builds");
  }
  void run(StageContext& context) override {
    if (!context.state().models.count(model_)) throw Error("model missing at run time");
  }

 private:
  std::string model_;
};

}  // namespace

std::map<std::string, int>& run_counts() {
  static std::map<std::string, int> counts;
  return counts;
}

const StageRegistry& test_registry() {
  static const StageRegistry registry = [] {
    StageRegistry r;
    register_builtin_stages(r);
    r.add([] { return std::make_unique<RecordStage>(); });
    r.add([] { return std::make_unique<InterruptStage>(); });
    r.add([] { return std::make_unique<FailStage>(); });
    r.add([] { return std::make_unique<NeedsModelStage>(); });
    return r;
  }();
  return registry;
}

std::filesystem::path temp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string unique = name;
  if (info) unique = std::string(info->test_suite_name()) + "_" + info->name() + "_" + name;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("hlslim_test_" + std::to_string(::getpid())) / unique;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::filesystem::path write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

nlohmann::json selected_epoch(const std::filesystem::path& history) {
  std::istringstream lines(read_file(history));
  std::string line;
  nlohmann::json best, last;
  while (std::getline(lines, line)) {
    last = nlohmann::json::parse(line);
    if (!last.value("selectable", true)) continue;
    if (best.is_null() || last["pt_spread"].get<double>() < best["pt_spread"].get<double>())
      best = last;
  }
  return best.is_null() ? last : best;
}

}  // namespace hlslim::testing
