// Cluster DDL and shard discovery for the run tables; see cluster.hpp and docs/operations.md.
#include "store/cluster.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "store/names.hpp"
#include "store/runs.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

constexpr std::string_view kLocalSuffix = "_local";
constexpr std::string_view kPlainEngine = "ENGINE = ReplacingMergeTree(inserted_at)";

// The ZooKeeper path of a replicated table: its parts are the database and table names, which must be
// plain words (a "/" would add a level, a "{" a macro), so both are checked, not only quoted.
std::string zookeeper_path(std::string_view database, std::string_view table) {
  validate_database_name(database);
  if (auto problem = word_problem(table, kMaxNameLength)) {
    throw Error(fmt::format("table \"{}\" cannot be in a ZooKeeper path: {}", printable(table), *problem));
  }
  return fmt::format("/clickhouse/tables/{{shard}}/{}/{}", database, table);
}

// The engine of `database`.`table` on the connected server, "" when there is no such table.
std::string engine_of(clickhouse::Client& client, const std::string& database, std::string_view table) {
  auto rows = client.select_rows(table_engine_sql(database, table));
  return rows.empty() ? "" : rows[0].at(0).value_or("");
}

std::map<std::string, std::string> columns_of(clickhouse::Client& client, const std::string& database,
                                              const std::string& table) {
  std::map<std::string, std::string> out;
  for (const auto& row : client.select_rows(table_columns_sql(database, table))) {
    out[row.at(0).value_or("")] = row.at(1).value_or("");
  }
  return out;
}

// (name, type) of each column of `database`.`table` in the table's order; empty when there is no table.
std::vector<std::pair<std::string, std::string>> column_list(clickhouse::Client& client,
                                                             const std::string& database,
                                                             const std::string& table) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : client.select_rows(table_columns_sql(database, table))) {
    out.emplace_back(row.at(0).value_or(""), row.at(1).value_or(""));
  }
  return out;
}

// Why `replica` does not answer within 3 s (a replica that accepts the connection but does not answer
// counts as down too), or nullopt when it does.
std::optional<std::string> unreachable(const clickhouse::ClientOptions& base, const ShardReplica& replica) {
  clickhouse::ClientOptions options = base;
  options.host = replica.host;
  options.port = replica.port;
  options.connect_timeout = std::min(options.connect_timeout, std::chrono::milliseconds(3000));
  options.io_timeout = std::min(options.io_timeout, std::chrono::milliseconds(3000));
  options.session_statements.clear();
  try {
    clickhouse::Client probe(options);
    probe.ping();
    return std::nullopt;
  } catch (const Error& e) {
    return std::string(e.what());
  }
}

}  // namespace

std::string local_table_name(std::string_view table) {
  return std::string(table) + std::string(kLocalSuffix);
}

std::string sharding_key(std::string_view table) {
  if (table == "price_aligned") return "intHash64(iphone_id)";
  if (table == "features_wide") return "cityHash64(scope)";
  if (table == "shop_health") return "intHash64(shop_id)";
  throw Error(fmt::format("{}: not a run table, it has no sharding key", table));
}

std::string replicated_engine(std::string_view database, std::string_view table) {
  return fmt::format("ReplicatedReplacingMergeTree({}, '{{replica}}', inserted_at)",
                     string_literal(zookeeper_path(database, table)));
}

std::string create_local_table_sql(const std::string& database, const std::string& cluster, TableSpec table) {
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  if (table.engine_clause.rfind(kPlainEngine, 0) != 0) {
    throw Error(
        fmt::format("{}: unexpected engine clause for a cluster table: {}", table.name, table.engine_clause));
  }
  table.name = local_table_name(table.name);
  table.engine_clause = fmt::format("ENGINE = {}{}", replicated_engine(database, table.name),
                                    table.engine_clause.substr(kPlainEngine.size()));
  return create_table_sql(database, table, cluster);
}

std::string create_distributed_sql(const std::string& database, const std::string& cluster,
                                   std::string_view table, std::string_view local,
                                   std::string_view sharding) {
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  return fmt::format("CREATE TABLE IF NOT EXISTS {}{} AS {} ENGINE = Distributed({}, {}, {}, {})",
                     qualified_table(database, table), on_cluster(cluster), qualified_table(database, local),
                     identifier(cluster), identifier(database), identifier(local), sharding);
}

std::vector<std::string> create_cluster_journal_sql(const std::string& database, const std::string& cluster) {
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  std::string local = local_table_name(kPromoteJournal);
  // All rows of one target on one shard; readers merge the shards anyway.
  return {fmt::format("CREATE TABLE IF NOT EXISTS {}{} {} ENGINE = ReplicatedMergeTree({}, '{{replica}}') {}",
                      qualified_table(database, local), on_cluster(cluster), kPromoteJournalColumns,
                      string_literal(zookeeper_path(database, local)), kPromoteJournalOrder),
          create_distributed_sql(database, cluster, kPromoteJournal, local, "cityHash64(target)")};
}

