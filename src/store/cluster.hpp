// The run tables on a ClickHouse cluster (docs/operations.md): `ypa init` makes replicated
// `<table>_local` tables ON CLUSTER and Distributed tables under the usual names; run management
// finds the cluster from those tables and reaches every shard through these helpers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/settings.hpp"
#include "store/schema.hpp"

namespace ypa::clickhouse {
class Client;
struct ClientOptions;
}  // namespace ypa::clickhouse

namespace ypa::store {

// price_aligned -> price_aligned_local: where a Distributed run table keeps its rows on each shard.
std::string local_table_name(std::string_view table);

// The Distributed sharding key of a run table: a function of its ORDER BY key without run_id, so that
// every version of a key (FINAL/argMax deduplicate per shard) and the same key in every run (promote
// copies shard-locally) live on one shard.
std::string sharding_key(std::string_view table);

// ReplicatedReplacingMergeTree(inserted_at) of `database`.`table` with the standard macros:
// ZooKeeper path /clickhouse/tables/{shard}/<database>/<table>, replica {replica}. The path is a string
// literal; InputError for a database name that is not a plain word (it would change the path).
std::string replicated_engine(std::string_view database, std::string_view table);

// The DDL of the cluster, as pure functions (names quoted, the cluster checked by on_cluster()):
// <table>_local ON CLUSTER with the replicated engine, for a run table as price_aligned_table() makes it;
std::string create_local_table_sql(const std::string& database, const std::string& cluster, TableSpec table);
// `table` ON CLUSTER: a Distributed table over `local` with the same columns;
std::string create_distributed_sql(const std::string& database, const std::string& cluster,
                                   std::string_view table, std::string_view local, std::string_view sharding);
// run_promotions_local (replicated) and the Distributed run_promotions over it.
std::vector<std::string> create_cluster_journal_sql(const std::string& database, const std::string& cluster);
// table of each of `tables` of `database` whose replica on the connected server is not the leader.
std::string replicas_not_leading_sql(const std::string& database, const std::vector<std::string>& tables);
// shard_num, host_address, port of every replica of `cluster`, in remote_servers order.
std::string cluster_shards_sql(const std::string& cluster);
// The cluster named by a Distributed table's engine_full (system.tables), when it is a plain word
// (A-Z, a-z, 0-9, _; quoted or not); nullopt otherwise. It is server metadata, so it is checked before
// it is used in any statement.
std::optional<std::string> cluster_of_engine(std::string_view engine_full);

// `ypa init` on a cluster makes everything promote_run needs, so that a promote or a drop never sends
// DDL ON CLUSTER (which waits for every replica, also a stopped one, until
// distributed_ddl_task_timeout): the run tables, their promote staging tables and the promote journal.

// `ypa init` with CLICKHOUSE_CLUSTER: the database, <table>_local (replicated) and <table>
// (Distributed) ON CLUSTER, each statement idempotent; missing columns are added ON CLUSTER to both.
// Throws ypa::Error when <table> exists but is not a Distributed table over <table>_local.
std::vector<InitReport> init_clickhouse_cluster(clickhouse::Client& client, const std::string& database,
                                                const std::string& cluster, const PipelineSettings& settings);

// CREATE TABLE for promote's staging table `staging` of run table `table` on a cluster: the structure of
// <table>_local, replicated like it under its own ZooKeeper path, so that REPLACE PARTITION accepts it
// and every replica of a shard can take the staged parts.
std::string create_staging_sql(const std::string& database, const std::string& cluster,
                               std::string_view table, std::string_view staging);

struct ShardReplica {
  std::string host;
  std::uint16_t port = 0;
};

struct Shard {
  int number = 0;
  std::vector<ShardReplica> replicas;  // in remote_servers order
};

// The promote journal on a cluster: run_promotions_local (ReplicatedMergeTree, ON CLUSTER) and the
// Distributed run_promotions over it, so that a promote journaled through one server is resumed
// through any other. Sends DDL only for what this server lacks (then after require_every_replica);
// Error when run_promotions is the one-server journal of an earlier ypa. True when it created them.
bool ensure_cluster_journal(clickhouse::Client& client, const std::string& database,
                            const std::string& cluster);

// Throws UnavailableError, before any DDL ON CLUSTER, naming each replica of `cluster` that does not
// accept a connection: such DDL would wait distributed_ddl_task_timeout (180 s) for it and then fail.
// `what` says what needed the DDL.
void require_every_replica(clickhouse::Client& client, const std::string& cluster, std::string_view what);

// Before DROP PARTITION (drop_run, promote_run) on the replicated `tables` of `database`: ClickHouse
// 18.16 runs it on the table's ZooKeeper leader, to which other replicas pass it on, and a replica that
// stopped without closing its ZooKeeper session (a crash, kill -9, a cut network) stays leader until
// the session expires, failing every DROP PARTITION meanwhile. Throws UnavailableError, naming it,
// when on some shard the replica connect_to_shard() picks does not lead one of `tables` and another
// replica of that shard does not answer. `what` says what was about to run.
void require_live_leaders(clickhouse::Client& client, const std::string& cluster, const std::string& database,
                          const std::vector<std::string>& tables, std::string_view what);

// The shards of `cluster` as the connected server's remote_servers define them; InputError when the
// server does not know the cluster.
std::vector<Shard> cluster_shards(clickhouse::Client& client, const std::string& cluster);

// The cluster behind `database`.price_aligned when it is a Distributed table (made by `ypa init` on a
// cluster); nullopt for a table on one server or no table. Error when its engine names no cluster that
// cluster_of_engine() accepts.
std::optional<std::string> table_cluster(clickhouse::Client& client, const std::string& database);

// A connection to the first replica of `shard` that answers, with base's credentials and database,
// and with deduplication of replicated inserts off (a rerun may resend an identical block).
// UnavailableError naming every replica when none answers.
std::unique_ptr<clickhouse::Client> connect_to_shard(const clickhouse::ClientOptions& base,
                                                     const Shard& shard);

}  // namespace ypa::store
