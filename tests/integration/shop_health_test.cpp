// shop_health (docs/shop-health.md) end to end against the real servers: every row checked by the
// independent pandas oracle (tests/oracle/shop_health_oracle.py) on the edge-case set with injected
// scraper failures, in both alignment modes and for a range that starts and ends inside an hour; batch
// invariance; incremental cycles equal a backfill; and the run commands (list, drop, promote with backup,
// compare) treating the table as part of the run.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <algorithm>
#include <array>
#include <map>
#include <vector>
#include <cstdio>

#include "clickhouse/client.hpp"
#include "core/time.hpp"
#include "store/health_findings.hpp"
#include "support/databases.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {

CommandResult health_oracle(const Databases& db, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3", source_dir() + "/tests/oracle/shop_health_oracle.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, db.env());
}

std::string query(const Databases& db, const std::string& sql) {
  auto r = clickhouse_client(sql + " FORMAT TSV");
  EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  (void)db;
  return r.out;
}

// All shop_health rows of a run without run_id and inserted_at, in key order.
std::string dump(const Databases& db, const std::string& run, const std::string& where = "") {
  return query(db, "SELECT shop_id, bucket, buckets, records_read, invalid_prices, cells, above_band, below_band, "
                   "iphones, last_recorded_at, price_ratio_median FROM " +
                       db.name() + ".shop_health FINAL WHERE run_id = '" + run + "'" + where +
                       " ORDER BY shop_id, bucket");
}

class ShopHealthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new Databases("health");
    auto load = db_->oracle({"load-edge-cases"});
    ASSERT_EQ(load.exit_code, 0) << load.err;
    auto inject = health_oracle(*db_, {"inject-failures"});
    ASSERT_EQ(inject.exit_code, 0) << inject.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static CommandResult run(const std::string& run_id, const std::string& from, const std::string& to,
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run_pipeline", "--run-id", run_id, "--from", from, "--to", to};
    args.insert(args.end(), extra.begin(), extra.end());
    return db_->ypa(args);
  }
  static void expect_oracle_passes(const std::vector<std::string>& args) {
    auto r = health_oracle(*db_, args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("rows written"), std::string::npos) << r.out;
  }
  static Databases* db_;
};
Databases* ShopHealthTest::db_ = nullptr;

TEST_F(ShopHealthTest, OracleAgreesInLookbackAndFloorModes) {
  for (const char* mode : {"lookback", "floor"}) {
    std::string id = std::string("edge_") + mode;
    auto r = run(id, "2025-01-31", "2025-02-01", {"--align", mode});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_oracle_passes({"check", "--run-id", id, "--from", "2025-01-31", "--to", "2025-02-01", "--align", mode});
  }
  // 5 shops x 48 hours, dense: silent hours are rows with no records.
  EXPECT_EQ(query(*db_, "SELECT count() FROM " + db_->name() + ".shop_health FINAL WHERE run_id = 'edge_lookback'"),
            "240\n");
  // The injected failures show where they were put (Tokyo hours).
  std::string where = " AND run_id = 'edge_lookback'";
  std::string table = db_->name() + ".shop_health FINAL";
  EXPECT_EQ(query(*db_, "SELECT toHour(bucket) FROM " + table + " WHERE records_read = 0" + where + " ORDER BY bucket"),
            "19\n20\n");
  EXPECT_EQ(query(*db_, "SELECT toDate(bucket), toHour(bucket), above_band > 0 FROM " + table + " WHERE shop_id = 5 AND "
                        "toDate(bucket) = '2025-01-31' AND toHour(bucket) BETWEEN 10 AND 13" + where + " ORDER BY bucket"),
            "2025-01-31\t10\t1\n2025-01-31\t11\t1\n2025-01-31\t12\t1\n2025-01-31\t13\t1\n");
  EXPECT_EQ(query(*db_, "SELECT countIf(below_band > 0) FROM " + table +
                        " WHERE shop_id = 4 AND toDate(bucket) = '2025-02-01' AND toHour(bucket) BETWEEN 3 AND 5" + where),
            "3\n");
  EXPECT_EQ(query(*db_, "SELECT sum(above_band + below_band) FROM " + table + " WHERE NOT (shop_id = 5 AND "
                        "toDate(bucket) = '2025-01-31' AND toHour(bucket) BETWEEN 10 AND 14) AND NOT (shop_id = 4 "
                        "AND toDate(bucket) = '2025-02-01' AND toHour(bucket) BETWEEN 3 AND 6)" + where),
            "0\n");
  // Shop 2 reports iPhones 1, 3, 4 and 5, and drops iPhone 3 from 2025-02-01 00:00 (hour 00:00 still
  // holds its records of 23:45-24:00 the day before).
  EXPECT_EQ(query(*db_, "SELECT toDate(bucket) AS d, min(iphones), max(iphones) FROM " + table +
                        " WHERE shop_id = 2 AND NOT (toDate(bucket) = '2025-02-01' AND toHour(bucket) = 0)" + where +
                        " GROUP BY d ORDER BY d"),
            "2025-01-31\t4\t4\n2025-02-01\t3\t3\n");
}

