// The ClickHouse tables of SPEC §7 as data: one column list drives the CREATE TABLE text, the upgrade
// of older tables and the check that an existing table has what the project writes.
#pragma once

#include <string>
#include <vector>

#include "core/settings.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::store {

struct ColumnSpec {
  std::string name;
  std::string type;
  std::string default_expression;  // "" for none
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

std::string create_table_sql(const std::string& database, const TableSpec& table);

// What `ypa init` did to one table.
struct InitReport {
  std::string table;
  bool created = false;
  std::vector<std::string> added_columns;
};

// Creates the database and both tables, or upgrades existing tables by adding missing columns (for
// example n_models on a features_wide made by the design document's DDL). Idempotent. Throws
// ypa::Error naming the table and column when an existing column has another type.
std::vector<InitReport> init_clickhouse(clickhouse::Client& client, const std::string& database,
                                        const PipelineSettings& settings);

}  // namespace ypa::store
