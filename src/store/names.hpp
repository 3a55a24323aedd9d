// The names that store/ writes into SQL text besides run ids (store/run_id.hpp): the ClickHouse
// database and cluster. Both are quoted as identifiers wherever they appear, and also checked where
// they enter store/, because they end up in places quoting does not cover: the ZooKeeper paths of the
// replicated tables (/clickhouse/tables/{shard}/<database>/<table>, where "/" or "{" would change the
// path) and the cluster's name in remote_servers, an XML element.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ypa::store {

inline constexpr std::size_t kMaxNameLength = 128;

// Why `name` is not 1..max_length of A-Z, a-z, 0-9 and _ ("it is empty", "character \"'\" at position
// 2 is not allowed (only A-Z, a-z, 0-9 and _)", ...), or nullopt when it is.
std::optional<std::string> word_problem(std::string_view name, std::size_t max_length);
// `text` as it may be printed in a one-line message: control and non-ASCII bytes as \xNN, at most 80
// characters then "...".
std::string printable(std::string_view text);

// Throws InputError "CLICKHOUSE_DB: \"<name>\" is not a valid database name: <reason>".
void validate_database_name(std::string_view name);
// Throws InputError "<what>: \"<name>\" is not a valid cluster name: <reason>" (what: e.g.
// "CLICKHOUSE_CLUSTER").
void validate_cluster_name(std::string_view name, std::string_view what);

}  // namespace ypa::store
