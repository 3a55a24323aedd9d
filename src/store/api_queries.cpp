#include "store/api_queries.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "store/names.hpp"
#include "store/run_id.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

// API ordering names -> SQL expressions, per kind of query.
const std::map<std::string, std::string, std::less<>>& order_expressions(ApiTable table) {
  static const std::map<std::string, std::string, std::less<>> overall{
      {"bucket", "bucket"},
      {"iphone", "toUInt32OrZero(substring(scope, 8))"},
      {"mean", "mean"},
      {"median", "median"},
      {"std", "std"},
      {"shop_count", "shop_count"},
      {"dispersion", "dispersion"},
      {"updated_at", "inserted_at"}};
  static const std::map<std::string, std::string, std::less<>> cohort{{"bucket", "bucket"},
                                                                      {"cohort", "scope"},
                                                                      {"mean", "mean"},
                                                                      {"median", "median"},
                                                                      {"std", "std"},
                                                                      {"n_models", "n_models"},
                                                                      {"shop_count_agg", "shop_count"},
                                                                      {"dispersion", "dispersion"},
                                                                      {"updated_at", "inserted_at"}};
  static const std::map<std::string, std::string, std::less<>> features{
      {"bucket", "bucket"}, {"scope", "scope"}, {"name", "name"}, {"value", "value"}};
  static const std::map<std::string, std::string, std::less<>> prices{
      {"Timestamp_Time", "bucket"},
      {"shop", "shop_id"},
      {"iphone", "iphone_id"},
      {"price_new", "price_new"},
      {"price_a", "price_a"},
      {"price_b", "price_b"},
      {"alignment_diff_sec", "alignment_diff_sec"},
      {"record_time", "record_time"}};
  static const std::map<std::string, std::string, std::less<>> health{
      {"bucket", "bucket"},
      {"shop", "shop_id"},
      {"records_read", "records_read"},
      {"invalid_prices", "invalid_prices"},
      {"cells", "cells"},
      {"filtered_share", "if(cells = 0, 0, (above_band + below_band) / cells)"},
      {"iphones", "iphones"},
      {"last_recorded_at", "last_recorded_at"},
      {"price_ratio_median", "price_ratio_median"},
      {"updated_at", "inserted_at"}};
  switch (table) {
    case ApiTable::kOverallBars:
      return overall;
    case ApiTable::kCohortBars:
      return cohort;
    case ApiTable::kFeatures:
      return features;
    case ApiTable::kShopHealth:
      return health;
    case ApiTable::kPrices:
      break;
  }
  return prices;
}

// The requested terms, then the row key so that pages never overlap or skip rows with equal values.
std::string order_by(ApiTable table, const std::vector<OrderTerm>& terms, const char* key) {
  const auto& exprs = order_expressions(table);
  std::vector<std::string> parts;
  for (const auto& t : terms) {
    auto it = exprs.find(t.field);
    if (it == exprs.end()) {
      throw InputError(fmt::format("ordering: \"{}\" is not a field of this list", printable(t.field)));
    }
    parts.push_back(it->second + (t.descending ? " DESC" : " ASC"));
  }
  parts.emplace_back(key);
  return fmt::format("{}", fmt::join(parts, ", "));
}

void add_bucket_bounds(std::vector<std::string>& where, const BucketBounds& b) {
  if (b.gte) where.push_back(fmt::format("bucket >= toDateTime({})", *b.gte));
  if (b.lte) where.push_back(fmt::format("bucket <= toDateTime({})", *b.lte));
}

void add_string_in(std::vector<std::string>& where, const char* column,
                   const std::vector<std::vector<std::string>>& filters) {
  for (const auto& values : filters) {
    if (values.empty()) {
      where.emplace_back("0");
      continue;
    }
    std::vector<std::string> literals;
    for (const auto& v : values) literals.push_back(string_literal(v));
    where.push_back(fmt::format("{} IN ({})", column, fmt::join(literals, ", ")));
  }
}

void add_number_in(std::vector<std::string>& where, const char* column,
                   const std::vector<std::vector<std::uint32_t>>& filters) {
  for (const auto& values : filters) {
    where.push_back(values.empty() ? std::string("0")
                                   : fmt::format("{} IN ({})", column, fmt::join(values, ", ")));
  }
}

// run_id = '<run>' for a valid run id; the API checks the parameter first, with its own message.
std::string run_condition(const std::string& run_id) {
  validate_run_id(run_id, "run_id");
  return "run_id = " + string_literal(run_id);
}

