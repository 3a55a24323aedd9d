// `ypa stack up --cluster`: a ZooKeeper (Debian's zookeeper jar, run by hand) and a second ClickHouse
// server beside the stack's first, both on loopback, with the clusters two_shards and
// one_shard_two_replicas defined for them. For tests and demos of ypa on a cluster only.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "stack/layout.hpp"
#include "stack/process.hpp"

namespace ypa::stack {

inline constexpr const char* kTwoShards = "two_shards";
inline constexpr const char* kOneShardTwoReplicas = "one_shard_two_replicas";

// Fills the cluster fields of a new layout: ZooKeeper on ch_port + 181, the second server's native
// and HTTP ports 10 above the first's; interserver ports are the native ports + 9.
void assign_cluster_ports(Layout& layout, const std::string& cluster);

// The layout of ClickHouse server `node` (1 or 2): node 1 is the stack's own server, node 2 keeps its
// files under <dir>/ch2.
Layout node_layout(const Layout& layout, int node);

// The config elements of server `node`: both cluster definitions, the ZooKeeper, its macros ({shard},
// {replica}) for the stack's cluster, and the interserver port replicas fetch parts through.
std::string cluster_config(const Layout& layout, int node);

class ZooKeeperServer {
 public:
  ZooKeeperServer(Layout layout, std::optional<RunAs> run_as);

  std::optional<pid_t> running_pid() const;
  // Writes zoo.cfg, starts the server and waits until it serves requests.
  void start();
  void stop();
  // Whether it answers `srvr` with its mode. Its port accepts connections a while before that (the
  // database is still loading), and a ClickHouse 18.16 server whose first ZooKeeper session fails
  // then crashes on its first ON CLUSTER statement (a null session in its DDL worker).
  bool serves_requests() const;

 private:
  std::string config_file() const { return layout_.zk_root() + "/zoo.cfg"; }
  std::string pid_file() const { return layout_.zk_root() + "/server.pid"; }
  std::string log_file() const { return layout_.zk_root() + "/zookeeper.log"; }

  Layout layout_;
  std::optional<RunAs> run_as_;
};

// Starts ZooKeeper and both ClickHouse servers (whatever is not running) and waits until the first
// server reaches ZooKeeper. Idempotent.
void start_cluster(const Layout& layout, const std::optional<RunAs>& run_as);
// Stops both ClickHouse servers and ZooKeeper; throws ypa::Error listing what did not stop.
void stop_cluster(const Layout& layout, const std::optional<RunAs>& run_as);

}  // namespace ypa::stack
