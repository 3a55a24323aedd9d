// `ypa stack up|down|status|env`: the embedded PostgreSQL + ClickHouse pair for demos, development
// and tests, with data under a project-local folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "stack/layout.hpp"

namespace ypa::stack {

struct StackRequest {
  std::string dir;  // resolved with resolve_dir()
  std::optional<std::uint16_t> pg_port;
  std::optional<std::uint16_t> ch_port;
  // --cluster: two_shards or one_shard_two_replicas (stack/cluster.hpp); nullopt for one ClickHouse.
  std::optional<std::string> cluster;
};

struct ServerStatus {
  bool running = false;
  std::optional<int> pid;
  std::uint16_t port = 0;
};

struct StackStatus {
  Layout layout;
  ServerStatus postgres;
  ServerStatus clickhouse;
  // A cluster stack's other servers (layout.cluster not empty).
  ServerStatus zookeeper;
  ServerStatus clickhouse2;
  bool all_running() const {
    return postgres.running && clickhouse.running &&
           (layout.cluster.empty() || (zookeeper.running && clickhouse2.running));
  }
};

// Starts whatever is not running and returns when both servers answer queries. Idempotent.
Layout up(const StackRequest& request);
// Stops the servers this stack started (by their recorded pids); leaves the data in place.
void down(const std::string& dir);
// nullopt when no stack was ever started in `dir`.
std::optional<StackStatus> status(const std::string& dir);
// Shell `export` lines for the PG* and CLICKHOUSE_* variables the other commands read.
std::string env_script(const Layout& layout);

}  // namespace ypa::stack
