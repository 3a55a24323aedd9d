// Findings on a run's shop_health (docs/shop-health.md, "Findings"): a shop silent for longer than a
// number of buckets, a filtered share above a limit, a median price ratio drifting from the other
// shops', a coverage drop. `ypa schedule` evaluates them after every cycle and logs one warning when a
// finding appears and one line when it clears; `ypa serve` answers them at /api/shop-health/findings/
// and counts them in /metrics. One implementation for all three.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::store {

// The settings HEALTH_SILENT_BUCKETS, HEALTH_FILTERED_SHARE, HEALTH_RATIO_DRIFT and HEALTH_COVERAGE_DROP.
struct HealthThresholds {
  int silent_buckets = 4;
  double filtered_share = 0.2;
  double ratio_drift = 0.3;
  double coverage_drop = 0.3;
  // The accepted ranges (the settings and the endpoint's overrides).
  static constexpr int kMaxSilentBuckets = 100000;
  static constexpr double kMaxRatioDrift = 1e6;
  // A coverage drop is also at least this many cells per bucket below the baseline (not a setting): more
  // than the listing noise of a shop that carries six iPhones (each listed in 86 scrapes of 100, two
  // scrapes in a row list at most 3 of them about once a week; at most 2 about once in 500 days).
  static constexpr double kMinCoverageShortfall = 3;
  // From the environment; InputError naming the variable for a malformed value.
  static HealthThresholds from_env();
};

// One shop of a run: its latest record, its latest hour row and its recent coverage.
struct ShopState {
  std::uint32_t shop_id = 0;
  std::optional<EpochSeconds> last_record;
  std::uint64_t filtered = 0;  // above_band + below_band of the latest hour
  std::uint64_t cells = 0;
  // price_ratio_median of the latest hour (of the hour before while the latest holds one bucket or has
  // no cells), NaN when NULL
  double ratio = NAN;
  EpochSeconds hour = 0;  // start of the (first) hour these counts cover
  EpochSeconds ratio_hour = 0;  // start of the hour whose row `ratio` is
  // The shop's cells (price_aligned rows) in the last three buckets, T - 2 interval, T - interval and T
  // (0: no row, a missed scrape).
  std::array<std::uint64_t, 3> bucket_cells{};
  // The median of cells / buckets over the shop's hour rows of the 24 hours before the hour of T; NaN
  // without such rows.
  double baseline = NAN;
};

// The cells the coverage-drop rule compares: the larger of the shop's last two scrapes (buckets with
// cells) among the last three buckets, so that a missed scrape is no evidence; nullopt with fewer than
// two (a shop that stopped sending is the silent rule's, found after HEALTH_SILENT_BUCKETS empty
// buckets; two missed scrapes in a row are too common to be a finding).
std::optional<std::uint64_t> coverage_cells(const ShopState& shop);
// The coverage: coverage_cells / baseline; NaN without them or without a baseline above 0.
double coverage_of(const ShopState& shop);

enum class FindingKind { kSilent, kFiltered, kRatioDrift, kCoverage };

// "silent", "filtered", "ratio", "coverage": the names of the API, /metrics and the dashboard.
std::string_view finding_kind_name(FindingKind kind);

struct Finding {
  std::uint32_t shop_id = 0;
  FindingKind kind = FindingKind::kSilent;
  std::string text;  // what the warning line says
  // Buckets since the latest record (NaN: none in the week), the filtered share, the ratio over the
  // median shop's ratio, the coverage (coverage_of).
  double value = NAN;
};

// The median of `values` (the mean of the two middle ones for an even count); NaN for none.
double median_of(std::vector<double> values);

// The findings at `last_bucket` (the newest bucket the run has), in shop order.
std::vector<Finding> evaluate_findings(const std::vector<ShopState>& shops, const HealthThresholds& limits,
                                       EpochSeconds last_bucket, const BucketGrid& grid);

// The shops of `run_id` with rows in the week before `last_bucket`: the latest record of the week, the
// latest hour row, merged with the hour before while the latest holds less than a whole hour (`hour` is
// then the earlier hour's start), the baseline from the 24 hour rows before the latest, and the cells of
// the last three buckets from price_aligned.
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

}  // namespace ypa::store
