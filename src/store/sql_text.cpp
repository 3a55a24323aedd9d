#include "store/sql_text.hpp"

#include <fmt/format.h>

#include "clickhouse/client.hpp"

namespace ypa::store {

std::string string_literal(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == '\'') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  out += '\'';
  return out;
}

std::string qualified_table(std::string_view database, std::string_view table) {
  return clickhouse::quote_identifier(database) + "." + clickhouse::quote_identifier(table);
}

std::string partition_literal(std::string_view run_id, int month) {
  return fmt::format("({}, {})", string_literal(run_id), month);
}

}  // namespace ypa::store
