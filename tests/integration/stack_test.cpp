// `ypa stack`: up twice, down, up again, on its own folder and ports so the suite's stack is untouched.
// Readiness is checked with the servers' own clients (psql, clickhouse-client), not with ypa.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <filesystem>
#include <fstream>

#include "support/run_command.hpp"

namespace ypa::testing {
namespace {
namespace fs = std::filesystem;

// True while the process exists and has not exited (an exited one may linger as a zombie when the
// machine's init does not reap orphans).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.at(close_paren + 2) != 'Z';
}

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ypa-stack-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    run_ypa({"stack", "down", "--dir", dir_.string()});
    fs::remove_all(dir_);
  }
  CommandResult stack(std::vector<std::string> args) {
    args.insert(args.begin(), "stack");
    args.push_back("--dir");
    args.push_back(dir_.string());
    return run_ypa(args);
  }
  CommandResult up() { return stack({"up", "--pg-port", kPgPort, "--ch-port", kChPort}); }
  bool postgres_answers() {
    auto r = run_command({"psql", "-XAtq", "-h", "127.0.0.1", "-p", kPgPort, "-U", "ypa", "-d", "ypa", "-c", "SELECT 40+2"});
    return r.exit_code == 0 && r.out == "42\n";
  }
  bool clickhouse_answers() {
    auto r = run_command({"clickhouse-client", "--host", "127.0.0.1", "--port", kChPort, "--query", "SELECT 40+2"});
    return r.exit_code == 0 && r.out == "42\n";
  }
  std::string read_first_line(const fs::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  }

  static constexpr const char* kPgPort = "25452";
  static constexpr const char* kChPort = "29500";
  fs::path dir_;
};

TEST_F(StackTest, UpTwiceDownUpAgain) {
  auto first = up();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(postgres_answers());
  EXPECT_TRUE(clickhouse_answers());
  std::string pg_pid = read_first_line(dir_ / "postgres/data/postmaster.pid");
  std::string ch_pid = read_first_line(dir_ / "clickhouse/server.pid");
  ASSERT_FALSE(pg_pid.empty());
  ASSERT_FALSE(ch_pid.empty());

  // A second up is a no-op: the same processes keep running.
  auto second = up();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(read_first_line(dir_ / "postgres/data/postmaster.pid"), pg_pid);
  EXPECT_EQ(read_first_line(dir_ / "clickhouse/server.pid"), ch_pid);
  EXPECT_NE(second.err.find("already running"), std::string::npos) << second.err;

  auto status = stack({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  auto env = stack({"env"});
  ASSERT_EQ(env.exit_code, 0);
  EXPECT_NE(env.out.find("export PGPORT=25452\n"), std::string::npos) << env.out;
  EXPECT_NE(env.out.find("export CLICKHOUSE_PORT=29500\n"), std::string::npos) << env.out;

  // Data written before down survives down + up.
  ASSERT_EQ(run_command({"clickhouse-client", "--port", kChPort, "--query", "CREATE DATABASE kept_across_restart"})
                .exit_code,
            0);

  auto down = stack({"down"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_FALSE(postgres_answers());
  EXPECT_FALSE(clickhouse_answers());
  EXPECT_FALSE(running(std::stoi(pg_pid)));
  EXPECT_FALSE(running(std::stoi(ch_pid)));
  EXPECT_EQ(stack({"status"}).exit_code, 1);

  auto again = up();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(postgres_answers());
  auto db = run_command({"clickhouse-client", "--port", kChPort, "--query",
                         "SELECT count() FROM system.databases WHERE name = 'kept_across_restart'"});
  EXPECT_EQ(db.out, "1\n");
}

TEST_F(StackTest, DownStopsOnlyProcessesItStarted) {
  ASSERT_EQ(up().exit_code, 0);
  ASSERT_EQ(stack({"down"}).exit_code, 0);
  // A stale pid file naming an unrelated process must not make `down` kill it.
  pid_t bystander = ::fork();
  if (bystander == 0) {
    ::execlp("sleep", "sleep", "60", nullptr);
    ::_exit(127);
  }
  std::ofstream(dir_ / "clickhouse/server.pid") << bystander << "\n";
  auto down = stack({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_TRUE(running(bystander)) << "down killed a process it did not start";
  ::kill(bystander, SIGKILL);
  ::waitpid(bystander, nullptr, 0);
}

TEST_F(StackTest, EnvWithoutAStackFailsWithOneLine) {
  auto env = stack({"env"});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("run `ypa stack up` first"), std::string::npos) << env.err;
  EXPECT_EQ(std::count(env.err.begin(), env.err.end(), '\n'), 1) << env.err;
}

}  // namespace
}  // namespace ypa::testing