TEST_F(ShopHealthTest, RangeInsideHoursWritesTheHoursItHoldsTheStartOf) {
  ASSERT_EQ(run("mid", "2025-01-31T10:30", "2025-02-01T05:15").exit_code, 0);
  expect_oracle_passes({"check", "--run-id", "mid", "--from", "2025-01-31T10:30", "--to", "2025-02-01T05:15"});
  // 10:00 is not written (the run lacks 10:00 and 10:15); 05:00 holds the two buckets up to 05:15.
  EXPECT_EQ(query(*db_, "SELECT min(bucket), max(bucket), argMax(buckets, bucket) FROM " + db_->name() +
                            ".shop_health FINAL WHERE run_id = 'mid'"),
            "2025-01-31 11:00:00\t2025-02-01 05:00:00\t2\n");
}

TEST_F(ShopHealthTest, BatchDaysDoNotChangeTheTable) {
  for (const char* days : {"1", "30"}) {
    ASSERT_EQ(run(std::string("batch_") + days, "2025-01-30", "2025-02-01", {"--batch-days", days}).exit_code, 0);
  }
  std::string one = dump(*db_, "batch_1");
  EXPECT_GT(one.size(), 10000u);
  EXPECT_EQ(one, dump(*db_, "batch_30"));
}

TEST_F(ShopHealthTest, IncrementalCyclesEqualABackfill) {
  ASSERT_EQ(run("backfill", "2025-01-31", "2025-01-31T09:00").exit_code, 0);
  // Every 15 minutes from 01:45 (its two hours begin at 00:00) to 09:00, as `ypa schedule` would.
  for (int minutes = 105; minutes <= 540; minutes += 15) {
    char to[32];
    std::snprintf(to, sizeof to, "2025-01-31T%02d:%02d", minutes / 60, minutes % 60);
    auto r = db_->ypa({"run_pipeline", "--run-id", "inc", "--mode", "incremental", "--to", to, "--since", "2h"});
    ASSERT_EQ(r.exit_code, 0) << to << r.err;
  }
  std::string backfill = dump(*db_, "backfill");
  EXPECT_EQ(std::count(backfill.begin(), backfill.end(), '\n'), 5 * 10);
  EXPECT_EQ(dump(*db_, "inc"), backfill);
}

