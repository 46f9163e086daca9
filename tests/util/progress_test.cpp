#include "hlslim/util/progress.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace hlslim {
namespace {

// Without a terminal (batch jobs, CI), progress is logged as plain lines at most once per
// interval, and always once at the end with the total time.
TEST(Progress, PlainLinesWhenNotATerminal) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  sink->set_pattern("%v");
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));

  Progress::set_terminal_mode(0);
  Progress::set_plain_interval(std::chrono::milliseconds(0));
  {
    Progress progress("simulate", 4, "events");
    for (int i = 0; i < 4; ++i) progress.advance();
    progress.finish();
  }
  Progress::set_plain_interval(std::chrono::hours(1));
  {
    Progress quiet("train", 1000, "steps");
    for (int i = 0; i < 1000; ++i) quiet.advance();
    quiet.finish();
  }
  Progress::set_terminal_mode(-1);
  Progress::set_plain_interval(std::chrono::milliseconds(10000));
  spdlog::set_default_logger(previous);

  const std::string text = captured.str();
  EXPECT_NE(text.find("simulate: 25% 1/4 events"), std::string::npos) << text;
  EXPECT_NE(text.find("simulate: 100% 4/4 events"), std::string::npos) << text;
  EXPECT_NE(text.find("took"), std::string::npos) << text;
  // The one-hour interval leaves only the closing line of the second loop.
  std::size_t lines = 0;
  for (std::size_t at = text.find("train:"); at != std::string::npos;
       at = text.find("train:", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << text;
  EXPECT_NE(text.find("train: 100% 1000/1000 steps"), std::string::npos) << text;
}

}  // namespace
}  // namespace hlslim
