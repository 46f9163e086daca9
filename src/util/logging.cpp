#include "hlslim/util/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace hlslim {
namespace {

std::shared_ptr<spdlog::sinks::sink> g_file_sink;

std::shared_ptr<spdlog::logger> ensure_logger() {
  auto logger = spdlog::get("hlslim");
  if (!logger) {
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern("%^%L%$ %H:%M:%S %v");
    logger = std::make_shared<spdlog::logger>("hlslim", console);
    logger->set_level(spdlog::level::debug);
    logger->flush_on(spdlog::level::info);
    spdlog::register_logger(logger);
    spdlog::set_default_logger(logger);
  }
  return logger;
}

}  // namespace

void init_console_logging(Verbosity verbosity) {
  auto logger = ensure_logger();
  auto& console = logger->sinks().front();
  switch (verbosity) {
    case Verbosity::kQuiet:
      console->set_level(spdlog::level::warn);
      break;
    case Verbosity::kNormal:
      console->set_level(spdlog::level::info);
      break;
    case Verbosity::kVerbose:
      console->set_level(spdlog::level::debug);
      break;
  }
}

void attach_run_log(const std::filesystem::path& path) {
  auto logger = ensure_logger();
  detach_run_log();
  g_file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), false);
  g_file_sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  g_file_sink->set_level(spdlog::level::debug);
  logger->sinks().push_back(g_file_sink);
}

void detach_run_log() {
  if (!g_file_sink) return;
  auto logger = ensure_logger();
  g_file_sink->flush();
  auto& sinks = logger->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), g_file_sink), sinks.end());
  g_file_sink.reset();
}

}  // namespace hlslim
