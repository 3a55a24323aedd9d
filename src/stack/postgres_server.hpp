// The stack's PostgreSQL 15: initdb on first use, pg_ctl to start, stopped by the pid in postmaster.pid.
#pragma once

#include <optional>
#include <sys/types.h>

#include "stack/layout.hpp"
#include "stack/process.hpp"

namespace ypa::stack {

class PostgresServer {
 public:
  PostgresServer(Layout layout, std::optional<RunAs> run_as);

  // The postmaster's pid when our data directory's server is running.
  std::optional<pid_t> running_pid() const;
  // Initialises the cluster if needed, starts it, waits until it answers queries and creates the
  // stack's database. Does nothing when it is already running.
  void start();
  void stop();
  // Connects and runs SELECT 1.
  bool accepts_queries() const;
  std::string conninfo(const std::string& database) const;

 private:
  std::string bin(const char* program) const;

  Layout layout_;
  std::optional<RunAs> run_as_;
  std::string bin_dir_;
};

}  // namespace ypa::stack
