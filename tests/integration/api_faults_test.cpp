// `ypa serve` while ClickHouse goes away and comes back: 503 {"detail": ...} within two seconds, never
// a hang or a crash, liveness unaffected, and recovery without a restart. Runs on its own stack (own
// folder and ports) because it stops that stack's ClickHouse.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"


namespace ypa::testing {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Below the ephemeral range (32768+), so that no client socket can hold a port the stack needs.
constexpr const char* kPgPort = "24661";
constexpr const char* kChPort = "29661";
constexpr int kApiPort = 18661;

class ApiFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("ypa-api-faults-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto up = stack({"up", "--pg-port", kPgPort, "--ch-port", kChPort});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    for (auto args : std::vector<std::vector<std::string>>{
             {"init", "--source-schema"},
             {"init"},
             {"datagen", "--shops", "4", "--iphones", "4", "--from", "2025-03-30", "--to", "2025-04-01", "--seed", "3"},
             {"run_pipeline", "--run-id", "live", "--allow-live", "--from", "2025-04-01", "--to", "2025-04-01"}}) {
      auto r = run_ypa(args, env());
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
  }
  static void TearDownTestSuite() {
    stack({"down"});
    fs::remove_all(dir_);
  }
  void SetUp() override { start_server(); }
  void TearDown() override {
    stop_server();
    restart_clickhouse();
  }

  static CommandResult stack(std::vector<std::string> args) {
    args.insert(args.begin(), "stack");
    args.push_back("--dir");
    args.push_back(dir_.string());
    return run_ypa(args);
  }
  // `cache_ms`: the server's API_CACHE_MS (0: every request queries ClickHouse).
  static std::vector<std::string> env(int cache_ms = 0) {
    return {"PGHOST=127.0.0.1", std::string("PGPORT=") + kPgPort, "PGUSER=ypa", "PGDATABASE=ypa",
            "CLICKHOUSE_HOST=127.0.0.1", std::string("CLICKHOUSE_PORT=") + kChPort, "CLICKHOUSE_DB=apifaults",
            "API_CACHE_MS=" + std::to_string(cache_ms), "API_CH_QUERY_TIMEOUT_MS=1000", "DATABASE_URL="};
  }

  void stop_server() {
    if (server_ <= 0) return;
    ::kill(server_, SIGTERM);
    int status = 0;
    ::waitpid(server_, &status, 0);
    server_ = -1;
    EXPECT_TRUE(WIFEXITED(status)) << "the server did not stop cleanly on SIGTERM";
  }

  void start_server(int cache_ms = 0) {
    std::vector<std::string> args{ypa_binary(), "serve", "--no-auth", "--listen",
                                  "127.0.0.1:" + std::to_string(kApiPort)};
    // The private stack's variables replace inherited ones (the suite may run under another stack's env).
    std::vector<std::string> envs = environment_with(env(cache_ms));
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    ASSERT_EQ(::posix_spawn(&server_, argv[0], nullptr, nullptr, argv.data(), envp.data()), 0);
    for (int i = 0; i < 100; ++i) {
      if (get("/healthz").status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "ypa serve did not start";
  }

  struct Reply {
    int status = 0;
    std::string body;
    double seconds = 0;
  };
  static Reply get(const std::string& path) {
    httplib::Client client("127.0.0.1", kApiPort);
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    auto start = Clock::now();
    auto res = client.Get(path.c_str());
    Reply r;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (res) {
      r.status = res->status;
      r.body = res->body;
    }
    return r;
  }

  static pid_t clickhouse_pid() {
    std::ifstream in(dir_ / "clickhouse/server.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  // The first answer to `path` that is 200, asking again for at most 15 s (ClickHouse coming back).
  static Reply first_ok(const std::string& path) {
    Reply r;
    auto deadline = Clock::now() + std::chrono::seconds(15);
    do {
      r = get(path);
    } while (r.status != 200 && Clock::now() < deadline);
    return r;
  }

  static void stop_clickhouse() {
    pid_t pid = clickhouse_pid();
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_NE(::kill(pid, 0), 0) << "ClickHouse did not stop";
  }

  // The stopped server's listening sockets can linger for a moment: retry until the stack is up.
  static CommandResult restart_clickhouse() {
    CommandResult up;
    for (int attempt = 0; attempt < 10; ++attempt) {
      up = stack({"up", "--pg-port", kPgPort, "--ch-port", kChPort});
      if (up.exit_code == 0) break;
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    return up;
  }

  static fs::path dir_;
  pid_t server_ = -1;
};
fs::path ApiFaultsTest::dir_;

const char* kChart = "/api/overall-bars/points/?iphone=1";

// Sends SIGCONT to a process stopped with SIGSTOP when the scope ends, whatever happens in it.
struct Thaw {
  pid_t pid;
  ~Thaw() { ::kill(pid, SIGCONT); }
};

// The value of one sample line of /metrics, e.g. `ypa_response_cache_total{result="miss"}`; -1 if absent.
long metric(const std::string& text, const std::string& sample) {
  auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stol(text.substr(at + sample.size() + 2));
}

TEST_F(ApiFaultsTest, ClickHouseStoppedGives503ThenRecovers) {
  auto before = get(kChart);
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_GT(nlohmann::json::parse(before.body).at("count").get<int>(), 0);
  EXPECT_EQ(get("/readyz").status, 200);

  stop_clickhouse();
  // Pooled connections are now dead and new ones are refused: every request says so quickly.
  for (const char* path : {kChart, "/api/features/?limit=3", "/api/cohort-bars/", "/api/runs/"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 503) << path << " " << r.body;
    EXPECT_LT(r.seconds, 2.0) << path;
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_TRUE(body.contains("detail")) << r.body;
  }
  // Many clients at once: none waits behind another.
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 16; ++i) replies.push_back(std::async(std::launch::async, [] { return get(kChart); }));
  for (auto& f : replies) {
    auto r = f.get();
    EXPECT_EQ(r.status, 503);
    EXPECT_LT(r.seconds, 2.0);
  }
  EXPECT_EQ(get("/readyz").status, 503);
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_NE(get("/metrics").body.find("ypa_clickhouse_errors_total{kind=\"unavailable\"}"), std::string::npos);

  auto up = restart_clickhouse();
  ASSERT_EQ(up.exit_code, 0) << up.err;
  Reply after = first_ok(kChart);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.body, before.body);
  EXPECT_EQ(get("/readyz").status, 200);
}

TEST_F(ApiFaultsTest, ClickHouseStoppedMidLoadNeverCrashes) {
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, ok{0}, unavailable{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      while (!stop) {
        auto r = get(kChart);
        if (r.status == 200) {
          ++ok;
        } else if (r.status == 503) {
          ++unavailable;
        } else {
          ++bad;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop_clickhouse();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto up = restart_clickhouse();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_EQ(get(kChart).status, 200);
  int status = 0;
  EXPECT_EQ(::waitpid(server_, &status, WNOHANG), 0) << "the server exited";
}

// With the response cache on, an expired answer goes out at once while one refresh runs in the
// background. ClickHouse is frozen (SIGSTOP), so the refresh hangs until the 1 s query timeout and
// fails; meanwhile, and until the answer is 10 s past its lifetime, the chart answers at once with the
// last good body; then 503 (after the timeout); and 200 again once ClickHouse runs.
TEST_F(ApiFaultsTest, ExpiredCachedAnswerIsServedAtOnceWhileItIsRefreshedInTheBackground) {
  stop_server();
  start_server(/*cache_ms=*/300);
  auto first = get(kChart);
  ASSERT_EQ(first.status, 200) << first.body;
  pid_t clickhouse = clickhouse_pid();
  ASSERT_GT(clickhouse, 0);
  ASSERT_EQ(::kill(clickhouse, SIGSTOP), 0);
  Thaw thaw{clickhouse};
  auto frozen_at = Clock::now();

  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // past the answer's 300 ms lifetime
  for (int i = 0; i < 5; ++i) {
    auto r = get(kChart);
    EXPECT_EQ(r.status, 200) << "request " << i << ": " << r.body;
    EXPECT_EQ(r.body, first.body) << "request " << i;
    EXPECT_LT(r.seconds, 0.5) << "request " << i << " waited for the refresh";
  }
  Reply r;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    r = get(kChart);
    if (r.status == 200) {
      EXPECT_EQ(r.body, first.body);
      EXPECT_LT(r.seconds, 0.5);
    }
  } while (r.status == 200 && Clock::now() < frozen_at + std::chrono::seconds(20));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_GT(Clock::now() - frozen_at, std::chrono::seconds(9)) << "the stale answer went too early";

  ::kill(clickhouse, SIGCONT);
  Reply after = first_ok(kChart);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.body, first.body);
}

// Clients that open a chart nobody has asked for yet cost one ClickHouse query between them: the first
// request queries, the others wait for its answer. ClickHouse is frozen while they arrive, so that the
// first query is still running when the last request comes in; the pool's busy connections (/metrics)
// count the queries under way. The freeze stays well under the 1 s query timeout.
TEST_F(ApiFaultsTest, ColdChartOpenedByManyClientsAtOnceCostsOneQuery) {
  constexpr int kClients = 8;
  stop_server();
  start_server(/*cache_ms=*/60000);
  ASSERT_EQ(get("/api/overall-bars/points/?iphone=2").status, 200);  // the pool's connection is open
  pid_t clickhouse = clickhouse_pid();
  ASSERT_GT(clickhouse, 0);
  ASSERT_EQ(::kill(clickhouse, SIGSTOP), 0);
  Thaw thaw{clickhouse};

  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < kClients; ++i) replies.push_back(std::async(std::launch::async, [] { return get(kChart); }));
  const std::string misses = "ypa_response_cache_total{result=\"miss\"}";
  const std::string busy = "ypa_clickhouse_pool_connections{state=\"busy\"}";
  auto deadline = Clock::now() + std::chrono::milliseconds(500);
  while (metric(get("/metrics").body, misses) < 1 + kClients && Clock::now() < deadline) {
  }
  long most_busy = 0;
  for (auto until = Clock::now() + std::chrono::milliseconds(200); Clock::now() < until;) {
    auto text = get("/metrics").body;
    EXPECT_EQ(metric(text, misses), 1 + kClients) << "every request missed the cache";
    most_busy = std::max(most_busy, metric(text, busy));
  }
  EXPECT_EQ(most_busy, 1) << "ClickHouse queries under way for " << kClients << " requests of one cold chart";

  ::kill(clickhouse, SIGCONT);
  // The same chart under another cache key (run_id=live is the default), computed afresh.
  auto expected = first_ok(std::string(kChart) + "&run_id=live");
  ASSERT_EQ(expected.status, 200) << expected.body;
  for (auto& f : replies) {
    Reply r = f.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, expected.body);
  }
}

TEST(ApiServeFlagsTest, NoAuthOnlyOnLoopback) {
  auto r = run_ypa({"serve", "--no-auth", "--listen", "0.0.0.0:18662"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("loopback"), std::string::npos) << r.err;
  auto secret = run_ypa({"serve", "--listen", "127.0.0.1:18662"}, {"API_JWT_SECRET="});
  EXPECT_EQ(secret.exit_code, 2);
  EXPECT_NE(secret.err.find("API_JWT_SECRET"), std::string::npos) << secret.err;
  auto listen = run_ypa({"serve", "--listen", "nonsense"});
  EXPECT_EQ(listen.exit_code, 2);
  EXPECT_NE(listen.err.find("--listen"), std::string::npos) << listen.err;
}

}  // namespace
}  // namespace ypa::testing
