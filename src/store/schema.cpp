#include "store/schema.hpp"

#include <fmt/format.h>

#include <map>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "store/names.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

std::string zoned_datetime(const PipelineSettings& s) {
  return fmt::format("DateTime({})", string_literal(s.time_zone));
}

const char* kPartitionBy = "PARTITION BY (run_id, toYYYYMM(bucket))";

}  // namespace

TableSpec price_aligned_table(const PipelineSettings& s) {
  return TableSpec{
      "price_aligned",
      {{"run_id", "String", ""},
       {"bucket", zoned_datetime(s), ""},
       {"shop_id", "UInt32", ""},
       {"iphone_id", "UInt32", ""},
       {"price_new", "UInt32", ""},
       {"price_a", "Nullable(UInt32)", ""},
       {"price_b", "Nullable(UInt32)", ""},
       {"alignment_diff_sec", "Int32", ""},
       {"record_time", zoned_datetime(s), ""},
       {"inserted_at", "DateTime", "now()"}},
      fmt::format(
          "ENGINE = ReplacingMergeTree(inserted_at)\n{}\nORDER BY (run_id, iphone_id, shop_id, bucket)",
          kPartitionBy)};
}

TableSpec features_wide_table(const PipelineSettings& s) {
  TableSpec t{"features_wide",
              {{"run_id", "String", ""},
               {"bucket", zoned_datetime(s), ""},
               {"scope", "String", ""},
               {"mean", "Float64", ""},
               {"median", "Float64", ""},
               {"std", "Nullable(Float64)", ""},
               {"shop_count", "UInt16", ""},
               {"dispersion", "Nullable(Float64)", ""}},
              fmt::format("ENGINE = ReplacingMergeTree(inserted_at)\n{}\nORDER BY (run_id, scope, bucket)",
                          kPartitionBy)};
  // The design document groups the columns by indicator, then by window.
  for (const char* kind : {"ema", "sma", "wma"}) {
    for (int w : s.window_min) t.columns.push_back({fmt::format("{}_{}", kind, w), "Nullable(Float64)", ""});
  }
  for (int w : s.window_min) {
    for (const char* band : {"mid", "up", "low", "width"}) {
      t.columns.push_back({fmt::format("boll_{}_{}", band, w), "Nullable(Float64)", ""});
    }
  }
  t.columns.push_back({"inserted_at", "DateTime", "now()"});
  // SPEC §7: the one column the design document lacks; its position does not matter to readers.
  t.columns.push_back({"n_models", "UInt16", "1"});
  return t;
}

TableSpec shop_health_table(const PipelineSettings& s) {
  // docs/shop-health.md defines every column. `bucket` is the start of the hour, so that the run
  // commands' partition, month and range logic (toYYYYMM(bucket)) applies unchanged.
  return TableSpec{
      "shop_health",
      {{"run_id", "String", ""},
       {"bucket", zoned_datetime(s), ""},
       {"shop_id", "UInt32", ""},
       {"buckets", "UInt16", ""},
       {"records_read", "UInt32", ""},
       {"invalid_prices", "UInt32", ""},
       {"cells", "UInt32", ""},
       {"above_band", "UInt32", ""},
       {"below_band", "UInt32", ""},
       {"iphones", "UInt32", ""},
       {"last_recorded_at", fmt::format("Nullable({})", zoned_datetime(s)), ""},
       {"price_ratio_median", "Nullable(Float64)", ""},
       {"inserted_at", "DateTime", "now()"}},
      fmt::format("ENGINE = ReplacingMergeTree(inserted_at)\n{}\nORDER BY (run_id, shop_id, bucket)",
                  kPartitionBy)};
}

std::vector<TableSpec> run_table_specs(const PipelineSettings& settings) {
  return {price_aligned_table(settings), features_wide_table(settings), shop_health_table(settings)};
}

std::string column_definition(const ColumnSpec& c) {
  return fmt::format("{} {}{}", identifier(c.name), c.type,
                     c.default_expression.empty() ? "" : " DEFAULT " + c.default_expression);
}

std::string create_table_sql(const std::string& database, const TableSpec& table,
                             const std::string& cluster) {
  std::string columns;
  for (const auto& c : table.columns) {
    columns += fmt::format("{}    {}", columns.empty() ? "" : ",\n", column_definition(c));
  }
  return fmt::format("CREATE TABLE IF NOT EXISTS {}{} (\n{}\n) {}", qualified_table(database, table.name),
                     on_cluster(cluster), columns, table.engine_clause);
}

std::string create_database_sql(const std::string& database, const std::string& cluster) {
  return fmt::format("CREATE DATABASE IF NOT EXISTS {}{}", identifier(database), on_cluster(cluster));
}

std::string table_columns_sql(const std::string& database, std::string_view table) {
  return fmt::format("SELECT name, type FROM system.columns WHERE database = {} AND table = {}",
                     string_literal(database), string_literal(table));
}

std::string table_engine_sql(const std::string& database, std::string_view table) {
  return fmt::format("SELECT engine, engine_full FROM system.tables WHERE database = {} AND name = {}",
                     string_literal(database), string_literal(table));
}

std::string add_column_sql(const std::string& database, std::string_view table, const ColumnSpec& column,
                           std::string_view after, const std::string& cluster) {
  return fmt::format("ALTER TABLE {}{} ADD COLUMN {}{}", qualified_table(database, table),
                     on_cluster(cluster), column_definition(column),
                     after.empty() ? "" : " AFTER " + identifier(after));
}

std::string drop_table_sql(const std::string& database, std::string_view table, const std::string& cluster) {
  return fmt::format("DROP TABLE IF EXISTS {}{}", qualified_table(database, table), on_cluster(cluster));
}

std::vector<InitReport> init_clickhouse(clickhouse::Client& client, const std::string& database,
                                        const PipelineSettings& settings) {
  validate_database_name(database);
  client.execute(create_database_sql(database));
  std::vector<InitReport> reports;
  for (const TableSpec& table : run_table_specs(settings)) {
    InitReport report{table.name, false, {}};
    auto rows = client.select_rows(table_columns_sql(database, table.name));
    if (rows.empty()) {
      client.execute(create_table_sql(database, table));
      report.created = true;
    } else {
      std::map<std::string, std::string> existing;
      for (const auto& row : rows) existing[row.at(0).value_or("")] = row.at(1).value_or("");
      std::string previous;
      for (const auto& c : table.columns) {
        auto it = existing.find(c.name);
        if (it == existing.end()) {
          client.execute(add_column_sql(database, table.name, c, previous));
          report.added_columns.push_back(c.name);
        } else if (it->second != c.type) {
          throw Error(
              fmt::format("{}.{}: column {} has type {}, expected {}; migrate or drop the table by hand",
                          database, table.name, c.name, it->second, c.type));
        }
        previous = c.name;
      }
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace ypa::store
