// The stack's ClickHouse server (Debian's clickhouse-server): a generated config under the stack
// folder, loopback only, started as a child process whose pid we record and later stop.
#pragma once

#include <sys/types.h>

#include <optional>

#include "stack/layout.hpp"
#include "stack/process.hpp"

namespace ypa::stack {

class ClickHouseServer {
 public:
  // `cluster_config`: XML elements added to the server's config (remote_servers, zookeeper, macros) for
  // a server of a cluster stack; "" for the single server.
  ClickHouseServer(Layout layout, std::optional<RunAs> run_as, std::string cluster_config = "");

  std::optional<pid_t> running_pid() const;
  // Writes the config, starts the server and waits until it answers a query over the native protocol.
  // Does nothing when it is already running.
  void start();
  void stop();
  bool accepts_queries() const;

 private:
  void write_config() const;

  Layout layout_;
  std::optional<RunAs> run_as_;
  std::string cluster_config_;
};

}  // namespace ypa::stack