std::string bar_where(const BarQuery& q) {
  std::vector<std::string> where{run_condition(q.run_id), q.kind == BarKind::kIphone
                                                              ? "scope LIKE 'iphone:%'"
                                                              : "scope LIKE 'cohort:%'"};
  add_string_in(where, "scope", q.scope_in);
  add_bucket_bounds(where, q.bucket);
  return fmt::format("{}", fmt::join(where, " AND "));
}

std::string feature_where(const FeatureQuery& q) {
  std::vector<std::string> where{run_condition(q.run_id)};
  add_string_in(where, "scope", q.scope_in);
  add_bucket_bounds(where, q.bucket);
  return fmt::format("{}", fmt::join(where, " AND "));
}

std::string price_where(const PriceQuery& q) {
  std::vector<std::string> where{run_condition(q.run_id)};
  add_number_in(where, "shop_id", q.shop_in);
  add_number_in(where, "iphone_id", q.iphone_in);
  add_bucket_bounds(where, q.bucket);
  return fmt::format("{}", fmt::join(where, " AND "));
}

std::string shop_health_where(const ShopHealthQuery& q) {
  std::vector<std::string> where{run_condition(q.run_id)};
  add_number_in(where, "shop_id", q.shop_in);
  add_bucket_bounds(where, q.bucket);
  return fmt::format("{}", fmt::join(where, " AND "));
}

std::string limit_clause(std::uint64_t limit, std::uint64_t offset) {
  return fmt::format("LIMIT {}, {}", offset, limit);
}

std::optional<double> nullable_double(const clickhouse::Column& c, std::size_t row) {
  if (c.is_null(row)) return std::nullopt;
  return c.as<clickhouse::ColumnNullable>().nested().as<clickhouse::ColumnFloat64>()[row];
}

std::optional<std::uint32_t> nullable_u32(const clickhouse::Column& c, std::size_t row) {
  if (c.is_null(row)) return std::nullopt;
  return c.as<clickhouse::ColumnNullable>().nested().as<clickhouse::ColumnUInt32>()[row];
}

std::uint64_t select_count(clickhouse::Client& client, const std::string& sql) {
  std::uint64_t n = 0;
  client.select(sql, [&](const clickhouse::Block& b) { n = b.column(0).as<clickhouse::ColumnUInt64>()[0]; });
  return n;
}

}  // namespace

const std::vector<std::string>& order_fields(ApiTable table) {
  static const std::vector<std::string> overall{"bucket", "iphone",     "mean",       "median",
                                                "std",    "shop_count", "dispersion", "updated_at"};
  static const std::vector<std::string> cohort{"bucket",   "cohort",         "mean",       "median",    "std",
                                               "n_models", "shop_count_agg", "dispersion", "updated_at"};
  static const std::vector<std::string> features{"bucket", "scope", "name", "value"};
  static const std::vector<std::string> prices{"Timestamp_Time",     "shop",       "iphone",
                                               "price_new",          "price_a",    "price_b",
                                               "alignment_diff_sec", "record_time"};
  static const std::vector<std::string> health{"bucket",  "shop",           "records_read",     "invalid_prices",
                                               "cells",   "filtered_share", "iphones",          "last_recorded_at",
                                               "price_ratio_median",        "updated_at"};
  switch (table) {
    case ApiTable::kOverallBars:
      return overall;
    case ApiTable::kCohortBars:
      return cohort;
    case ApiTable::kFeatures:
      return features;
    case ApiTable::kShopHealth:
      return health;
    case ApiTable::kPrices:
      break;
  }
  return prices;
}

std::vector<std::string> feature_names(const std::vector<int>& window_min) {
  std::vector<std::string> names;
  for (const char* kind : {"ema", "sma", "wma"}) {
    for (int w : window_min) names.push_back(fmt::format("{}_{}", kind, w));
  }
  for (int w : window_min) {
    for (const char* band : {"mid", "up", "low", "width"})
      names.push_back(fmt::format("boll_{}_{}", band, w));
  }
  return names;
}

std::string count_bars_sql(const std::string& database, const BarQuery& q) {
  return fmt::format("SELECT count() FROM {} FINAL WHERE {}", qualified_table(database, "features_wide"),
                     bar_where(q));
}

std::string select_bars_sql(const std::string& database, const BarQuery& q, std::uint64_t limit,
                            std::uint64_t offset) {
  auto table = q.kind == BarKind::kIphone ? ApiTable::kOverallBars : ApiTable::kCohortBars;
  return fmt::format(
      "SELECT toUInt32(bucket), scope, mean, median, std, toUInt32(shop_count), dispersion, "
      "toUInt32(n_models), "
      "toUInt32(inserted_at) FROM {} FINAL WHERE {} ORDER BY {} {}",
      qualified_table(database, "features_wide"), bar_where(q), order_by(table, q.order, "bucket, scope"),
      limit_clause(limit, offset));
}

