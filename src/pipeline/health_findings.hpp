// Findings on a run's shop_health (docs/shop-health.md, "Findings"): a shop silent for longer than a
// number of buckets, a filtered share above a limit, a median price ratio drifting from 1. `ypa
// schedule` evaluates them after every cycle and logs one warning when a finding appears and one line
// when it clears.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::pipeline {

// The settings HEALTH_SILENT_BUCKETS, HEALTH_FILTERED_SHARE and HEALTH_RATIO_DRIFT.
struct HealthThresholds {
  int silent_buckets = 4;
  double filtered_share = 0.2;
  double ratio_drift = 0.3;
  // From the environment; InputError naming the variable for a malformed value.
  static HealthThresholds from_env();
};

// One shop of a run: its latest record and its latest hour row.
struct ShopState {
  std::uint32_t shop_id = 0;
  std::optional<EpochSeconds> last_record;
  std::uint64_t filtered = 0;  // above_band + below_band of the latest hour
  std::uint64_t cells = 0;
  double ratio = NAN;  // price_ratio_median of the latest hour, NaN when NULL
  EpochSeconds hour = 0;  // start of the (first) hour these counts cover
};

enum class FindingKind { kSilent, kFiltered, kRatioDrift };

struct Finding {
  std::uint32_t shop_id = 0;
  FindingKind kind = FindingKind::kSilent;
  std::string text;  // what the warning line says
};

// The findings at `last_bucket` (the newest bucket the run has).
std::vector<Finding> evaluate_findings(const std::vector<ShopState>& shops, const HealthThresholds& limits,
                                       EpochSeconds last_bucket, const BucketGrid& grid);

// The shops of `run_id` with rows in the week before `last_bucket`: the latest record of the week, and
// the latest hour row, merged with the hour before while the latest holds less than a whole hour
// (`hour` is then the earlier hour's start).
std::vector<ShopState> load_shop_states(clickhouse::Client& client, const std::string& database,
                                        const std::string& run_id, EpochSeconds last_bucket, const BucketGrid& grid);

// Remembers the open findings between cycles.
class FindingTracker {
 public:
  struct Change {
    std::vector<Finding> appeared;
    std::vector<Finding> cleared;  // as they were when they appeared
  };
  Change update(const std::vector<Finding>& current);

 private:
  std::map<std::pair<std::uint32_t, FindingKind>, Finding> open_;
};

}  // namespace ypa::pipeline
