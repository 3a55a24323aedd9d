// Small builders for SQL text: string literals, qualified table names, partition expressions. Every
// value that is not a validated identifier goes through string_literal().
#pragma once

#include <string>
#include <string_view>

namespace ypa::store {

// 'text' with \ and ' escaped (and control bytes as \xNN), valid on ClickHouse 18.16 and 24.x.
std::string string_literal(std::string_view text);
// `db`.`table`
std::string qualified_table(std::string_view database, std::string_view table);
// The partition of a (run_id, toYYYYMM(bucket)) table as a tuple literal: ('bf1', 202501).
std::string partition_literal(std::string_view run_id, int month);

}  // namespace ypa::store
