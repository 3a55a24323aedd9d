// Live mode (SPEC §9, design document §16): incremental runs on `live` equal a fresh backfill, new source
// rows reach `live` in the next cycle, and `ypa schedule` rides out a ClickHouse outage and catches up.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "support/databases.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class LiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new Databases("live");
    auto gen = db_->ypa({"datagen", "--shops", "6", "--iphones", "10", "--from", "2025-05-01", "--to",
                         "2025-05-13", "--seed", "5"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    auto backfill =
        db_->ypa({"run_pipeline", "--run-id", "bf", "--from", "2025-05-11", "--to", "2025-05-13"});
    ASSERT_EQ(backfill.exit_code, 0) << backfill.err;
    auto promote = db_->ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
    ASSERT_EQ(promote.exit_code, 0) << promote.out << promote.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static CommandResult incremental(const std::string& since) {
    return db_->ypa({"run_pipeline", "--run-id", "live", "--mode", "incremental", "--to", "2025-05-13T23:45",
                     "--since", since});
  }
  static Databases* db_;
};
Databases* LiveTest::db_ = nullptr;

TEST_F(LiveTest, IncrementalRunsLeaveLiveEqualToAFreshBackfill) {
  for (const char* since : {"2h", "5h"}) {
    auto r = incremental(since);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("continuing the run's own feature state"), std::string::npos) << r.err;
  }
  // The incremental rows replaced the promoted ones: the newest version covers the last 5 hours only.
  auto versions = clickhouse_client("SELECT uniqExact(inserted_at) FROM " + db_->name() +
                                    ".features_wide FINAL WHERE run_id = 'live'");
  // The promoted rows, and the second incremental write, which replaced the first one's 2 hours.
  EXPECT_EQ(versions.out, "2\n");
  auto compare = db_->ypa({"compare_runs", "--base", "live", "--target", "bf", "--tolerance", "1e-9"});
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
}

TEST_F(LiveTest, NewSourceRowsReachLiveInTheNextCycle) {
  // A late scrape for shop/iPhone of the first ids at 23:40 Tokyo, after the backfill was computed.
  auto insert = db_->psql(
      "INSERT INTO \"AppleStockChecker_purchasingshoppricerecord\" (id, shop_id, iphone_id, price_new, "
      "recorded_at) "
      "SELECT max(id) + 1, (SELECT min(id) FROM \"AppleStockChecker_secondhandshop\"), "
      "(SELECT min(id) FROM \"AppleStockChecker_iphone\"), 987654, '2025-05-13 23:40:00+09' "
      "FROM \"AppleStockChecker_purchasingshoppricerecord\"");
  ASSERT_EQ(insert.exit_code, 0) << insert.err;
  auto price = [&] {
    return clickhouse_client(
               "SELECT price_new FROM " + db_->name() +
               ".price_aligned FINAL WHERE run_id = 'live' AND bucket = toDateTime('2025-05-13 23:45:00', "
               "'Asia/Tokyo') AND shop_id = 1 AND iphone_id = 1")
        .out;
  };
  EXPECT_NE(price(), "987654\n");
  auto r = incremental("2h");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(price(), "987654\n");
  // live now differs from the backfill made before the row arrived.
  EXPECT_EQ(db_->ypa({"compare_runs", "--base", "bf", "--target", "live"}).exit_code, 1);
}

TEST_F(LiveTest, ApiNeverShowsTwoItemsForOneBucketDuringIncrementalRuns) {
  constexpr int kPort = 28731;
  pid_t server =
      spawn_background({ypa_binary(), "serve", "--no-auth", "--listen", "127.0.0.1:" + std::to_string(kPort)},
                       db_->env(), "/dev/null");
  httplib::Client client("127.0.0.1", kPort);
  client.set_read_timeout(10, 0);
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    auto r = client.Get("/healthz");
    ready = r && r->status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready) << "ypa serve did not come up";

  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < 4; ++i) EXPECT_EQ(incremental("3h").exit_code, 0);
    writing = false;
  });
  int polls = 0;
  while (writing || polls < 3) {
    for (const char* path : {"/api/overall-bars/points/?run_id=live&bucket__gte=2025-05-13T20:00",
                             "/api/cohort-bars/points/?run_id=live&bucket__gte=2025-05-13T20:00"}) {
      auto r = client.Get(path);
      ASSERT_TRUE(r) << path;
      ASSERT_EQ(r->status, 200) << r->body;
      auto body = nlohmann::json::parse(r->body);
      const auto& buckets = body.at("bucket");
      const auto& scopes = body.contains("iphone") ? body.at("iphone") : body.at("cohort");
      std::set<std::string> seen;
      for (std::size_t k = 0; k < buckets.size(); ++k) {
        EXPECT_TRUE(seen.insert(scopes[k].dump() + "@" + buckets[k].get<std::string>()).second)
            << path << ": two items for " << scopes[k].dump() << " at " << buckets[k];
      }
      EXPECT_GT(seen.size(), 0u) << path;
    }
    ++polls;
  }
  writer.join();
  ::kill(server, SIGTERM);
  ::waitpid(server, nullptr, 0);
  EXPECT_GT(polls, 3);
}

