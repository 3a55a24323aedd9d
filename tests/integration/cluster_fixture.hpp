// A private `ypa stack up --cluster` for one cluster test binary: started before the first test on its
// own folder and ports, stopped after the last (also when tests fail), and exported to this process's
// environment so that Databases, run_ypa and the oracle use it instead of the suite's stack.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/run_command.hpp"

namespace ypa::testing {

class ClusterStack : public ::testing::Environment {
 public:
  // `replicas`: the one_shard_two_replicas layout instead of two_shards.
  ClusterStack(bool replicas, int pg_port, int ch_port)
      : replicas_(replicas), pg_port_(pg_port), ch_port_(ch_port) {
    dir_ = std::filesystem::temp_directory_path() /
           ((replicas ? "ypa-cluster-replicas-" : "ypa-cluster-shards-") + std::to_string(::getpid()));
  }

  void SetUp() override {
    std::filesystem::remove_all(dir_);
    std::vector<std::string> args{"stack",
                                  "up",
                                  "--cluster",
                                  "--dir",
                                  dir_.string(),
                                  "--pg-port",
                                  std::to_string(pg_port_),
                                  "--ch-port",
                                  std::to_string(ch_port_)};
    if (replicas_) args.push_back("--replicas");
    auto up = run_ypa(args);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    for (int node : {1, 2}) {
      auto answer = query(node, "SELECT 1");
      ASSERT_EQ(answer.exit_code, 0) << "server " << node << " does not answer after `ypa stack up`: " << answer.err
                                     << server_logs();
    }
    ::unsetenv("DATABASE_URL");
    ::setenv("PGHOST", "127.0.0.1", 1);
    ::setenv("PGPORT", std::to_string(pg_port_).c_str(), 1);
    ::setenv("PGUSER", "ypa", 1);
    ::setenv("CLICKHOUSE_HOST", "127.0.0.1", 1);
    ::setenv("CLICKHOUSE_PORT", std::to_string(ch_port_).c_str(), 1);
    ::setenv("CLICKHOUSE_USER", "default", 1);
    ::setenv("CLICKHOUSE_PASSWORD", "", 1);
    ::setenv("CLICKHOUSE_CLUSTER", cluster().c_str(), 1);
  }

  void TearDown() override {
    // After a failure (a test's or a suite set-up's), show what the servers said before their folder
    // goes away.
    if (::testing::UnitTest::GetInstance()->Failed()) std::fprintf(stderr, "%s", server_logs().c_str());
    auto down = run_ypa({"stack", "down", "--dir", dir_.string()});
    EXPECT_EQ(down.exit_code, 0) << down.err;
    std::filesystem::remove_all(dir_);
  }

  std::string cluster() const { return replicas_ ? "one_shard_two_replicas" : "two_shards"; }
  const std::filesystem::path& dir() const { return dir_; }
  // Native port of ClickHouse server 1 or 2.
  int port(int node) const { return node == 1 ? ch_port_ : ch_port_ + 10; }

  // Stops ClickHouse server `node` by its recorded pid and waits (60 s at most) until the process is
  // gone: SIGTERM as `ypa stack down` does (the server closes its ZooKeeper session, so another replica
  // takes over what it led), SIGKILL for a crash (its session lives on until it times out). Use under
  // ASSERT_NO_FATAL_FAILURE.
  void stop_server(int node, int signal = SIGTERM) const {
    std::ifstream pid_file(dir_ / (node == 1 ? "clickhouse/server.pid" : "ch2/clickhouse/server.pid"));
    pid_t pid = 0;
    ASSERT_TRUE(pid_file >> pid);
    ASSERT_EQ(::kill(pid, signal), 0);
    for (int i = 0; i < 600 && !gone(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(gone(pid)) << "server " << node << " (pid " << pid << ") still runs";
    ASSERT_NE(query(node, "SELECT 1").exit_code, 0) << "server " << node << " still answers";
  }

  // `ypa stack up` on the running stack: starts what is stopped (after stop_server) and returns when
  // it answers.
  void start_stopped_servers() const {
    std::vector<std::string> args{"stack", "up", "--cluster", "--dir", dir_.string()};
    if (replicas_) args.push_back("--replicas");
    auto up = run_ypa(args);
    ASSERT_EQ(up.exit_code, 0) << up.err;
  }

  // The last lines of every server's logs, for a failure message.
  std::string server_logs() const {
    std::string out;
    for (const char* log : {"clickhouse/log/error.log", "clickhouse/log/stdout.log", "ch2/clickhouse/log/error.log",
                            "ch2/clickhouse/log/stdout.log", "zookeeper/zookeeper.log"}) {
      out += std::string("\n--- ") + log + "\n" + run_command({"tail", "-n", "15", (dir_ / log).string()}).out;
    }
    return out;
  }

  // clickhouse-client against one server (not through ypa).
  CommandResult query(int node, const std::string& sql) const {
    return run_command(
        {"clickhouse-client", "--host", "127.0.0.1", "--port", std::to_string(port(node)), "--query", sql});
  }

 private:
  // Exited: no such process, or a zombie nobody has reaped yet.
  static bool gone(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
  }

  bool replicas_;
  int pg_port_;
  int ch_port_;
  std::filesystem::path dir_;
};

}  // namespace ypa::testing