std::string replicas_not_leading_sql(const std::string& database, const std::vector<std::string>& tables) {
  std::vector<std::string> names;
  for (const auto& t : tables) names.push_back(string_literal(t));
  return fmt::format(
      "SELECT table FROM system.replicas WHERE database = {} AND table IN ({}) AND NOT is_leader ORDER BY "
      "table",
      string_literal(database), fmt::join(names, ", "));
}

std::string cluster_shards_sql(const std::string& cluster) {
  return fmt::format(
      "SELECT shard_num, host_address, port FROM system.clusters WHERE cluster = {} ORDER BY shard_num, "
      "replica_num",
      string_literal(cluster));
}

std::optional<std::string> cluster_of_engine(std::string_view engine_full) {
  // Distributed(two_shards, db, price_aligned_local, ...); newer servers quote the arguments.
  auto open = engine_full.find('(');
  auto comma = engine_full.find(',', open == std::string_view::npos ? 0 : open);
  if (engine_full.rfind("Distributed", 0) != 0 || open == std::string_view::npos ||
      comma == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view name = engine_full.substr(open + 1, comma - open - 1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.size() >= 2 && (name.front() == '\'' || name.front() == '`' || name.front() == '"') &&
      name.back() == name.front()) {
    name = name.substr(1, name.size() - 2);
  }
  // Only a plain word is taken: the name goes into DDL and into cluster('<name>', ...).
  if (word_problem(name, kMaxNameLength)) return std::nullopt;
  return std::string(name);
}

bool ensure_cluster_journal(clickhouse::Client& client, const std::string& database,
                            const std::string& cluster) {
  validate_database_name(database);
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  std::string local = local_table_name(kPromoteJournal);
  std::string front = engine_of(client, database, kPromoteJournal);
  if (!front.empty() && front != "Distributed") {
    throw Error(fmt::format(
        "{0}.{1} on {2}:{3} is the one-server promote journal of an earlier ypa ({4}); on cluster {5} the "
        "journal is {1}_local on every server with a Distributed {1} over it. When `ypa list_runs` notes no "
        "unfinished promote, drop it (DROP TABLE {0}.{1}) and run `ypa init`",
        database, kPromoteJournal, client.options().host, client.options().port, front, cluster));
  }
  if (!front.empty() && !engine_of(client, database, local).empty()) return false;
  require_every_replica(client, cluster,
                        fmt::format("creating the promote journal {}.{}", database, kPromoteJournal));
  for (const auto& statement : create_cluster_journal_sql(database, cluster)) client.execute(statement);
  return true;
}

void require_every_replica(clickhouse::Client& client, const std::string& cluster, std::string_view what) {
  std::vector<std::string> down;
  for (const auto& shard : cluster_shards(client, cluster)) {
    for (const auto& replica : shard.replicas) {
      if (auto why = unreachable(client.options(), replica)) {
        down.push_back(
            fmt::format("shard {} replica {}:{} ({})", shard.number, replica.host, replica.port, *why));
      }
    }
  }
  if (!down.empty()) {
    throw UnavailableError(fmt::format(
        "{} needs DDL ON CLUSTER {}, which waits for every replica, and {} does not answer; nothing was "
        "changed: start it and run again",
        what, cluster, fmt::join(down, "; ")));
  }
}

std::string create_staging_sql(const std::string& database, const std::string& cluster,
                               std::string_view table, std::string_view staging) {
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  PipelineSettings defaults;  // the engine clause does not depend on the zone or the windows
  std::optional<TableSpec> found;
  for (auto& spec : run_table_specs(defaults)) {
    if (spec.name == table) found = std::move(spec);
  }
  if (!found) throw Error(fmt::format("{}: not a run table", table));
  const TableSpec& spec = *found;
  return fmt::format("CREATE TABLE IF NOT EXISTS {}{} AS {} ENGINE = {}{}",
                     qualified_table(database, staging), on_cluster(cluster),
                     qualified_table(database, local_table_name(table)), replicated_engine(database, staging),
                     spec.engine_clause.substr(kPlainEngine.size()));
}

std::vector<InitReport> init_clickhouse_cluster(clickhouse::Client& client, const std::string& database,
                                                const std::string& cluster,
                                                const PipelineSettings& settings) {
  validate_database_name(database);
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  cluster_shards(client, cluster);  // a clear error for an unknown cluster before any DDL
  require_every_replica(client, cluster, fmt::format("ypa init of {}", database));
  client.execute(create_database_sql(database, cluster));
  std::vector<InitReport> reports;
  for (const TableSpec& table : run_table_specs(settings)) {
    InitReport report{table.name, false, {}};
    std::string local = local_table_name(table.name);
    auto existing = columns_of(client, database, local);
    auto front = columns_of(client, database, table.name);
    if (existing.empty() && !front.empty()) {
      throw Error(
          fmt::format("{}.{} exists on this server without {}: it was made for one server; move its "
                      "data and drop it before `ypa init` on cluster {}",
                      database, table.name, local, cluster));
    }
    // Always sent: IF NOT EXISTS on every host also repairs a cluster where an earlier init reached
    // only some of them.
    client.execute(create_local_table_sql(database, cluster, table));
    client.execute(create_distributed_sql(database, cluster, table.name, local, sharding_key(table.name)));
    report.created = existing.empty();
    std::string previous;
    for (const auto& c : table.columns) {
      auto it = existing.find(c.name);
      if (!existing.empty() && it == existing.end()) {
        // The local tables first: the Distributed table must never list a column the shards lack.
        for (const auto& target : {local, table.name}) {
          client.execute(add_column_sql(database, target, c, previous, cluster));
        }
        report.added_columns.push_back(c.name);
      } else if (it != existing.end() && it->second != c.type) {
        throw Error(
            fmt::format("{}.{}: column {} has type {}, expected {}; migrate or drop the table by hand",
                        database, local, c.name, it->second, c.type));
      }
      previous = c.name;
    }
    // promote_run's staging table, made here (with every replica up) so that a promote needs no DDL. One
    // that no longer has the local table's columns (made before an upgrade) is made again.
    std::string staging = std::string(table.name) + std::string(kPromoteStagingSuffix);
    auto staging_columns = column_list(client, database, staging);
    if (!staging_columns.empty() && staging_columns != column_list(client, database, local)) {
      client.execute(drop_table_sql(database, staging, cluster));
    }
    client.execute(create_staging_sql(database, cluster, table.name, staging));
    reports.push_back(std::move(report));
  }
  reports.push_back(
      InitReport{std::string(kPromoteJournal), ensure_cluster_journal(client, database, cluster), {}});
  return reports;
}

void require_live_leaders(clickhouse::Client& client, const std::string& cluster, const std::string& database,
                          const std::vector<std::string>& tables, std::string_view what) {
  for (const auto& shard : cluster_shards(client, cluster)) {
    auto connection = connect_to_shard(client.options(), shard);
    std::vector<std::string> led_elsewhere;
    for (const auto& row : connection->select_rows(replicas_not_leading_sql(database, tables))) {
      led_elsewhere.push_back(row.at(0).value_or(""));
    }
    if (led_elsewhere.empty()) continue;
    const auto& here = connection->options();
    std::vector<std::string> down;
    for (const auto& replica : shard.replicas) {
      if (replica.host == here.host && replica.port == here.port) continue;
      if (auto why = unreachable(client.options(), replica)) {
        down.push_back(fmt::format("{}:{} ({})", replica.host, replica.port, *why));
      }
    }
    if (!down.empty()) {
      throw UnavailableError(fmt::format(
          "{}: on shard {} the replica {}:{} does not lead {} of {} in ZooKeeper, and ClickHouse sends DROP "
          "PARTITION to the leader, which may be {} that does not answer; a replica stopped without closing "
          "its ZooKeeper session leads until the session expires (session_timeout_ms). Nothing was changed: "
          "run again when it is back or its session has expired",
          what, shard.number, here.host, here.port, fmt::join(led_elsewhere, ", "), database,
          fmt::join(down, ", ")));
    }
  }
}

std::vector<Shard> cluster_shards(clickhouse::Client& client, const std::string& cluster) {
  std::vector<Shard> shards;
  validate_cluster_name(cluster, "CLICKHOUSE_CLUSTER");
  for (const auto& row : client.select_rows(cluster_shards_sql(cluster))) {
    int number = std::stoi(row.at(0).value_or("0"));
    if (shards.empty() || shards.back().number != number) shards.push_back({number, {}});
    shards.back().replicas.push_back(
        {row.at(1).value_or(""), static_cast<std::uint16_t>(std::stoul(row.at(2).value_or("0")))});
  }
  if (shards.empty()) {
    throw InputError(
        fmt::format("CLICKHOUSE_CLUSTER={}: the server {}:{} has no such cluster in remote_servers", cluster,
                    client.options().host, client.options().port));
  }
  return shards;
}

std::optional<std::string> table_cluster(clickhouse::Client& client, const std::string& database) {
  auto rows = client.select_rows(table_engine_sql(database, "price_aligned"));
  if (rows.empty() || rows[0].at(0).value_or("") != "Distributed") return std::nullopt;
  std::string full = rows[0].at(1).value_or("");
  auto name = cluster_of_engine(full);
  if (!name) {
    // Server metadata, not input: the table was made by hand, not by `ypa init`.
    throw Error(
        fmt::format("{}.price_aligned: its engine names no cluster that ypa can use (only A-Z, a-z, 0-9 "
                    "and _): {}",
                    database, printable(full)));
  }
  return name;
}

std::unique_ptr<clickhouse::Client> connect_to_shard(const clickhouse::ClientOptions& base,
                                                     const Shard& shard) {
  std::vector<std::string> failures;
  for (const auto& replica : shard.replicas) {
    clickhouse::ClientOptions options = base;
    options.host = replica.host;
    options.port = replica.port;
    options.session_statements.push_back("SET insert_deduplicate = 0");
    try {
      return std::make_unique<clickhouse::Client>(options);
    } catch (const UnavailableError& e) {
      failures.push_back(fmt::format("{}:{}: {}", replica.host, replica.port, e.what()));
    }
  }
  throw UnavailableError(
      fmt::format("shard {}: no replica answers ({})", shard.number, fmt::join(failures, "; ")));
}

}  // namespace ypa::store
