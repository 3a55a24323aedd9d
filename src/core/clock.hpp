#pragma once
// The wall clock that decides "now" for the pipeline: the latest closed bucket of `ypa schedule` and of
// an incremental run, a run's `inserted_at`, the date of a promote's backup, the API's `is_final`.
// It is the real clock unless YPA_SIM_CLOCK sets a simulated one, which only the soak harness
// (bench/soak.py) does: it compresses days of buckets into minutes. Timeouts, sleeps and JWT expiry
// always use the real clocks.

#include "core/time.hpp"

namespace ypa::clock {

// YPA_SIM_CLOCK = "REAL0,SIM0,SPEED": Unix seconds REAL0 on the real clock is SIM0 on the simulated one,
// which runs SPEED times as fast (SPEED in (0, 100000]). Every process given the same value reads the
// same simulated time. Unset or empty: the real clock.
struct SimClock {
  double real0 = 0;
  double sim0 = 0;
  double speed = 1;
};

// Parses a YPA_SIM_CLOCK value; InputError naming the variable when malformed.
SimClock parse_sim_clock(std::string_view text);

// Simulated seconds at real time `real_seconds`.
double simulated(const SimClock& clock, double real_seconds);

// Now, in Unix seconds, on the clock YPA_SIM_CLOCK selects (read once per process).
EpochSeconds now_seconds();

// Reads and checks YPA_SIM_CLOCK; a malformed value throws InputError (called at start, so that a bad
// value stops a command with exit 2 instead of failing later inside a request).
void check_environment();

}  // namespace ypa::clock
