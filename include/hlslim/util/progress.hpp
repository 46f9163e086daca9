#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hlslim {

/// Reports progress of a long loop. On a terminal it redraws one bar with rate and ETA; when
/// the console is not a terminal (batch logs, CI) it logs a plain line at most every
/// `interval`. The final state is always logged once, so logs record how long the work took.
class Progress {
 public:
  /// `log_final`: log the closing line at info level (else at debug level, for loops whose
  /// caller logs its own summary, such as training epochs).
  Progress(std::string label, std::uint64_t total, std::string unit = "it", bool log_final = true);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Advances by `n` items; cheap enough to call every iteration.
  void advance(std::uint64_t n = 1);

  /// Marks the work finished and prints the closing line (idempotent).
  void finish();

  /// Forces terminal or plain-line mode (tests); by default, decided from isatty(stderr).
  static void set_terminal_mode(int mode);  // -1 auto, 0 plain, 1 terminal

  /// Minimum time between plain lines.
  static void set_plain_interval(std::chrono::milliseconds interval);

 private:
  void render(bool final_line);

  std::string label_;
  std::string unit_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_render_;
  bool terminal_;
  bool log_final_;
  bool finished_ = false;
};

}  // namespace hlslim