std::string count_features_sql(const std::string& database, const FeatureQuery& q) {
  return fmt::format("SELECT count() * {} FROM {} FINAL WHERE {}", q.names.size(),
                     qualified_table(database, "features_wide"), feature_where(q));
}

std::string select_features_sql(const std::string& database, const FeatureQuery& q, std::uint64_t limit,
                                std::uint64_t offset) {
  // Wide rows become (name, value) pairs with ARRAY JOIN, so ordering and paging happen on the pairs.
  std::vector<std::string> names, columns;
  for (const auto& n : q.names) {
    names.push_back(string_literal(n));
    columns.push_back(identifier(n));
  }
  return fmt::format(
      "SELECT toUInt32(bucket), scope, name, value FROM (SELECT bucket, scope, [{}] AS names, [{}] AS vals "
      "FROM {} "
      "FINAL WHERE {}) ARRAY JOIN names AS name, vals AS value ORDER BY {} {}",
      fmt::join(names, ", "), fmt::join(columns, ", "), qualified_table(database, "features_wide"),
      feature_where(q), order_by(ApiTable::kFeatures, q.order, "bucket, scope, name"),
      limit_clause(limit, offset));
}

std::string count_prices_sql(const std::string& database, const PriceQuery& q) {
  return fmt::format("SELECT count() FROM {} FINAL WHERE {}", qualified_table(database, "price_aligned"),
                     price_where(q));
}

std::string select_prices_sql(const std::string& database, const PriceQuery& q, std::uint64_t limit,
                              std::uint64_t offset) {
  return fmt::format(
      "SELECT toUInt32(bucket), shop_id, iphone_id, price_new, price_a, price_b, alignment_diff_sec, "
      "toUInt32(record_time) FROM {} FINAL WHERE {} ORDER BY {} {}",
      qualified_table(database, "price_aligned"), price_where(q),
      order_by(ApiTable::kPrices, q.order, "iphone_id, shop_id, bucket"), limit_clause(limit, offset));
}

std::uint64_t count_bars(clickhouse::Client& client, const std::string& database, const BarQuery& q) {
  return select_count(client, count_bars_sql(database, q));
}

std::vector<BarRow> select_bars(clickhouse::Client& client, const std::string& database, const BarQuery& q,
                                std::uint64_t limit, std::uint64_t offset) {
  std::vector<BarRow> rows;
  client.select(select_bars_sql(database, q, limit, offset), [&](const clickhouse::Block& b) {
    const auto& bucket = b.column(0).as<clickhouse::ColumnUInt32>();
    const auto& scope = b.column(1).as<clickhouse::ColumnString>();
    const auto& mean = b.column(2).as<clickhouse::ColumnFloat64>();
    const auto& median = b.column(3).as<clickhouse::ColumnFloat64>();
    const auto& shops = b.column(5).as<clickhouse::ColumnUInt32>();
    const auto& models = b.column(7).as<clickhouse::ColumnUInt32>();
    const auto& inserted = b.column(8).as<clickhouse::ColumnUInt32>();
    for (std::size_t i = 0; i < b.row_count(); ++i) {
      rows.push_back(BarRow{bucket[i], std::string(scope[i]), mean[i], median[i],
                            nullable_double(b.column(4), i), shops[i], nullable_double(b.column(6), i),
                            models[i], inserted[i]});
    }
  });
  return rows;
}

std::uint64_t count_features(clickhouse::Client& client, const std::string& database, const FeatureQuery& q) {
  return select_count(client, count_features_sql(database, q));
}

std::vector<FeatureRow> select_features(clickhouse::Client& client, const std::string& database,
                                        const FeatureQuery& q, std::uint64_t limit, std::uint64_t offset) {
  std::vector<FeatureRow> rows;
  client.select(select_features_sql(database, q, limit, offset), [&](const clickhouse::Block& b) {
    const auto& bucket = b.column(0).as<clickhouse::ColumnUInt32>();
    const auto& scope = b.column(1).as<clickhouse::ColumnString>();
    const auto& name = b.column(2).as<clickhouse::ColumnString>();
    for (std::size_t i = 0; i < b.row_count(); ++i) {
      rows.push_back(FeatureRow{bucket[i], std::string(scope[i]), std::string(name[i]),
                                nullable_double(b.column(3), i)});
    }
  });
  return rows;
}