TEST_F(ShopHealthTest, RunCommandsTreatTheTableAsPartOfTheRun) {
  ASSERT_EQ(run("cmd_a", "2025-01-31", "2025-02-01").exit_code, 0);
  ASSERT_EQ(run("cmd_b", "2025-01-31", "2025-02-01").exit_code, 0);
  std::string table = db_->name() + ".shop_health";
  auto rows = [&](const std::string& run_id) {
    return query(*db_, "SELECT count() FROM " + table + " FINAL WHERE run_id = '" + run_id + "'");
  };

  // list_runs: rows per table.
  auto list = db_->ypa({"list_runs", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  int listed = 0;
  for (const auto& r : nlohmann::json::parse(list.out)) {
    if (r["run_id"] != "cmd_a") continue;
    ++listed;
    EXPECT_EQ(r["tables"]["shop_health"]["rows"], 240) << list.out;
  }
  EXPECT_EQ(listed, 1) << list.out;

  // compare_runs: equal, then one count changed in cmd_b (a later version of one row).
  auto same = db_->ypa({"compare_runs", "--base", "cmd_a", "--target", "cmd_b", "--json"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  clickhouse_client("INSERT INTO " + table + " SELECT run_id, bucket, shop_id, buckets, records_read + 1, "
                    "invalid_prices, cells, above_band, below_band, iphones, last_recorded_at, price_ratio_median, "
                    "inserted_at + 10 FROM " + table + " FINAL WHERE run_id = 'cmd_b' AND shop_id = 2 AND "
                    "bucket = toDateTime('2025-02-01 07:00:00', 'Asia/Tokyo')");
  auto differ = db_->ypa({"compare_runs", "--base", "cmd_a", "--target", "cmd_b", "--json"});
  EXPECT_EQ(differ.exit_code, 1) << differ.out << differ.err;
  bool seen = false;
  auto compared = nlohmann::json::parse(differ.out);
  for (const auto& t : compared["tables"]) {
    if (t["table"] != "shop_health") continue;
    seen = true;
    EXPECT_EQ(t["rows_base"], 240);
    EXPECT_EQ(t["rows_differ"], 1) << t.dump();
  }
  EXPECT_TRUE(seen) << differ.out;

  // promote_run with a backup: live gets cmd_a's table, the backup keeps live's old one (cmd_b's).
  ASSERT_EQ(db_->ypa({"promote_run", "--from", "cmd_b", "--to", "live", "--confirm"}).exit_code, 0);
  EXPECT_EQ(dump(*db_, "live"), dump(*db_, "cmd_b"));
  auto promote = db_->ypa({"promote_run", "--from", "cmd_a", "--to", "live", "--confirm", "--keep-backup"});
  ASSERT_EQ(promote.exit_code, 0) << promote.out << promote.err;
  EXPECT_NE(promote.out.find("shop_health 202501: cmd_a -> live"), std::string::npos) << promote.out;
  EXPECT_EQ(dump(*db_, "live"), dump(*db_, "cmd_a"));
  std::string backup = query(*db_, "SELECT DISTINCT run_id FROM " + table + " WHERE run_id LIKE 'backup_%'");
  ASSERT_FALSE(backup.empty());
  backup.pop_back();
  EXPECT_EQ(dump(*db_, backup), dump(*db_, "cmd_b"));
  EXPECT_NE(dump(*db_, backup), dump(*db_, "cmd_a"));

  // drop_run: --tables shop_health drops only that table; a plain drop takes it with the others.
  auto only = db_->ypa({"drop_run", "--run-id", "cmd_b", "--tables", "shop_health", "--confirm"});
  ASSERT_EQ(only.exit_code, 0) << only.out << only.err;
  EXPECT_EQ(rows("cmd_b"), "0\n");
  EXPECT_NE(query(*db_, "SELECT count() FROM " + db_->name() + ".price_aligned WHERE run_id = 'cmd_b'"), "0\n");
  ASSERT_EQ(db_->ypa({"drop_run", "--run-id", "cmd_a", "--confirm"}).exit_code, 0);
  EXPECT_EQ(rows("cmd_a"), "0\n");
  EXPECT_EQ(rows("live"), "240\n");
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// /api/shop-health/: every item of a run, page by page, against the rows clickhouse-client reads; the
// filters by shop and time; DRF's 400 for bad parameters; the OpenAPI entry.
TEST_F(ShopHealthTest, ApiListsTheRowsWithFiltersPaginationAndValidation) {
  ASSERT_EQ(run("api", "2025-01-31", "2025-02-01").exit_code, 0);
  const int port = free_port();
  ASSERT_GT(port, 0);
  auto env = db_->env();
  env.push_back("API_CACHE_MS=0");
  int server = spawn_ypa({"serve", "--no-auth", "--listen", "127.0.0.1:" + std::to_string(port)}, env);
  ASSERT_GT(server, 0);
  struct Stop {
    int pid;
    ~Stop() {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  } stop{server};
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool up = false;
  while (!up && std::chrono::steady_clock::now() < deadline) {
    auto res = client.Get("/healthz");
    up = res && res->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << "ypa serve did not start";
  auto get = [&](const std::string& target) {
    auto res = client.Get(target);
    EXPECT_TRUE(res) << target;
    return res ? std::make_pair(res->status, res->body) : std::make_pair(0, std::string());
  };

  // Every row, two pages of 150, in the default order (bucket, shop).
  // Times as epoch seconds from clickhouse-client, written here as the API should write them.
  std::string raw = query(*db_,
      "SELECT toUInt32(bucket), shop_id, buckets, records_read, invalid_prices, cells, above_band, below_band, "
      "iphones, ifNull(toString(toUInt32(last_recorded_at)), 'null'), ifNull(toString(price_ratio_median), 'null') "
      "FROM " + db_->name() + ".shop_health FINAL WHERE run_id = 'api' ORDER BY bucket, shop_id");
  TimeZone tokyo("Asia/Tokyo");
  std::string expected;
  {
    std::istringstream in(raw);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f;
      std::istringstream cells(line);
      for (std::string cell; std::getline(cells, cell, '\t');) f.push_back(cell);
      ASSERT_EQ(f.size(), 11u) << line;
      f[0] = format_iso(std::stoll(f[0]), tokyo);
      if (f[9] != "null") f[9] = format_iso(std::stoll(f[9]), tokyo);
      std::string joined;
      for (const auto& x : f) joined += (joined.empty() ? "" : "\t") + x;
      expected += joined + "\n";
    }
  }
  std::string got;
  for (int offset : {0, 150}) {
    auto [status, body] = get("/api/shop-health/?run_id=api&limit=150&offset=" + std::to_string(offset));
    ASSERT_EQ(status, 200) << body;
    auto page = nlohmann::json::parse(body);
    EXPECT_EQ(page["count"], 240);
    EXPECT_EQ(page["previous"].is_null(), offset == 0) << body.substr(0, 300);
    EXPECT_EQ(page["next"].is_null(), offset == 150) << body.substr(0, 300);
    for (const auto& r : page["results"]) {
      auto text = [](const nlohmann::json& v) {
        if (v.is_null()) return std::string("null");
        if (v.is_string()) return v.get<std::string>();
        std::ostringstream out;
        if (v.is_number_float()) {
          out.precision(17);
          out << v.get<double>();
        } else {
          out << v;
        }
        return out.str();
      };
      got += text(r["bucket"]) + "\t" + text(r["shop"]) + "\t" + text(r["buckets"]) + "\t" + text(r["records_read"]) +
             "\t" + text(r["invalid_prices"]) + "\t" + text(r["cells"]) + "\t" + text(r["above_band"]) + "\t" +
             text(r["below_band"]) + "\t" + text(r["iphones"]) + "\t" + text(r["last_recorded_at"]) + "\t";
      // Ratios are compared as numbers below: the two texts may round the same double differently.
      got += r["price_ratio_median"].is_null() ? "null\n" : "R\n";
      EXPECT_EQ(r["version"], "api");
      if (r["cells"].get<int>() > 0) {
        EXPECT_DOUBLE_EQ(r["filtered_share"].get<double>(),
                         (r["above_band"].get<double>() + r["below_band"].get<double>()) / r["cells"].get<double>());
      } else {
        EXPECT_TRUE(r["filtered_share"].is_null());
      }
    }
  }
  // The expected text with each ratio replaced by R (its value is checked below, row by row).
  std::string expected_masked;
  std::vector<double> expected_ratios;
  std::istringstream lines(expected);
  for (std::string line; std::getline(lines, line);) {
    auto tab = line.rfind('\t');
    std::string ratio = line.substr(tab + 1);
    expected_masked += line.substr(0, tab + 1) + (ratio == "null" ? "null" : "R") + "\n";
    if (ratio != "null") expected_ratios.push_back(std::stod(ratio));
  }
  EXPECT_EQ(got, expected_masked);
  {
    auto [status, body] = get("/api/shop-health/?run_id=api&limit=240&ordering=bucket,shop");
    ASSERT_EQ(status, 200);
    std::size_t i = 0;
    auto all = nlohmann::json::parse(body);
    for (const auto& r : all["results"]) {
      if (r["price_ratio_median"].is_null()) continue;
      ASSERT_LT(i, expected_ratios.size());
      EXPECT_NEAR(r["price_ratio_median"].get<double>(), expected_ratios[i], 1e-15 * expected_ratios[i]);
      ++i;
    }
    EXPECT_EQ(i, expected_ratios.size());
  }

  // Filters: shop 3's silent hours, by shop and time range (ISO 8601 with the offset).
  auto [status, body] = get("/api/shop-health/?run_id=api&shop=3&bucket__gte=2025-01-31T19:00:00%2B09:00"
                            "&bucket__lte=2025-01-31T20:00:00%2B09:00");
  ASSERT_EQ(status, 200) << body;
  auto silent = nlohmann::json::parse(body);
  ASSERT_EQ(silent["count"], 2) << body;
  for (const auto& r : silent["results"]) {
    EXPECT_EQ(r["shop"], 3);
    EXPECT_EQ(r["records_read"], 0);
    EXPECT_TRUE(r["last_recorded_at"].is_null());
  }
  EXPECT_EQ(nlohmann::json::parse(get("/api/shop-health/?run_id=api&shop__in=1,2&limit=1").second)["count"], 96);
  auto worst = nlohmann::json::parse(get("/api/shop-health/?run_id=api&ordering=-price_ratio_median&limit=1").second);
  EXPECT_EQ(worst["results"][0]["shop"], 5) << worst.dump();  // its x2 prices

  // Bad parameters: DRF's 400 naming the parameter; nothing else answers for them.
  for (const char* bad : {"shop=x", "shop__in=1,x", "bucket__gte=yesterday", "bucket__lte=2025-02-30", "run_id=no-such"}) {
    auto [code, text] = get(std::string("/api/shop-health/?") + bad);
    EXPECT_EQ(code, 400) << bad << " " << text;
  }
  EXPECT_EQ(nlohmann::json::parse(get("/api/shop-health/?shop=x").second).begin().key(), "shop");

  // /metrics: per-shop gauges of live, read in the background; the first scrapes may come before the
  // first read has finished, so poll (bounded) until they are there.
  db_->ypa({"drop_run", "--run-id", "live", "--confirm", "--force-live"});  // another test may have promoted one
  ASSERT_EQ(db_->ypa({"run_pipeline", "--run-id", "live", "--allow-live", "--from", "2025-01-31", "--to",
                      "2025-01-31T12:00"})
                .exit_code,
            0);
  std::string expected_gauges = query(*db_,
      "SELECT shop_id, toUInt32(max(last_recorded_at)), argMax(above_band + below_band, bucket) / argMax(cells, bucket) "
      "FROM " + db_->name() + ".shop_health FINAL WHERE run_id = 'live' GROUP BY shop_id ORDER BY shop_id");
  std::string metrics;
  auto metrics_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < metrics_deadline) {
    metrics = get("/metrics").second;
    if (metrics.find("ypa_shop_filtered_share{shop=\"5\"}") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::istringstream gauge_lines(expected_gauges);
  int shops_seen = 0;
  for (std::string line; std::getline(gauge_lines, line);) {
    std::istringstream f(line);
    std::string shop;
    long long last = 0;
    double share = 0;
    f >> shop >> last >> share;
    ++shops_seen;
    auto value = [&](const std::string& name) {
      std::string key = name + "{shop=\"" + shop + "\"} ";
      auto at = metrics.find(key);
      return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + key.size()));
    };
    double since = value("ypa_shop_seconds_since_last_record");
    double now = static_cast<double>(std::time(nullptr));
    EXPECT_LE(since, now - static_cast<double>(last)) << shop << "\n" << metrics;
    EXPECT_GE(since, now - static_cast<double>(last) - 60) << shop << "\n" << metrics;
    EXPECT_NEAR(value("ypa_shop_filtered_share"), share, 1e-12) << shop << "\n" << metrics;
  }
  EXPECT_EQ(shops_seen, 5);
  // Shop 5's x2 prices: half of its cells in the 12:00 bucket are outside the band.
  EXPECT_NE(metrics.find("ypa_shop_filtered_share{shop=\"5\"} 0.5\n"), std::string::npos) << metrics;

  auto schema = nlohmann::json::parse(get("/api/schema/").second);
  ASSERT_TRUE(schema["paths"].contains("/api/shop-health/"));
  std::string params = schema["paths"]["/api/shop-health/"].dump();
  for (const char* name : {"\"shop\"", "\"shop__in\"", "\"bucket__gte\"", "\"bucket__lte\"", "\"run_id\"",
                           "\"ordering\"", "\"limit\"", "\"offset\"", "\"price_ratio_median\""}) {
    EXPECT_NE(params.find(name), std::string::npos) << name;
  }
}

// The findings `ypa schedule` logs, replayed cycle by cycle over the injected edge set: each cycle is an
// incremental run to the cycle's bucket, then the findings on the run's table at that bucket with the
// default thresholds. Expected by hand from the injections (docs/shop-health.md, "Findings"): shop 3
// silent from 18:10 (found from the cycle more than 4 buckets after its last bucket, and not as a coverage
// drop), shop 5's x2 prices 10:00-14:00 (filtered share and ratio drift), nothing else; each appears
// once and clears once.
TEST_F(ShopHealthTest, ScheduleFindingsAppearAndClearOnceOnTheInjectedFailures) {
  using store::FindingKind;
  TimeZone tokyo("Asia/Tokyo");
  BucketGrid grid(tokyo, 15);
  store::HealthThresholds limits;  // the defaults: 4 buckets, 20 %, 0.3, 0.3
  store::FindingTracker tracker;
  ClickHouseSettings settings = clickhouse_settings();
  settings.database = db_->name();
  clickhouse::Client client(clickhouse::ClientOptions::from_settings(settings));
  std::vector<std::string> log;
  auto name = [](FindingKind k) { return std::string(store::finding_kind_name(k)); };
  for (int minutes = 8 * 60; minutes <= 23 * 60; minutes += 15) {
    char to[32];
    std::snprintf(to, sizeof to, "2025-01-31T%02d:%02d", minutes / 60, minutes % 60);
    auto r = db_->ypa({"run_pipeline", "--run-id", "sched", "--mode", "incremental", "--to", to, "--since", "2h"});
    ASSERT_EQ(r.exit_code, 0) << to << r.err;
    EpochSeconds last = tokyo.from_local({2025, 1, 31, minutes / 60, minutes % 60, 0});
    auto states = store::load_shop_states(client, db_->name(), "sched", last, grid);
    EXPECT_EQ(states.size(), 5u) << to;
    auto change = tracker.update(store::evaluate_findings(states, limits, last, grid));
    for (const auto& f : change.appeared) log.push_back(std::string(to + 11) + " + shop " + std::to_string(f.shop_id) + " " + name(f.kind));
    for (const auto& f : change.cleared) log.push_back(std::string(to + 11) + " - shop " + std::to_string(f.shop_id) + " " + name(f.kind));
  }
  std::string joined;
  for (const auto& l : log) joined += l + "\n";
  // Shop 3's last record before the silence is at 17:58:06 (bucket 17:45): more than 4 buckets at 19:00;
  // the first record after it (21:30-21:45) belongs to bucket 21:45. Shop 5's x2 prices (10:00-14:00,
  // iPhone 1 of its two iPhones 1 and 5) put half of its cells outside the band; the filtered share
  // counts the merged hours, so it clears with the merged hours 13:00-14:45, the first without enough of
  // them. Its median ratio is the latest hour's once that holds two buckets: at 11:15 the hour's four
  // cells are two x2 and two normal, and the median (the mean of the middle two) is about 1.4; at 10:45
  // five of the eight cells of hour 10 were normal (bucket 10:00 holds records up to 10:00). At 14:15
  // only bucket 14:00 of hour 14 has an x2 cell, one of four. Each finding appears once and clears once;
  // shops 1, 2 and 4 have none.
  EXPECT_EQ(joined,
            "10:45 + shop 5 filtered\n"
            "11:15 + shop 5 ratio\n"
            "14:15 - shop 5 ratio\n"
            "14:45 - shop 5 filtered\n"
            "19:00 + shop 3 silent\n"
            "21:45 - shop 3 silent\n");
}

// The coverage rule replayed cycle by cycle on the edge set, against an expectation computed here from
// price_aligned's rows per (shop, bucket) read with clickhouse-client (not from shop_health): at the
// cycle's bucket T, the larger of the shop's last two scrapes (buckets with cells) among T - 30 min,
// T - 15 min and T (nothing with fewer than two) against the median over the 24 whole hours before T's
// hour of (the hour's cells / 4): the coverage value of every shop at every cycle (/metrics' gauge), and a
// finding when below 70 % and at least 3 cells short. Shop 3, silent from 18:10 to 21:30, is not measured
// from 18:30 (one scrape among the last three buckets) until two scrapes after its return, and is never a
// coverage finding (its silence is the silent rule's). The shops of this set carry at most five iPhones,
// so no bucket is 3 cells short: the findings are empty, and the values are the check.
TEST_F(ShopHealthTest, CoverageFindingsFollowPriceAlignedBucketCounts) {
  TimeZone tokyo("Asia/Tokyo");
  BucketGrid grid(tokyo, 15);
  ASSERT_EQ(run("cov", "2025-01-30", "2025-01-31T23:00").exit_code, 0);
  std::map<std::pair<std::uint32_t, EpochSeconds>, double> cells;
  {
    std::istringstream in(query(*db_, "SELECT shop_id, toUInt32(bucket), count() FROM " + db_->name() +
                                          ".price_aligned FINAL WHERE run_id = 'cov' GROUP BY shop_id, bucket"));
    for (std::string line; std::getline(in, line);) {
      std::istringstream f(line);
      std::uint32_t shop = 0;
      EpochSeconds bucket = 0;
      double n = 0;
      f >> shop >> bucket >> n;
      cells[{shop, bucket}] = n;
    }
  }
  ASSERT_GT(cells.size(), 500u);
  auto at = [&](std::uint32_t shop, EpochSeconds bucket) {
    auto it = cells.find({shop, bucket});
    return it == cells.end() ? 0.0 : it->second;
  };
  ClickHouseSettings settings = clickhouse_settings();
  settings.database = db_->name();
  clickhouse::Client client(clickhouse::ClientOptions::from_settings(settings));
  store::HealthThresholds limits;
  int unmeasured_shop3 = 0, measured = 0;
  for (int minutes = 8 * 60; minutes <= 23 * 60; minutes += 15) {
    EpochSeconds t = tokyo.from_local({2025, 1, 31, minutes / 60, minutes % 60, 0});
    EpochSeconds hour = t - t % 3600;  // Tokyo is a whole number of hours from UTC
    std::string want;
    std::map<std::uint32_t, double> want_value;
    for (std::uint32_t shop = 1; shop <= 5; ++shop) {
      std::vector<double> per_hour;
      for (int k = 1; k <= 24; ++k) {
        EpochSeconds h = hour - 3600 * k;
        per_hour.push_back((at(shop, h) + at(shop, h + 900) + at(shop, h + 1800) + at(shop, h + 2700)) / 4);
      }
      std::sort(per_hour.begin(), per_hour.end());
      double baseline = (per_hour[11] + per_hour[12]) / 2;
      // The larger of the last two scrapes (buckets with cells) among the last three; none with fewer.
      std::vector<double> scrapes;
      for (EpochSeconds b : {t - 1800, t - 900, t}) {
        if (at(shop, b) > 0) scrapes.push_back(at(shop, b));
      }
      if (scrapes.size() < 2 || baseline <= 0) {
        unmeasured_shop3 += shop == 3 ? 1 : 0;
        continue;
      }
      const double recent = std::max(scrapes[scrapes.size() - 2], scrapes.back());
      want_value[shop] = recent / baseline;
      ++measured;
      if (recent / baseline < 0.7 && baseline - recent >= 3) want += std::to_string(shop) + " ";
    }
    const auto states = store::load_shop_states(client, db_->name(), "cov", t, grid);
    std::map<std::uint32_t, double> got_value;
    for (const auto& s : states) {
      if (std::isfinite(store::coverage_of(s))) got_value[s.shop_id] = store::coverage_of(s);
    }
    ASSERT_EQ(got_value.size(), want_value.size()) << format_iso(t, tokyo);
    for (const auto& [shop, v] : want_value) EXPECT_NEAR(got_value[shop], v, 1e-12) << shop << " " << format_iso(t, tokyo);
    std::string got;
    for (const auto& f : store::evaluate_findings(states, limits, t, grid)) {
      if (f.kind == store::FindingKind::kCoverage) got += std::to_string(f.shop_id) + " ";
    }
    EXPECT_EQ(got, want) << format_iso(t, tokyo);
  }
  EXPECT_GT(measured, 200);
  EXPECT_GE(unmeasured_shop3, 12);  // 18:30 .. 21:30 at least
}

TEST(ShopHealthFindingsTest, ThresholdsAreStrictAndSilenceCountsBuckets) {
  TimeZone tokyo("Asia/Tokyo");
  BucketGrid grid(tokyo, 15);
  store::HealthThresholds limits;
  const EpochSeconds last = tokyo.from_local({2025, 1, 31, 12, 0, 0});
  auto shop = [&](std::uint32_t id, EpochSeconds last_record, std::uint64_t filtered, std::uint64_t cells, double ratio) {
    store::ShopState s;
    s.shop_id = id;
    s.last_record = last_record;
    s.filtered = filtered;
    s.cells = cells;
    s.ratio = ratio;
    s.hour = last;
    return s;
  };
  // At or within the limits nothing is found: 4 buckets since (the record's bucket 11:00), 20 %.
  auto none = store::evaluate_findings({shop(1, last - 3600 + 59, 2, 10, 1.25), shop(2, last, 0, 0, NAN)}, limits,
                                          last, grid);
  EXPECT_TRUE(none.empty()) << none.front().text;
  auto all = store::evaluate_findings({shop(1, last - 3600 - 1, 3, 10, 0.69)}, limits, last, grid);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].text, "shop 1 silent for 5 buckets (latest record 2025-01-31T10:59:59+09:00, limit 4)");
  EXPECT_EQ(all[1].kind, store::FindingKind::kFiltered);
  EXPECT_EQ(all[2].kind, store::FindingKind::kRatioDrift);
  store::ShopState never;
  never.shop_id = 7;
  ASSERT_EQ(store::evaluate_findings({never}, limits, last, grid).size(), 1u);

  store::FindingTracker tracker;
  EXPECT_EQ(tracker.update(all).appeared.size(), 3u);
  auto again = tracker.update(all);
  EXPECT_TRUE(again.appeared.empty() && again.cleared.empty());
  auto gone = tracker.update({all[0]});
  EXPECT_TRUE(gone.appeared.empty());
  ASSERT_EQ(gone.cleared.size(), 2u);
}

// The coverage rule (docs/shop-health.md, "Findings"): the better of the last two buckets' cells against
// the median cells per bucket of the 24 hours before, strictly below 1 - HEALTH_COVERAGE_DROP.
TEST(ShopHealthFindingsTest, CoverageDropComparesTheBetterOfTheLastTwoBucketsWithTheBaseline) {
  TimeZone tokyo("Asia/Tokyo");
  BucketGrid grid(tokyo, 15);
  store::HealthThresholds limits;  // coverage_drop 0.3: below 70 % of the baseline
  EXPECT_DOUBLE_EQ(limits.coverage_drop, 0.3);
  const EpochSeconds last = tokyo.from_local({2025, 4, 2, 12, 30, 0});
  auto shop = [&](std::uint32_t id, std::uint64_t recent, double baseline) {
    store::ShopState s;
    s.shop_id = id;
    s.last_record = last - 60;
    s.hour = s.ratio_hour = last - 1800;
    s.bucket_cells = {recent, recent, recent};
    s.baseline = baseline;
    return s;
  };
  // 5 of 8 is 62.5 %; 6 of 8 is 75 %; 7 of 10 is exactly 70 % (not below); no baseline, or a baseline of
  // 0, is never a drop; 1 of 7.25 is; a shop with no cell in the three buckets is not measured (it is
  // the silent rule's).
  auto found = store::evaluate_findings({shop(1, 5, 8), shop(2, 6, 8), shop(3, 7, 10), shop(4, 3, NAN), shop(5, 3, 0),
                                         shop(6, 1, 7.25), shop(9, 0, 7.25)},
                                        limits, last, grid);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].shop_id, 1u);
  EXPECT_EQ(found[0].kind, store::FindingKind::kCoverage);
  EXPECT_DOUBLE_EQ(found[0].value, 0.625);
  EXPECT_EQ(found[0].text,
            "shop 1 coverage dropped to 62 %: at most 5 cells in its last two scrapes up to 2025-04-02T12:30:00+09:00, "
            "8.00 per bucket in the 24 hours before (limit 70 %)");
  EXPECT_EQ(found[1].shop_id, 6u);
  EXPECT_DOUBLE_EQ(found[1].value, 1 / 7.25);
  EXPECT_EQ(store::finding_kind_name(found[1].kind), "coverage");
  // Below 70 % but fewer cells short than a scrape's listing noise: 3 of 5.5 (2.5 short) is no drop, 2 of
  // 5.5 (3.5 short) is.
  auto small = store::evaluate_findings({shop(7, 3, 5.5), shop(8, 2, 5.5)}, limits, last, grid);
  std::vector<std::uint32_t> small_ids;
  for (const auto& f : small) small_ids.push_back(f.shop_id);
  EXPECT_EQ(small_ids, (std::vector<std::uint32_t>{8}));
  // The threshold is the setting: with 0.5, 5 of 8 is no drop and 1 of 7.25 is.
  limits.coverage_drop = 0.5;
  auto half = store::evaluate_findings({shop(1, 5, 8), shop(6, 1, 7.25)}, limits, last, grid);
  ASSERT_EQ(half.size(), 1u);
  EXPECT_EQ(half[0].shop_id, 6u);
}

// A missed scrape is no evidence: the rule compares the larger of the shop's last two scrapes (buckets
// with cells) among the last three buckets, so a missed scrape next to one that listed few iPhones is no
// drop, and one missed scrape in the middle of a real drop does not clear it; two low scrapes are a drop;
// a single scrape among the three measures nothing: a shop going silent, two missed scrapes in a row
// (about once a day among 24 shops at 2.5 %) and a shop coming back from a silence.
TEST(ShopHealthFindingsTest, CoverageDropComparesTheLastTwoScrapesNotAMissedOne) {
  TimeZone tokyo("Asia/Tokyo");
  BucketGrid grid(tokyo, 15);
  store::HealthThresholds limits;
  const EpochSeconds last = tokyo.from_local({2025, 4, 2, 12, 30, 0});
  auto shop = [&](std::uint32_t id, std::array<std::uint64_t, 3> cells) {
    store::ShopState s;
    s.shop_id = id;
    s.last_record = last - 60;
    s.hour = s.ratio_hour = last - 1800;
    s.bucket_cells = cells;  // 12:00, 12:15, 12:30
    s.baseline = 8;
    return s;
  };
  std::vector<store::ShopState> shops{
      shop(1, {8, 0, 2}),  // a missed scrape, then one that listed 2 of 8: the last two scrapes are 8 and 2
      shop(2, {8, 2, 0}),  // one that listed 2, then a missed one
      shop(3, {8, 3, 4}),  // two low scrapes: 4 of 8
      shop(4, {8, 0, 0}),  // two empty buckets: going silent, or two missed scrapes
      shop(5, {3, 0, 2}),  // two low scrapes with a missed one between: 3 of 8
      shop(6, {0, 0, 2}),  // back from a silence: one scrape measures nothing
      shop(7, {0, 3, 0}),  // one scrape among three
      shop(8, {8, 6, 3}),  // the larger of the last two is 6: 75 %
  };
  auto found = store::evaluate_findings(shops, limits, last, grid);
  std::vector<std::pair<std::uint32_t, double>> got;
  for (const auto& f : found) {
    EXPECT_EQ(f.kind, store::FindingKind::kCoverage) << f.text;
    got.emplace_back(f.shop_id, f.value);
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::uint32_t, double>>{{3, 0.5}, {5, 0.375}}));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].text,
            "shop 3 coverage dropped to 50 %: at most 4 cells in its last two scrapes up to 2025-04-02T12:30:00+09:00, "
            "8.00 per bucket in the 24 hours before (limit 70 %)");
  // The value /metrics shows: the compared cells over the baseline, not measured with a single scrape.
  std::vector<double> value;
  for (const auto& s : shops) value.push_back(store::coverage_of(s));
  EXPECT_EQ(value[0], 1.0);
  EXPECT_EQ(value[1], 1.0);
  EXPECT_EQ(value[7], 0.75);
  EXPECT_TRUE(std::isnan(value[3]) && std::isnan(value[5]) && std::isnan(value[6]));
}

