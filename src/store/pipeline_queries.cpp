#include "store/pipeline_queries.hpp"

#include <fmt/format.h>

namespace ypa::store {
namespace {

std::string in_list(const char* column, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return "";
  std::string list;
  for (auto id : ids) list += fmt::format("{}{}", list.empty() ? "" : ",", id);
  return fmt::format(" AND {} IN ({})", column, list);
}

}  // namespace

std::string select_price_aligned_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                     EpochSeconds last, const std::vector<std::int64_t>& iphone_ids,
                                     const std::vector<std::int64_t>& shop_ids) {
  return fmt::format(
      "SELECT iphone_id, shop_id, toUInt32(bucket) AS b, argMax(price_new, inserted_at) AS p "
      "FROM {}.price_aligned WHERE run_id = '{}' AND bucket >= toDateTime({}) AND bucket <= toDateTime({}){}{} "
      "GROUP BY iphone_id, shop_id, bucket",
      database, run_id, first, last, in_list("iphone_id", iphone_ids), in_list("shop_id", shop_ids));
}

std::string select_latest_version_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                      EpochSeconds last) {
  return fmt::format(
      "SELECT toUInt32(greatest("
      "(SELECT max(inserted_at) FROM {0}.price_aligned WHERE run_id = '{1}' AND bucket >= toDateTime({2}) AND "
      "bucket <= toDateTime({3})), "
      "(SELECT max(inserted_at) FROM {0}.features_wide WHERE run_id = '{1}' AND bucket >= toDateTime({2}) AND "
      "bucket <= toDateTime({3}))))",
      database, run_id, first, last);
}

std::string select_mean_history_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                    EpochSeconds last) {
  return fmt::format(
      "SELECT scope, toUInt32(bucket) AS b, argMax(mean, inserted_at) AS m FROM {}.features_wide "
      "WHERE run_id = '{}' AND bucket >= toDateTime({}) AND bucket <= toDateTime({}) GROUP BY scope, bucket",
      database, run_id, first, last);
}

std::string select_latest_ema_sql(const std::string& database, const std::string& run_id, EpochSeconds first,
                                  EpochSeconds last, const std::vector<std::string>& ema_columns) {
  std::string inner, outer;
  for (const auto& c : ema_columns) {
    inner += fmt::format(", argMax({0}, inserted_at) AS v_{0}", c);
    outer += fmt::format(", argMax(v_{0}, bucket)", c);
  }
  return fmt::format(
      "SELECT scope{} FROM (SELECT scope, bucket{} FROM {}.features_wide WHERE run_id = '{}' AND "
      "bucket >= toDateTime({}) AND bucket <= toDateTime({}) GROUP BY scope, bucket) GROUP BY scope",
      outer, inner, database, run_id, first, last);
}

std::string select_last_bucket_sql(const std::string& database, const std::string& run_id) {
  return fmt::format("SELECT toUInt32(max(bucket)) FROM {}.features_wide WHERE run_id = '{}'", database, run_id);
}

std::string select_first_bucket_sql(const std::string& database, const std::string& run_id) {
  return fmt::format("SELECT toUInt32(min(bucket)) FROM {}.features_wide WHERE run_id = '{}'", database, run_id);
}

std::string select_pipeline_tables_sql(const std::string& database) {
  return fmt::format(
      "SELECT name FROM system.tables WHERE database = '{}' AND name IN ('price_aligned', 'features_wide')", database);
}

}  // namespace ypa::store
