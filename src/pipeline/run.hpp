// run_pipeline (SPEC §9): PostgreSQL -> align -> aggregate -> cohorts -> features -> ClickHouse, with
// the three stages (read, compute, write) on their own threads joined by bounded queues.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/settings.hpp"
#include "pipeline/options.hpp"
#include "pipeline/stats.hpp"

namespace ypa::pipeline {

struct RunSummary {
  bool wrote = false;  // false when the source had no rows in range (a warning, nothing written)
  double seconds = 0;
  std::int64_t rows_written = 0;
  std::vector<StepStats> steps;
  domain::SkipCounts skipped;
  std::int64_t below_quorum = 0;
  std::vector<std::string> skipped_cohorts;
  std::string device;
};

RunSummary run_pipeline(const RunOptions& options, const ClickHouseSettings& clickhouse,
                        const PostgresSettings& postgres, bool show_progress);

}  // namespace ypa::pipeline
