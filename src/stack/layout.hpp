// Where a stack keeps its files and which ports it uses. The layout is fixed at the first `up` and
// saved in <dir>/stack.json, so `env`, `status` and `down` find the same servers later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "stack/process.hpp"

namespace ypa::stack {

struct Layout {
  std::string dir;  // absolute
  std::uint16_t pg_port = 25432;  // below the kernel's ephemeral range (32768-60999): no clash with outgoing connections
  std::uint16_t ch_port = 29000;
  std::uint16_t ch_http_port = 28123;
  std::string pg_user = "ypa";
  std::string pg_database = "ypa";
  std::string ch_database = "yamagoti";
  // `ypa stack up --cluster` (stack/cluster.hpp): "" for the single ClickHouse above; else the cluster the
  // servers' macros follow, two_shards or one_shard_two_replicas, with a ZooKeeper and a second server.
  std::string cluster;
  std::uint16_t zk_port = 0;
  std::uint16_t ch2_port = 0;
  std::uint16_t ch2_http_port = 0;

  std::string state_file() const { return dir + "/stack.json"; }
  std::string pg_data() const { return dir + "/postgres/data"; }
  std::string pg_socket_dir() const { return dir + "/postgres/run"; }
  std::string pg_log() const { return dir + "/postgres/postgres.log"; }
  std::string ch_root() const { return dir + "/clickhouse"; }
  std::string ch_config() const { return ch_root() + "/config.xml"; }
  std::string ch_users() const { return ch_root() + "/users.xml"; }
  std::string ch_pid_file() const { return ch_root() + "/server.pid"; }
  std::string ch_log_dir() const { return ch_root() + "/log"; }
  std::string zk_root() const { return dir + "/zookeeper"; }
};

// The stack directory: --dir, else YPA_STACK_DIR, else ./.ypa/stack, made absolute.
std::string resolve_dir(const std::string& flag_value);

// Reads <dir>/stack.json; nullopt when the stack was never started there.
std::optional<Layout> load_layout(const std::string& dir);
void save_layout(const Layout& layout);

}  // namespace ypa::stack
