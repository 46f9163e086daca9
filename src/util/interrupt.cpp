#include "hlslim/util/interrupt.hpp"

#include <csignal>

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int signal_number) {
  if (g_signal != 0) {
    // Second signal: the user insists; let the default action end the process.
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  g_signal = signal_number;
}

}  // namespace

Interrupted::Interrupted(int signal_number)
    : Error("interrupted by signal " + std::to_string(signal_number),
            kExitInterrupted + signal_number),
      signal_number_(signal_number) {}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int pending_signal() {
  return g_signal;
}

void throw_if_interrupted() {
  if (g_signal != 0) throw Interrupted(g_signal);
}

void reset_interrupt() {
  g_signal = 0;
}

void raise_interrupt(int signal_number) {
  g_signal = signal_number;
}

}  // namespace hlslim
