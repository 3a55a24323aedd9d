// `ypa serve` while its servers fail: ClickHouse stopped or frozen gives 503 {"detail": ...}, never a
// hang or a crash, liveness unaffected, and recovery without a restart; ClickHouse refusing a query
// (a table or column missing) gives 500 and a log line; PostgreSQL frozen leaves the aligned prices
// answering from the names already loaded. Runs on its own stack (own folder and ports) because it
// stops and freezes that stack's servers.
//
// No assertion here depends on how fast a loaded machine is: a request that hangs shows as no answer
// within the client's read timeout (status 0), and waits are for conditions, with generous deadlines.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "clickhouse/client.hpp"
#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"
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
    if (HasFailure()) std::cerr << "--- ypa serve's log:\n" << server_log() << "---\n";
    restart_clickhouse();
  }

  static CommandResult stack(std::vector<std::string> args) {
    args.insert(args.begin(), "stack");
    args.push_back("--dir");
    args.push_back(dir_.string());
    return run_ypa(args);
  }
  // `cache_ms`: the server's API_CACHE_MS (0: every request queries ClickHouse); `query_timeout_ms`: its
  // API_CH_QUERY_TIMEOUT_MS, how long a query waits for a frozen ClickHouse.
  static std::vector<std::string> env(int cache_ms = 0, int query_timeout_ms = 1000) {
    return {"PGHOST=127.0.0.1",
            std::string("PGPORT=") + kPgPort,
            "PGUSER=ypa",
            "PGDATABASE=ypa",
            "CLICKHOUSE_HOST=127.0.0.1",
            std::string("CLICKHOUSE_PORT=") + kChPort,
            "CLICKHOUSE_DB=apifaults",
            "API_CACHE_MS=" + std::to_string(cache_ms),
            "API_CH_QUERY_TIMEOUT_MS=" + std::to_string(query_timeout_ms),
            "DATABASE_URL="};
  }

  void stop_server() {
    if (server_ <= 0) return;
    ::kill(server_, SIGTERM);
    int status = 0;
    ::waitpid(server_, &status, 0);
    server_ = -1;
    EXPECT_TRUE(WIFEXITED(status)) << "the server did not stop cleanly on SIGTERM";
  }

  // `extra_env` is added to env(cache_ms, query_timeout_ms). The server's log goes to server_log().
  void start_server(int cache_ms = 0, int query_timeout_ms = 1000, std::vector<std::string> extra_env = {}) {
    std::vector<std::string> args{ypa_binary(), "serve", "--no-auth", "--listen",
                                  "127.0.0.1:" + std::to_string(kApiPort)};
    // The private stack's variables replace inherited ones (the suite may run under another stack's env).
    std::vector<std::string> envs = env(cache_ms, query_timeout_ms);
    envs.insert(envs.end(), extra_env.begin(), extra_env.end());
    fs::remove(log_path());
    server_ = spawn_background(args, envs, log_path().string());
    ASSERT_GT(server_, 0);
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      int status = 0;
      // Another server on the fixed port (another checkout's test run) would answer in its place.
      if (::waitpid(server_, &status, WNOHANG) == server_) {
        server_ = -1;
        FAIL() << "ypa serve exited: port " << kApiPort << " in use?";
      }
      if (get("/healthz").status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "ypa serve did not start";
  }

  static fs::path log_path() { return dir_ / "serve.log"; }
  static std::string server_log() {
    std::ifstream in(log_path());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  struct Reply {
    int status = 0;
    std::string body;
    double seconds = 0;
  };
  // A request still unanswered after `read_timeout_s` counts as a hang: status 0.
  static Reply get(const std::string& path, int read_timeout_s = 10) {
    httplib::Client client("127.0.0.1", kApiPort);
    client.set_connection_timeout(5);
    client.set_read_timeout(read_timeout_s);
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

  // The stack's PostgreSQL postmaster, which leads the process group of all PostgreSQL's processes.
  static pid_t postgres_pid() {
    std::ifstream in(dir_ / "postgres/data/postmaster.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
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

// Sends SIGCONT to a process (or, negative, a process group) stopped with SIGSTOP when the scope ends,
// whatever happens in it.
struct Thaw {
  pid_t pid;
  ~Thaw() { ::kill(pid, SIGCONT); }
};

// Statements for the stack's ClickHouse, as an operator would type them in clickhouse-client.
void clickhouse_execute(const std::string& sql) {
  clickhouse::ClientOptions o;
  o.host = "127.0.0.1";
  o.port = static_cast<std::uint16_t>(std::stoi(kChPort));
  o.database = "apifaults";
  clickhouse::Client(o).execute(sql);
}

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
  // Pooled connections are now dead and new ones are refused: every request says so, without hanging
  // (a hang would show as status 0 after get()'s read timeout).
  for (const char* path : {kChart, "/api/features/?limit=3", "/api/cohort-bars/", "/api/runs/"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 503) << path << " " << r.body;
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_TRUE(body.contains("detail")) << r.body;
  }
  // Many clients at once: every one gets its answer.
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 16; ++i) replies.push_back(std::async(std::launch::async, [] { return get(kChart); }));
  for (auto& f : replies) EXPECT_EQ(f.get().status, 503);
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
  // Each phase lasts until the clients have seen it: answers, then 503s, then answers again.
  auto wait_for = [](const std::atomic<int>& counter, int above) {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (counter.load() <= above && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return counter.load() > above;
  };
  bool answered = wait_for(ok, 0);
  stop_clickhouse();
  bool refused = wait_for(unavailable, 0);
  auto up = restart_clickhouse();
  bool recovered = up.exit_code == 0 && wait_for(ok, ok.load());
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(answered) << "no 200 before ClickHouse stopped";
  EXPECT_TRUE(refused) << "no 503 while ClickHouse was stopped";
  EXPECT_TRUE(recovered) << "no 200 after ClickHouse came back";
  EXPECT_EQ(get(kChart).status, 200);
  int status = 0;
  EXPECT_EQ(::waitpid(server_, &status, WNOHANG), 0) << "the server exited";
}

// With the response cache on, an expired answer goes out at once while one refresh runs in the
// background. ClickHouse is frozen (SIGSTOP), so the refresh hangs until the 5 s query timeout and
// fails; meanwhile, and until the answer is 10 s past its lifetime, the chart answers at once with the
// last good body; then 503 (after the timeout); and 200 again once ClickHouse runs. A request that
// waited for the refresh would take the whole query timeout; one answered from the cache takes
// milliseconds, so the bound of half the query timeout leaves a loaded machine seconds to spare.
TEST_F(ApiFaultsTest, ExpiredCachedAnswerIsServedAtOnceWhileItIsRefreshedInTheBackground) {
  constexpr int kQueryTimeoutMs = 5000;
  constexpr double kWaitedForRefresh = kQueryTimeoutMs / 2000.0;
  stop_server();
  start_server(/*cache_ms=*/300, kQueryTimeoutMs);
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
    EXPECT_LT(r.seconds, kWaitedForRefresh) << "request " << i << " waited for the refresh";
  }
  Reply r;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    r = get(kChart);
    if (r.status == 200) {
      EXPECT_EQ(r.body, first.body);
      EXPECT_LT(r.seconds, kWaitedForRefresh);
    }
  } while (r.status == 200 && Clock::now() < frozen_at + std::chrono::seconds(60));
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
// count the queries under way. The query timeout (60 s) outlasts the freeze however slowly the
// requests arrive: the test waits until every one has missed the cache, then watches the pool.
TEST_F(ApiFaultsTest, ColdChartOpenedByManyClientsAtOnceCostsOneQuery) {
  constexpr int kClients = 8;
  stop_server();
  start_server(/*cache_ms=*/60000, /*query_timeout_ms=*/60000);
  ASSERT_EQ(get("/api/overall-bars/points/?iphone=2").status, 200);  // the pool's connection is open
  pid_t clickhouse = clickhouse_pid();
  ASSERT_GT(clickhouse, 0);
  ASSERT_EQ(::kill(clickhouse, SIGSTOP), 0);
  Thaw thaw{clickhouse};

  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < kClients; ++i) {
    replies.push_back(std::async(std::launch::async, [] { return get(kChart, /*read_timeout_s=*/120); }));
  }
  const std::string misses = "ypa_response_cache_total{result=\"miss\"}";
  const std::string busy = "ypa_clickhouse_pool_connections{state=\"busy\"}";
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (metric(get("/metrics").body, misses) < 1 + kClients && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Every request has missed; had each gone to ClickHouse, their connections would now be busy.
  long most_busy = 0;
  for (int i = 0; i < 20; ++i) {
    auto text = get("/metrics").body;
    EXPECT_EQ(metric(text, misses), 1 + kClients) << "every request missed the cache";
    most_busy = std::max(most_busy, metric(text, busy));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
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

// ClickHouse up but refusing the query (its table renamed away, then a table of that name without the
// columns asked for) is not an outage: asking again cannot help, so 500, not 503 "try again later"; the
// log names the exception and its code (UNKNOWN_TABLE = 60, UNKNOWN_IDENTIFIER = 47), and /metrics
// counts it apart from outages. ClickHouse unreachable stays 503 (ClickHouseStoppedGives503ThenRecovers).
TEST_F(ApiFaultsTest, QueryRefusedByClickHouseGives500AndIsLogged) {
  auto before = get(kChart);
  ASSERT_EQ(before.status, 200) << before.body;
  clickhouse_execute("RENAME TABLE apifaults.features_wide TO apifaults.features_wide_hidden");
  struct Restore {
    ~Restore() {
      try {
        clickhouse_execute("DROP TABLE IF EXISTS apifaults.features_wide");
        clickhouse_execute("RENAME TABLE apifaults.features_wide_hidden TO apifaults.features_wide");
      } catch (const std::exception& e) {
        ADD_FAILURE() << "could not restore apifaults.features_wide: " << e.what();
      }
    }
  } restore;

  auto no_table = get(kChart);
  EXPECT_EQ(no_table.status, 500) << no_table.body;
  auto body = nlohmann::json::parse(no_table.body, nullptr, false);
  EXPECT_TRUE(body.is_object() && body.contains("error")) << no_table.body;

  clickhouse_execute(
      "CREATE TABLE apifaults.features_wide (run_id String, bucket DateTime, scope String) "
      "ENGINE = ReplacingMergeTree() ORDER BY (run_id, bucket, scope)");
  auto no_column = get(kChart);
  EXPECT_EQ(no_column.status, 500) << no_column.body;

  const std::string log = server_log();
  EXPECT_NE(log.find("/api/overall-bars/points/: ClickHouse refused the query: DB::Exception code 60"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("/api/overall-bars/points/: ClickHouse refused the query: DB::Exception code 47"),
            std::string::npos)
      << log;
  auto metrics = get("/metrics").body;
  EXPECT_EQ(metric(metrics, "ypa_clickhouse_errors_total{kind=\"query\"}"), 2) << metrics;
  EXPECT_EQ(metric(metrics, "ypa_clickhouse_errors_total{kind=\"transient\"}"), 0) << metrics;
  EXPECT_EQ(get("/readyz").status, 200) << "ClickHouse itself is up";
}

// The aligned prices carry shop and iPhone names from PostgreSQL. With PostgreSQL frozen (SIGSTOP on
// all its processes) and the names past their lifetime (API_NAMES_TTL_S=1), the endpoints keep
// answering from the copy already loaded while a reload fails in the background, instead of waiting
// for PostgreSQL (no answer within get()'s read timeout) or throwing the copy away (503).
TEST_F(ApiFaultsTest, PostgresFrozenPricesAnswerFromTheNamesAlreadyLoaded) {
  const std::string prices = "/api/purchasing-time-analyses/?limit=5";
  const std::string compact = "/api/purchasing-time-analyses/compact/?limit=5";
  stop_server();
  start_server(0, 1000, {"API_NAMES_TTL_S=1"});
  auto before = get(prices);
  ASSERT_EQ(before.status, 200) << before.body;
  auto before_compact = get(compact);
  ASSERT_EQ(before_compact.status, 200) << before_compact.body;
  auto first = nlohmann::json::parse(before.body).at("results").at(0);
  ASSERT_TRUE(first.at("shop").at("name").is_string()) << before.body;  // names loaded

  pid_t postgres = postgres_pid();
  ASSERT_GT(postgres, 0);
  ASSERT_EQ(::kill(-postgres, SIGSTOP), 0);
  Thaw thaw{-postgres};
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // past the names' 1 s lifetime

  // Until the reload has failed (connect timeout) and after: the same answers, every time.
  auto deadline = Clock::now() + std::chrono::seconds(60);
  int asked = 0;
  for (bool failed = false; !failed && Clock::now() < deadline; ++asked) {
    failed = server_log().find("shop and iPhone names: load failed (still serving the previous copy)") !=
             std::string::npos;
    auto r = get(prices);
    ASSERT_EQ(r.status, 200) << "request " << asked << ": " << r.body;
    EXPECT_EQ(r.body, before.body) << "request " << asked;
    auto c = get(compact);
    ASSERT_EQ(c.status, 200) << "request " << asked << ": " << c.body;
    EXPECT_EQ(c.body, before_compact.body) << "request " << asked;
  }
  EXPECT_LT(Clock::now(), deadline) << "no failed reload logged";

  ASSERT_EQ(::kill(-postgres, SIGCONT), 0);
  auto after = get(prices);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.body, before.body);
}

// Names never loaded and PostgreSQL frozen: the first load is waited for, but only for its bound (5 s):
// 503 instead of a request that never ends. Once PostgreSQL runs again the names load.
TEST_F(ApiFaultsTest, PostgresFrozenBeforeTheFirstLoadGives503) {
  const std::string prices = "/api/purchasing-time-analyses/?limit=5";
  pid_t postgres = postgres_pid();
  ASSERT_GT(postgres, 0);
  ASSERT_EQ(::kill(-postgres, SIGSTOP), 0);
  Thaw thaw{-postgres};

  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 3; ++i) {
    replies.push_back(std::async(std::launch::async, [&] { return get(prices, /*read_timeout_s=*/60); }));
  }
  for (auto& f : replies) {
    auto r = f.get();
    EXPECT_EQ(r.status, 503) << r.body;
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("detail")) << r.body;
  }
  EXPECT_EQ(get("/api/overall-bars/?limit=1").status, 200) << "endpoints without names are unaffected";

  ASSERT_EQ(::kill(-postgres, SIGCONT), 0);
  Reply after = first_ok(prices);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_TRUE(nlohmann::json::parse(after.body).at("results").at(0).at("shop").at("name").is_string())
      << after.body;
}

// A load that PostgreSQL, running, never answers (another session holds the shop table locked) is cut
// off from our side after 5 s: the first request gets 503, and the load ends then (logged) instead of
// waiting for the lock, which would keep every later load from starting. Once the lock goes, the names
// load.
TEST_F(ApiFaultsTest, NamesLoadThatNeverEndsIsCutOff) {
  const std::string prices = "/api/purchasing-time-analyses/?limit=5";
  postgres::Connection locker(std::string("host=127.0.0.1 user=ypa dbname=ypa port=") + kPgPort);
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE " + postgres::quote_identifier(postgres::SourceTables::from_env().shop) +
              " IN ACCESS EXCLUSIVE MODE");

  auto r = get(prices, /*read_timeout_s=*/60);
  EXPECT_EQ(r.status, 503) << r.body;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  const std::string failed = "shop and iPhone names: load failed (none loaded yet)";
  while (server_log().find(failed) == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(server_log().find(failed), std::string::npos) << "the load still waits for the lock";

  locker.exec("ROLLBACK");
  Reply after = first_ok(prices);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_TRUE(nlohmann::json::parse(after.body).at("results").at(0).at("shop").at("name").is_string())
      << after.body;
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