// One shop at ten times its prices raises the cross-shop mean of every iPhone it reports, and with it
// lowers every other shop's ratio: with 10 shops the others fall to 1 / (1 + 9 / 10) = 0.526, which is
// further than 0.3 from 1. Measured against the median shop as well, only the x10 shop drifts; a shop
// that shares no iPhone with it keeps a ratio of 1 and is not a finding either.
TEST(ShopHealthFindingsTest, RatioDriftIsMeasuredAgainstTheMedianShopToo) {
  TimeZone tokyo("Asia/Tokyo");
  BucketGrid grid(tokyo, 15);
  store::HealthThresholds limits;
  const EpochSeconds last = tokyo.from_local({2025, 4, 2, 12, 45, 0});
  const EpochSeconds hour = tokyo.from_local({2025, 4, 2, 12, 0, 0});
  auto shop = [&](std::uint32_t id, double ratio, EpochSeconds ratio_hour) {
    store::ShopState s;
    s.shop_id = id;
    s.last_record = last - 60;
    s.hour = hour;
    s.ratio_hour = ratio_hour;
    s.cells = 40;
    s.ratio = ratio;
    return s;
  };
  const double others = 1 / (1 + 9.0 / 10);
  std::vector<store::ShopState> shops;
  for (std::uint32_t id = 1; id <= 8; ++id) shops.push_back(shop(id, others * (1 + 0.01 * id), hour));
  shops.push_back(shop(9, 10 * others, hour));  // the x10 shop
  shops.push_back(shop(10, 1.0, hour));          // shares no iPhone with it
  auto found = store::evaluate_findings(shops, limits, last, grid);
  ASSERT_EQ(found.size(), 1u) << found[1].text;
  EXPECT_EQ(found[0].shop_id, 9u);
  EXPECT_EQ(found[0].kind, store::FindingKind::kRatioDrift);
  // Its ratio over the median shop's (the mean of the 5th and 6th of the 10 ratios: 1.05 and 1.06 times
  // `others`) is 10 / 1.055.
  EXPECT_NEAR(found[0].value, 10 / 1.055, 1e-12);
  EXPECT_EQ(store::median_of({3, 1, 2}), 2);
  EXPECT_EQ(store::median_of({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(store::median_of({})));

  // The median is per hour: a shop whose ratio comes from another hour (fewer than 3 shops there) is
  // measured against the median of all ratios. A shop at twice the price among shops near 1 drifts.
  std::vector<store::ShopState> mixed{shop(1, 0.98, hour), shop(2, 1.01, hour), shop(3, 1.0, hour),
                                      shop(4, 2.0, hour - 3600), shop(5, 1.02, hour - 3600)};
  auto drift = store::evaluate_findings(mixed, limits, last, grid);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].shop_id, 4u);
  EXPECT_NEAR(drift[0].value, 2.0 / 1.01, 1e-12);
}

