// The feature state of a run read back from its own features_wide rows: what an incremental run carries
// into its first bucket instead of recomputing a warm-up. A backfill that went through the same buckets
// ends in exactly this state (the stored means are the series' values and the stored EMAs its EMA
// state), so incremental runs continue a run bit for bit.
#pragma once

#include "clickhouse/client.hpp"
#include "compute/backend.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/options.hpp"

namespace ypa::pipeline {

struct RunHistory {
  bool found = false;  // the run's rows hold the whole state at `first`: use iphones/cohorts
  // When the run is younger than the features' longest window before `first`, its rows do not hold the
  // full window tails (the run's own warm-up was never written); the cycle must then recompute the
  // run from its first bucket, as a backfill would. 0 when the run has no rows.
  EpochSeconds run_start = 0;
  compute::FeatureCarry iphones;
  compute::FeatureCarry cohorts;
};

RunHistory load_run_history(clickhouse::Client& client, const std::string& database, const RunOptions& options,
                            const Catalog& catalog, const domain::FeatureParams& params);

}  // namespace ypa::pipeline