std::string count_shop_health_sql(const std::string& database, const ShopHealthQuery& q) {
  return fmt::format("SELECT count() FROM {} FINAL WHERE {}", qualified_table(database, "shop_health"),
                     shop_health_where(q));
}

std::string select_shop_health_sql(const std::string& database, const ShopHealthQuery& q, std::uint64_t limit,
                                   std::uint64_t offset) {
  return fmt::format(
      "SELECT toUInt32(bucket), shop_id, toUInt32(buckets), records_read, invalid_prices, cells, above_band, "
      "below_band, iphones, toUInt32(last_recorded_at), price_ratio_median, toUInt32(inserted_at) FROM {} FINAL "
      "WHERE {} ORDER BY {} {}",
      qualified_table(database, "shop_health"), shop_health_where(q),
      order_by(ApiTable::kShopHealth, q.order, "shop_id, bucket"), limit_clause(limit, offset));
}

std::string shop_gauges_sql(const std::string& database, const std::string& run_id) {
  return fmt::format(
      "SELECT shop_id, toUInt32(max(last_recorded_at)), toUInt64(argMax(above_band + below_band, bucket)), "
      "toUInt64(argMax(cells, bucket)) FROM {} FINAL WHERE {} GROUP BY shop_id ORDER BY shop_id",
      qualified_table(database, "shop_health"), run_condition(run_id));
}

std::vector<ShopGauge> select_shop_gauges(clickhouse::Client& client, const std::string& database,
                                          const std::string& run_id) {
  std::vector<ShopGauge> out;
  client.select(shop_gauges_sql(database, run_id), [&](const clickhouse::Block& b) {
    for (std::size_t i = 0; i < b.row_count(); ++i) {
      out.push_back(ShopGauge{b.column(0).as<clickhouse::ColumnUInt32>()[i], nullable_u32(b.column(1), i),
                              b.column(2).as<clickhouse::ColumnUInt64>()[i],
                              b.column(3).as<clickhouse::ColumnUInt64>()[i]});
    }
  });
  return out;
}

std::uint64_t count_shop_health(clickhouse::Client& client, const std::string& database, const ShopHealthQuery& q) {
  return select_count(client, count_shop_health_sql(database, q));
}

std::vector<ShopHealthApiRow> select_shop_health(clickhouse::Client& client, const std::string& database,
                                                 const ShopHealthQuery& q, std::uint64_t limit, std::uint64_t offset) {
  std::vector<ShopHealthApiRow> rows;
  client.select(select_shop_health_sql(database, q, limit, offset), [&](const clickhouse::Block& b) {
    auto u32 = [&](std::size_t column, std::size_t row) { return b.column(column).as<clickhouse::ColumnUInt32>()[row]; };
    for (std::size_t i = 0; i < b.row_count(); ++i) {
      ShopHealthApiRow r;
      r.bucket = u32(0, i);
      r.shop_id = u32(1, i);
      r.buckets = u32(2, i);
      r.records_read = u32(3, i);
      r.invalid_prices = u32(4, i);
      r.cells = u32(5, i);
      r.above_band = u32(6, i);
      r.below_band = u32(7, i);
      r.iphones = u32(8, i);
      r.last_recorded_at = nullable_u32(b.column(9), i);
      r.price_ratio_median = nullable_double(b.column(10), i);
      r.updated_at = u32(11, i);
      rows.push_back(r);
    }
  });
  return rows;
}

std::uint64_t count_prices(clickhouse::Client& client, const std::string& database, const PriceQuery& q) {
  return select_count(client, count_prices_sql(database, q));
}

std::vector<PriceRow> select_prices(clickhouse::Client& client, const std::string& database,
                                    const PriceQuery& q, std::uint64_t limit, std::uint64_t offset) {
  std::vector<PriceRow> rows;
  client.select(select_prices_sql(database, q, limit, offset), [&](const clickhouse::Block& b) {
    const auto& bucket = b.column(0).as<clickhouse::ColumnUInt32>();
    const auto& shop = b.column(1).as<clickhouse::ColumnUInt32>();
    const auto& iphone = b.column(2).as<clickhouse::ColumnUInt32>();
    const auto& price_new = b.column(3).as<clickhouse::ColumnUInt32>();
    const auto& diff = b.column(6).as<clickhouse::ColumnInt32>();
    const auto& record = b.column(7).as<clickhouse::ColumnUInt32>();
    for (std::size_t i = 0; i < b.row_count(); ++i) {
      rows.push_back(PriceRow{bucket[i], shop[i], iphone[i], price_new[i], nullable_u32(b.column(4), i),
                              nullable_u32(b.column(5), i), diff[i], record[i]});
    }
  });
  return rows;
}

}  // namespace ypa::store
