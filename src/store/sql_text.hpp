// The one place where values become SQL text. Every value that store/ writes into a statement goes
// through one of these: text values through string_literal(), names of databases, tables, columns and
// clusters through identifier(). The statement builders of store/ paste nothing else than their own
// constant text and integers; tests/unit/store/sql_safety_test.cpp feeds hostile values to each of
// them and checks the result.
#pragma once

#include <string>
#include <string_view>

namespace ypa::store {

// 'text' with \ and ' escaped and control bytes as \xNN, valid on ClickHouse 18.16 and 24.x. Any byte
// string, also one with NUL or invalid UTF-8, becomes a literal whose value is exactly those bytes.
std::string string_literal(std::string_view text);
// `name`, quoted as clickhouse::quote_identifier() does (` and \ escaped, control bytes as \xNN).
// ClickHouse refuses an empty identifier: InputError.
std::string identifier(std::string_view name);
// `db`.`table`
std::string qualified_table(std::string_view database, std::string_view table);
// The partition of a (run_id, toYYYYMM(bucket)) table as a tuple literal: ('bf1', 202501). InputError
// for a malformed run id.
std::string partition_literal(std::string_view run_id, int month);
// " ON CLUSTER `name`" for DDL on every server of a cluster, "" for `cluster` "" (one server).
// InputError naming CLICKHOUSE_CLUSTER for a malformed name (it is also an XML element name in the
// servers' remote_servers, so only A-Z, a-z, 0-9 and _).
std::string on_cluster(std::string_view cluster);

}  // namespace ypa::store
