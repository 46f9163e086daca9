#include "hlslim/util/progress.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace hlslim {
namespace {

int g_terminal_mode = -1;
std::chrono::milliseconds g_plain_interval{10000};

std::string format_seconds(double seconds) {
  char buffer[32];
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%ldm%02lds", s / 60, s % 60);
  }
  return buffer;
}

}  // namespace

void Progress::set_terminal_mode(int mode) {
  g_terminal_mode = mode;
}
void Progress::set_plain_interval(std::chrono::milliseconds interval) {
  g_plain_interval = interval;
}

Progress::Progress(std::string label, std::uint64_t total, std::string unit, bool log_final)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_render_(start_),
      terminal_(g_terminal_mode < 0 ? ::isatty(STDERR_FILENO) == 1 : g_terminal_mode == 1),
      log_final_(log_final) {}

Progress::~Progress() {
  // A loop left by an exception has not finished: no closing line claiming it did.
  if (terminal_ && !finished_) std::fputs("\n", stderr);
}

void Progress::advance(std::uint64_t n) {
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : g_plain_interval;
  if (now - last_render_ >= interval) {
    last_render_ = now;
    render(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  render(true);
}

void Progress::render(bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1;
  const double eta = rate > 0 && total_ > done_ ? static_cast<double>(total_ - done_) / rate : 0;
  char stats[160];
  std::snprintf(stats, sizeof(stats), "%llu/%llu %s, %.1f %s/s, %s %s",
                static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                unit_.c_str(), rate, unit_.c_str(), final_line ? "took" : "ETA",
                format_seconds(final_line ? elapsed : eta).c_str());
  if (terminal_ && !final_line) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '-');
    std::fprintf(stderr, "\r%s [%s] %3.0f%% %s\033[K", label_.c_str(), bar.c_str(), 100 * fraction,
                 stats);
    std::fflush(stderr);
    return;
  }
  if (terminal_) std::fputs("\r\033[K", stderr);
  const auto level = final_line && !log_final_ ? spdlog::level::debug : spdlog::level::info;
  spdlog::log(level, "{}: {:.0f}% {}", label_, 100 * fraction, stats);
}

}  // namespace hlslim