// A malformed HEALTH_* setting stops `ypa schedule` and `ypa serve` before anything connects: one line
// naming it, exit 2.
TEST(ShopHealthFindingsTest, MalformedThresholdSettingsAreRefused) {
  struct Case {
    const char* setting;
    const char* says;
  };
  for (const auto& c : {Case{"HEALTH_COVERAGE_DROP=1.5", "HEALTH_COVERAGE_DROP=1.5: must be between 0 and 1"},
                        Case{"HEALTH_COVERAGE_DROP=half", "HEALTH_COVERAGE_DROP='half': not a number"},
                        Case{"HEALTH_RATIO_DRIFT=-1", "HEALTH_RATIO_DRIFT=-1: must be between 0 and 1000000"}}) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"schedule", "--run-id", "r", "--max-cycles", "1"},
                                                 std::vector<std::string>{"serve", "--no-auth", "--listen", "127.0.0.1:1"}}) {
      // (Under `timeout`: a binary that does not know the setting would go on retrying or serving.)
      std::vector<std::string> argv{"/usr/bin/timeout", "20", ypa_binary()};
      argv.insert(argv.end(), args.begin(), args.end());
      auto r = run_command(argv, {c.setting, "CLICKHOUSE_PORT=1", "PGPORT=1"});
      EXPECT_EQ(r.exit_code, 2) << args[0] << " " << c.setting << "\n" << r.err;
      EXPECT_EQ(r.err, std::string("ypa: error: ") + c.says + "\n") << args[0];
    }
  }
}

TEST(ShopHealthInitTest, InitAddsTheTableToAnExistingDatabase) {
  Databases db("health_init");
  clickhouse_client("DROP TABLE " + db.name() + ".shop_health");
  auto refused = db.ypa({"run_pipeline", "--run-id", "r", "--from", "2025-01-31", "--to", "2025-01-31"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("run `ypa init`"), std::string::npos) << refused.err;
  auto init = db.ypa({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("shop_health: created"), std::string::npos) << init.out;
  auto engine = clickhouse_client("SELECT engine_full FROM system.tables WHERE database = '" + db.name() +
                                  "' AND name = 'shop_health' FORMAT TSVRaw")
                    .out;
  EXPECT_EQ(engine.rfind("ReplacingMergeTree(inserted_at) PARTITION BY (run_id, toYYYYMM(bucket))", 0), 0u) << engine;
  auto again = db.ypa({"init"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find("shop_health: created"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace ypa::testing
