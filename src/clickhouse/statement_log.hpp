// The statement log (docs/configuration.md, YPA_SQL_LOG): every SQL text a Client sends, appended to
// a file as one JSON object a line, for checking ypa's SQL on other ClickHouse versions
// (tests/compat). Off unless YPA_SQL_LOG names a file; when off, each hook is one branch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/block.hpp"
#include "clickhouse/packets.hpp"

namespace ypa::clickhouse::statement_log {

// True when YPA_SQL_LOG names a file. Read once per process, when the first Client connects: a
// malformed YPA_SQL_LOG_ROWS or a file that cannot be opened is an InputError naming the variable.
bool enabled();

// Appends {"pid", "n", "cmd", "server", "sql"[, "table"]} and returns n, this process's statement
// number (0 when the log is off). `insert_table` is the target of an INSERT ... VALUES whose rows
// follow as Data blocks.
std::uint64_t record_statement(std::string_view sql, const ServerInfo& server, std::string_view insert_table);

// With YPA_SQL_LOG_ROWS=1: appends {"pid", "n", "part": "result"|"insert", "names", "types", "rows"} for
// one Data block of statement n, every cell as Column::append_text writes it (null for NULL).
// `types` overrides the block's own type names (an INSERT sends the table's).
void record_block(std::uint64_t n, std::string_view part, const Block& block,
                  const std::vector<std::string>* types = nullptr);

// Appends {"pid", "n", "part": "error", "code"} when the server refused statement n.
void record_error(std::uint64_t n, std::int32_t code);

}  // namespace ypa::clickhouse::statement_log
