#include "store/sql_text.hpp"

#include <fmt/format.h>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "store/names.hpp"
#include "store/run_id.hpp"

namespace ypa::store {

std::string string_literal(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == '\'') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  out += '\'';
  return out;
}

std::string identifier(std::string_view name) {
  if (name.empty()) throw InputError("an empty name cannot be a ClickHouse identifier");
  return clickhouse::quote_identifier(name);
}

std::string qualified_table(std::string_view database, std::string_view table) {
  return identifier(database) + "." + identifier(table);
}

std::string partition_literal(std::string_view run_id, int month) {
  validate_run_id(run_id, "run_id");
  return fmt::format("({}, {})", string_literal(run_id), month);
}

std::string on_cluster(std::string_view cluster) {
  if (cluster.empty()) return "";
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  return " ON CLUSTER " + identifier(cluster);
}

}  // namespace ypa::store
