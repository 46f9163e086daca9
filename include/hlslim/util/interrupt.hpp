#pragma once

namespace hlslim {

/// Installs SIGINT/SIGTERM handlers that only record the signal; long work polls
/// `throw_if_interrupted()` at safe points. A second signal restores the default action, so a
/// user can always kill a stuck run with a second Ctrl-C.
void install_interrupt_handlers();

/// The signal received since the handlers were installed, or 0.
int pending_signal();

/// Throws hlslim::Interrupted if a signal is pending.
void throw_if_interrupted();

/// Clears a pending signal (for tests).
void reset_interrupt();

/// Records a signal as if it had been received (for tests and test-only stages).
void raise_interrupt(int signal_number);

}  // namespace hlslim