TEST_F(LiveTest, BadInputIsRefused) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--from", "2025-05-13"},
       "--from is not used"},
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--since", "7m"}, "not a multiple"},
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--since", "soon"}, "--since='soon'"},
      {{"run_pipeline", "--run-id", "live", "--mode", "incremental", "--to", "2025-05-13"},
       "name one bucket"},
      {{"run_pipeline", "--run-id", "live", "--mode", "sometimes"}, "--mode 'sometimes'"},
      {{"schedule", "--every", "0s"}, "--every 0"},
      {{"schedule", "--delay", "3x"}, "--delay='3x'"},
      {{"schedule", "--run-id", "no-dashes"}, "--run-id"},
  };
  for (const auto& c : cases) {
    auto r = db_->ypa(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// --- ypa schedule against a private stack whose ClickHouse is stopped for a while --------------------

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Polls `log` until `needle` occurs at least `times` times; the schedule's log is the readiness signal.
bool wait_for(const fs::path& log, const std::string& needle, std::size_t times, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_of(read_file(log), needle) >= times) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

std::string tokyo_minute(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds + 9 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
  return buf;
}

std::string tokyo_day(std::int64_t unix_seconds) {
  return tokyo_minute(unix_seconds).substr(0, 10);
}

TEST(ScheduleTest, RidesOutAClickHouseOutageAndCatchesUp) {
  fs::path dir = fs::temp_directory_path() / ("ypa-live-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto stack = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "stack");
    args.push_back("--dir");
    args.push_back(dir.string());
    return run_ypa(args);
  };
  ASSERT_EQ(stack({"up", "--pg-port", "25462", "--ch-port", "29600"}).exit_code, 0);
  // One-minute buckets so that buckets close while the test runs; a 15-minute lookback keeps every
  // minute covered by the generator's quarter-hourly scrapes.
  std::vector<std::string> env{"PGHOST=127.0.0.1",
                               "PGPORT=25462",
                               "PGUSER=ypa",
                               "PGDATABASE=ypa",
                               "CLICKHOUSE_HOST=127.0.0.1",
                               "CLICKHOUSE_PORT=29600",
                               "CLICKHOUSE_DB=live_schedule",
                               "PIPELINE_INTERVAL_MIN=1",
                               "PIPELINE_LOOKBACK_MIN=15",
                               "FEATURE_WINDOWS_MIN=2,5,10"};
  ASSERT_EQ(run_ypa({"init", "--source-schema"}, env).exit_code, 0);
  ASSERT_EQ(run_ypa({"init"}, env).exit_code, 0);
  std::int64_t now = std::time(nullptr);
  auto gen = run_ypa({"datagen", "--shops", "3", "--iphones", "4", "--from", tokyo_day(now - 86400), "--to",
                      tokyo_day(now + 3600), "--seed", "9", "--replace"},
                     env);
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  fs::path log = dir / "schedule.log";
  std::vector<std::string> argv{ypa_binary(), "schedule", "--every", "15s", "--delay", "0s", "--since", "3m"};
  pid_t schedule = spawn_background(argv, env, log.string());
  EXPECT_TRUE(wait_for(log, "cycle: buckets", 1, 120s)) << read_file(log);
  // Stop ClickHouse under the running schedule for (at least) two failed cycles.
  pid_t clickhouse = std::stoi(read_file(dir / "clickhouse/server.pid"));
  ::kill(clickhouse, SIGTERM);
  EXPECT_TRUE(wait_for(log, "cycle failed", 2, 120s)) << read_file(log);
  // Let at least one more bucket close while ClickHouse is down.
  std::int64_t down_since = std::time(nullptr);
  while (std::time(nullptr) < down_since + 61) std::this_thread::sleep_for(500ms);
  ASSERT_EQ(stack({"up"}).exit_code, 0);
  std::size_t cycles_before = count_of(read_file(log), "cycle: buckets");
  EXPECT_TRUE(wait_for(log, "cycle: buckets", cycles_before + 1, 120s)) << read_file(log);

  ::kill(schedule, SIGTERM);
  int status = 0;
  ::waitpid(schedule, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(log);
  EXPECT_NE(read_file(log).find("schedule: stopped"), std::string::npos) << read_file(log);

  // No missing bucket: live equals a fresh backfill over the minutes the schedule covered.
  auto range =
      run_command({"clickhouse-client", "--port", "29600", "--query",
                   "SELECT toUInt32(min(bucket)), toUInt32(max(bucket)) FROM live_schedule.features_wide "
                   "WHERE run_id = 'live' FORMAT TSV"});
  auto tab = range.out.find('\t');
  ASSERT_NE(tab, std::string::npos) << range.out;
  std::int64_t first = std::stoll(range.out.substr(0, tab));
  std::int64_t last = std::stoll(range.out.substr(tab + 1));
  EXPECT_GE(last - first, 3 * 60) << "the schedule covered the outage";
  auto backfill = run_ypa(
      {"run_pipeline", "--run-id", "check", "--from", tokyo_minute(first), "--to", tokyo_minute(last)}, env);
  EXPECT_EQ(backfill.exit_code, 0) << backfill.err;
  auto compare = run_ypa({"compare_runs", "--base", "check", "--target", "live", "--tolerance", "1e-9"}, env);
  EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;

  stack({"down"});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ypa::testing
