// `ypa schedule`: the live loop (SPEC §9, design document §16). A little after each bucket closes it
// runs the incremental pipeline into the run (normally `live`); when a database is down it logs,
// retries with backoff and, once back, catches up every bucket it missed. SIGTERM/SIGINT stop it
// between steps.
#pragma once

#include <atomic>
#include <string>

#include "core/settings.hpp"
#include "pipeline/options.hpp"

namespace ypa::pipeline {

struct ScheduleOptions {
  RunOptions run;            // run_id, steps, filters, alignment, settings, resolved device and its note
  EpochSeconds every = 900;  // cycle length
  EpochSeconds delay = 180;  // wait after a bucket closes before computing it
  std::string since = "2h";  // buckets recomputed by each cycle (at least)
  int max_cycles = 0;        // stop after this many successful cycles (0 = run until stopped)
};

// Runs until `stop` becomes true (or max_cycles). Returns the number of successful cycles.
int run_schedule(const ScheduleOptions& options, const ClickHouseSettings& clickhouse,
                 const PostgresSettings& postgres, const std::atomic<bool>& stop);

}  // namespace ypa::pipeline
