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

std::string select_latest_version_sql(const std::string& database, const std::string& run_id) {
  return fmt::format(
      "SELECT toUInt32(greatest((SELECT max(inserted_at) FROM {0}.price_aligned WHERE run_id = '{1}'), "
      "(SELECT max(inserted_at) FROM {0}.features_wide WHERE run_id = '{1}')))",
      database, run_id);
}

std::string select_pipeline_tables_sql(const std::string& database) {
  return fmt::format(
      "SELECT name FROM system.tables WHERE database = '{}' AND name IN ('price_aligned', 'features_wide')", database);
}

}  // namespace ypa::store
