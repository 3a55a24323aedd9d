// The ClickHouse tables of SPEC §7 as data: one column list drives the CREATE TABLE text, the upgrade
// of older tables and the check that an existing table has what the project writes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/settings.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::store {

struct ColumnSpec {
  std::string name;                // quoted as an identifier in SQL text
  std::string type;                // SQL text, written as it is: only the constants of schema.cpp
  std::string default_expression;  // SQL text like type; "" for none
};

struct TableSpec {
  std::string name;
  std::vector<ColumnSpec> columns;
  std::string engine_clause;  // ENGINE ... PARTITION BY ... ORDER BY ...
};

// price_aligned and features_wide for the zone and feature windows in `settings` (the design
// document's DDL for the defaults, plus features_wide.n_models).
TableSpec price_aligned_table(const PipelineSettings& settings);
TableSpec features_wide_table(const PipelineSettings& settings);
// Per (run, shop, hour) data health written by run_pipeline (docs/shop-health.md).
TableSpec shop_health_table(const PipelineSettings& settings);
// Every table of a run, in the order `ypa init` creates them.
std::vector<TableSpec> run_table_specs(const PipelineSettings& settings);

// The statements of `ypa init`, as pure functions of their inputs. Names go through identifier(), values
// through string_literal() (store/sql_text.hpp); `cluster` "" is one server, else the statement runs ON
// CLUSTER (InputError for a malformed cluster name).
std::string create_table_sql(const std::string& database, const TableSpec& table,
                             const std::string& cluster = "");
std::string create_database_sql(const std::string& database, const std::string& cluster = "");
// ALTER TABLE ... ADD COLUMN <column> [AFTER <after>] (after "" for the first column).
std::string add_column_sql(const std::string& database, std::string_view table, const ColumnSpec& column,
                           std::string_view after, const std::string& cluster = "");
std::string drop_table_sql(const std::string& database, std::string_view table,
                           const std::string& cluster = "");
// name, type of each column of `database`.`table`, in the table's order; no rows when there is no table.
std::string table_columns_sql(const std::string& database, std::string_view table);
// engine, engine_full of `database`.`table`; no row when there is no table.
std::string table_engine_sql(const std::string& database, std::string_view table);

// What `ypa init` did to one table.
struct InitReport {
  std::string table;
  bool created = false;
  std::vector<std::string> added_columns;
};

// Creates the database and both tables, or upgrades existing tables by adding missing columns (for
// example n_models on a features_wide made by the design document's DDL). Idempotent. Throws
// ypa::Error naming the table and column when an existing column has another type; InputError for a
// malformed database name (store/names.hpp).
std::vector<InitReport> init_clickhouse(clickhouse::Client& client, const std::string& database,
                                        const PipelineSettings& settings);

}  // namespace ypa::store
