// The reads behind the REST API (SPEC §10): bars, features and aligned prices of one run, filtered,
// ordered and paged in ClickHouse, always deduplicated with FINAL (SPEC §7).
//
//   ypa::store::BarQuery q{.kind = ypa::store::BarKind::kIphone, .run_id = "live"};
//   q.scope_in.push_back({"iphone:42"});
//   auto total = ypa::store::count_bars(client, "yamagoti", q);
//   auto rows = ypa::store::select_bars(client, "yamagoti", q, 100, 0);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::store {

// One ORDER BY term by its API name (e.g. "bucket", "iphone"); callers pass only names that
// order_fields() lists for the query kind, anything else is an InputError naming ordering.
struct OrderTerm {
  std::string field;
  bool descending = false;
};

// Inclusive bounds on bucket, in Unix seconds.
struct BucketBounds {
  std::optional<EpochSeconds> gte;
  std::optional<EpochSeconds> lte;
};

enum class BarKind { kIphone, kCohort };

// overall-bars (scope iphone:*) or cohort-bars (scope cohort:*). Every entry of scope_in is one
// filter; a row must be in all of them (an empty list matches nothing).
struct BarQuery {
  BarKind kind = BarKind::kIphone;
  std::string run_id = "live";  // the builders below refuse a malformed one (InputError naming run_id)
  std::vector<std::vector<std::string>> scope_in;
  BucketBounds bucket;
  std::vector<OrderTerm> order;
};

struct BarRow {
  EpochSeconds bucket = 0;
  std::string scope;
  double mean = 0;
  double median = 0;
  std::optional<double> std;
  std::uint32_t shop_count = 0;
  std::optional<double> dispersion;
  std::uint32_t n_models = 0;
  EpochSeconds inserted_at = 0;
};

// features: one row per (bucket, scope, feature name); `names` are the selected feature columns.
struct FeatureQuery {
  std::string run_id = "live";
  std::vector<std::vector<std::string>> scope_in;
  std::vector<std::string> names;  // non-empty, each one of feature_names()
  BucketBounds bucket;
  std::vector<OrderTerm> order;
};

struct FeatureRow {
  EpochSeconds bucket = 0;
  std::string scope;
  std::string name;
  std::optional<double> value;
};

// purchasing-time-analyses: price_aligned rows.
struct PriceQuery {
  std::string run_id = "live";
  std::vector<std::vector<std::uint32_t>> shop_in;
  std::vector<std::vector<std::uint32_t>> iphone_in;
  BucketBounds bucket;
  std::vector<OrderTerm> order;
};

struct PriceRow {
  EpochSeconds bucket = 0;
  std::uint32_t shop_id = 0;
  std::uint32_t iphone_id = 0;
  std::uint32_t price_new = 0;
  std::optional<std::uint32_t> price_a;
  std::optional<std::uint32_t> price_b;
  std::int32_t alignment_diff_sec = 0;
  EpochSeconds record_time = 0;
};

// shop-health: shop_health rows (docs/shop-health.md).
struct ShopHealthQuery {
  std::string run_id = "live";
  std::vector<std::vector<std::uint32_t>> shop_in;
  BucketBounds bucket;
  std::vector<OrderTerm> order;
};

struct ShopHealthApiRow {
  EpochSeconds bucket = 0;
  std::uint32_t shop_id = 0;
  std::uint32_t buckets = 0, records_read = 0, invalid_prices = 0, cells = 0, above_band = 0, below_band = 0,
                iphones = 0;
  std::optional<std::uint32_t> last_recorded_at;
  std::optional<double> price_ratio_median;
  EpochSeconds updated_at = 0;
};

enum class ApiTable { kOverallBars, kCohortBars, kFeatures, kPrices, kShopHealth };
// The names `ordering` accepts for each kind of query, in documentation order.
const std::vector<std::string>& order_fields(ApiTable table);
// The feature columns of features_wide for these windows (ema, sma, wma per window, then the bands).
std::vector<std::string> feature_names(const std::vector<int>& window_min);

// SQL text, exposed for unit tests. Scopes are string literals and feature names quoted identifiers
// (store/sql_text.hpp); the run id is validated.
std::string count_bars_sql(const std::string& database, const BarQuery& q);
std::string select_bars_sql(const std::string& database, const BarQuery& q, std::uint64_t limit,
                            std::uint64_t offset);
std::string count_features_sql(const std::string& database, const FeatureQuery& q);
std::string select_features_sql(const std::string& database, const FeatureQuery& q, std::uint64_t limit,
                                std::uint64_t offset);
std::string count_prices_sql(const std::string& database, const PriceQuery& q);
std::string select_prices_sql(const std::string& database, const PriceQuery& q, std::uint64_t limit,
                              std::uint64_t offset);

std::string count_shop_health_sql(const std::string& database, const ShopHealthQuery& q);
std::string select_shop_health_sql(const std::string& database, const ShopHealthQuery& q, std::uint64_t limit,
                                   std::uint64_t offset);

std::uint64_t count_bars(clickhouse::Client& client, const std::string& database, const BarQuery& q);
std::vector<BarRow> select_bars(clickhouse::Client& client, const std::string& database, const BarQuery& q,
                                std::uint64_t limit, std::uint64_t offset);
// Rows times names: each stored row yields one item per selected name.
std::uint64_t count_features(clickhouse::Client& client, const std::string& database, const FeatureQuery& q);
std::vector<FeatureRow> select_features(clickhouse::Client& client, const std::string& database,
                                        const FeatureQuery& q, std::uint64_t limit, std::uint64_t offset);
std::uint64_t count_prices(clickhouse::Client& client, const std::string& database, const PriceQuery& q);
std::vector<PriceRow> select_prices(clickhouse::Client& client, const std::string& database,
                                    const PriceQuery& q, std::uint64_t limit, std::uint64_t offset);

// Per shop of a run: the latest last_recorded_at (nullopt when none) and the filtered cells and cells of
// its latest hour row; for the /metrics gauges.
struct ShopGauge {
  std::uint32_t shop_id = 0;
  std::optional<std::uint32_t> last_recorded_at;
  std::uint64_t filtered = 0;
  std::uint64_t cells = 0;
};
std::string shop_gauges_sql(const std::string& database, const std::string& run_id);
std::vector<ShopGauge> select_shop_gauges(clickhouse::Client& client, const std::string& database,
                                          const std::string& run_id);

std::uint64_t count_shop_health(clickhouse::Client& client, const std::string& database, const ShopHealthQuery& q);
std::vector<ShopHealthApiRow> select_shop_health(clickhouse::Client& client, const std::string& database,
                                                 const ShopHealthQuery& q, std::uint64_t limit, std::uint64_t offset);

}  // namespace ypa::store
