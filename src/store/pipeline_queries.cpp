#include "store/pipeline_queries.hpp"

#include <fmt/format.h>

#include "store/run_id.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

std::string in_list(const char* column, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return "";
  std::string list;
  for (auto id : ids) list += fmt::format("{}{}", list.empty() ? "" : ",", id);
  return fmt::format(" AND {} IN ({})", column, list);
}

// "run_id = 'R' AND bucket >= toDateTime(first) AND bucket <= toDateTime(last)" for a validated run id.
std::string run_range(std::string_view run_id, EpochSeconds first, EpochSeconds last) {
  validate_run_id(run_id, "run_id");
  return fmt::format("run_id = {} AND bucket >= toDateTime({}) AND bucket <= toDateTime({})",
                     string_literal(run_id), first, last);
}

}  // namespace

std::string select_price_aligned_sql(const std::string& database, const std::string& run_id,
                                     EpochSeconds first, EpochSeconds last,
                                     const std::vector<std::int64_t>& iphone_ids,
                                     const std::vector<std::int64_t>& shop_ids) {
  return fmt::format(
      "SELECT iphone_id, shop_id, toUInt32(bucket) AS b, argMax(price_new, inserted_at) AS p "
      "FROM {} WHERE {}{}{} GROUP BY iphone_id, shop_id, bucket",
      qualified_table(database, "price_aligned"), run_range(run_id, first, last),
      in_list("iphone_id", iphone_ids), in_list("shop_id", shop_ids));
}

std::string select_latest_version_sql(const std::string& database, const std::string& run_id,
                                      EpochSeconds first, EpochSeconds last) {
  return fmt::format(
      "SELECT toUInt32(greatest((SELECT max(inserted_at) FROM {0} WHERE {2}), "
      "(SELECT max(inserted_at) FROM {1} WHERE {2})))",
      qualified_table(database, "price_aligned"), qualified_table(database, "features_wide"),
      run_range(run_id, first, last));
}

std::string select_mean_history_sql(const std::string& database, const std::string& run_id,
                                    EpochSeconds first, EpochSeconds last) {
  return fmt::format(
      "SELECT scope, toUInt32(bucket) AS b, argMax(mean, inserted_at) AS m FROM {} WHERE {} GROUP BY scope, "
      "bucket",
      qualified_table(database, "features_wide"), run_range(run_id, first, last));
}

std::string select_latest_ema_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                  EpochSeconds last, const std::vector<std::string>& ema_columns) {
  std::string inner, outer;
  for (const auto& c : ema_columns) {
    std::string value = identifier("v_" + c);
    inner += fmt::format(", argMax({}, inserted_at) AS {}", identifier(c), value);
    outer += fmt::format(", argMax({}, bucket)", value);
  }
  return fmt::format(
      "SELECT scope{} FROM (SELECT scope, bucket{} FROM {} WHERE {} GROUP BY scope, bucket) GROUP BY scope",
      outer, inner, qualified_table(database, "features_wide"), run_range(run_id, first, last));
}

std::string select_last_bucket_sql(const std::string& database, const std::string& run_id) {
  validate_run_id(run_id, "run_id");
  return fmt::format("SELECT toUInt32(max(bucket)) FROM {} WHERE run_id = {}",
                     qualified_table(database, "features_wide"), string_literal(run_id));
}

std::string select_first_bucket_sql(const std::string& database, const std::string& run_id) {
  validate_run_id(run_id, "run_id");
  return fmt::format("SELECT toUInt32(min(bucket)) FROM {} WHERE run_id = {}",
                     qualified_table(database, "features_wide"), string_literal(run_id));
}

std::string select_pipeline_tables_sql(const std::string& database) {
  return fmt::format(
      "SELECT name FROM system.tables WHERE database = {} AND name IN ('price_aligned', 'features_wide', 'shop_health')",
      string_literal(database));
}

std::string select_shop_last_records_sql(const std::string& database, const std::string& run_id,
                                         EpochSeconds first, EpochSeconds last) {
  validate_run_id(run_id, "run_id");
  return fmt::format(
      "SELECT shop_id, toUInt32(ifNull(max(last_recorded_at), toDateTime(0))) FROM {} FINAL WHERE run_id = {} "
      "AND bucket >= toDateTime({}) AND bucket <= toDateTime({}) GROUP BY shop_id ORDER BY shop_id",
      qualified_table(database, "shop_health"), string_literal(run_id), first, last);
}

std::string select_shop_hours_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                  EpochSeconds last) {
  validate_run_id(run_id, "run_id");
  return fmt::format(
      "SELECT shop_id, toUInt32(bucket), toUInt64(buckets), toUInt64(above_band + below_band), toUInt64(cells), "
      "toFloat64(ifNull(price_ratio_median, nan)) FROM {} FINAL WHERE run_id = {} AND bucket >= toDateTime({}) "
      "AND bucket <= toDateTime({}) ORDER BY shop_id, bucket",
      qualified_table(database, "shop_health"), string_literal(run_id), first, last);
}

std::string select_shop_bucket_cells_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                         EpochSeconds last) {
  validate_run_id(run_id, "run_id");
  return fmt::format(
      "SELECT shop_id, toUInt32(bucket), toUInt64(count()) FROM {} FINAL WHERE run_id = {} AND bucket >= "
      "toDateTime({}) AND bucket <= toDateTime({}) GROUP BY shop_id, bucket ORDER BY shop_id, bucket",
      qualified_table(database, "price_aligned"), string_literal(run_id), first, last);
}

}  // namespace ypa::store
