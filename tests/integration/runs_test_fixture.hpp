// Shared set-up of the run management tests (runs_*_test.cpp, and cluster_*_test.cpp on a cluster): a
// fresh ClickHouse database per test made by `ypa init`, rows synthesized inside ClickHouse, and
// clickhouse-client as the independent oracle for what the tables hold. With CLICKHOUSE_CLUSTER set the
// tables are Distributed and the inserts synchronous.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {

class RunsTest : public ::testing::Test {
 protected:
  void SetUp() override { make_database(); }
  void TearDown() override {
    for (const auto& db : databases_) clickhouse("DROP DATABASE IF EXISTS " + db + on_cluster(), false);
  }

  // " ON CLUSTER <name>" when the tests run against a cluster, else "".
  static std::string on_cluster() {
    const char* cluster = std::getenv("CLICKHOUSE_CLUSTER");
    return cluster != nullptr && *cluster != '\0' ? std::string(" ON CLUSTER ") + cluster : "";
  }

  // Switches to a new, empty database (for tests that need several independent scenarios).
  void make_database() {
    db_ = unique_name("runs");
    databases_.push_back(db_);
    auto r = ypa({"init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult ypa(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    return run_ypa(args, ypa_env(extra_env));
  }

  // `ypa` as run on a host whose wall clock is `offset` off (faketime's syntax: "-3600s" is an hour
  // behind), through libfaketime (Debian package faketime). The monotonic clock stays true, so that
  // connection timeouts behave.
  CommandResult ypa_with_clock(const std::string& offset, const std::vector<std::string>& args,
                               const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv{"faketime", "-f", offset, ypa_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = ypa_env(extra_env);
    env.push_back("FAKETIME_DONT_FAKE_MONOTONIC=1");
    return run_command(argv, env);
  }

  std::vector<std::string> ypa_env(const std::vector<std::string>& extra_env) const {
    std::vector<std::string> env{"CLICKHOUSE_DB=" + db_, "PIPELINE_TZ=Asia/Tokyo"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return env;
  }

  // `port`: another server than CLICKHOUSE_PORT (0: that one).
  std::string clickhouse(const std::string& query, bool check = true, int port = 0) {
    auto s = clickhouse_settings();
    std::vector<std::string> argv{
        "clickhouse-client", "--host", s.host, "--port", std::to_string(port != 0 ? port : s.port),
        "--query",           query};
    // As ypa does on a cluster: an INSERT through a Distributed table returns when the shards have it.
    if (!on_cluster().empty()) argv.push_back("--insert_distributed_sync=1");
    auto r = run_command(argv);
    if (check) {
      EXPECT_EQ(r.exit_code, 0) << query << "\n" << r.err;
    }
    return r.out;
  }

  // `buckets` 15-minute buckets from `start` (Tokyo wall clock "YYYY-MM-DD HH:MM:SS") for shops x
  // iphones into price_aligned, and one features_wide row per (bucket, iphone), prices around `price`.
  void fill(const std::string& run, const std::string& start, int buckets, int shops, int iphones,
            int price) {
    std::string t0 = "toDateTime('" + start + "', 'Asia/Tokyo')";
    std::string per_bucket = std::to_string(shops * iphones);
    clickhouse("INSERT INTO " + db_ +
               ".price_aligned (run_id, bucket, shop_id, iphone_id, price_new, price_a, price_b, "
               "alignment_diff_sec, "
               "record_time) SELECT '" +
               run + "', " + t0 + " + 900 * intDiv(number, " + per_bucket + "), number % " +
               std::to_string(shops) + " + 1, intDiv(number % " + per_bucket + ", " + std::to_string(shops) +
               ") + 1, " + std::to_string(price) + " + number % 7, if(number % 5 = 0, NULL, " +
               std::to_string(price - 100) + "), NULL, -60, " + t0 + " + 900 * intDiv(number, " + per_bucket +
               ") - 60 FROM numbers(" + std::to_string(buckets * shops * iphones) + ")");
    std::string n = std::to_string(iphones);
    clickhouse(
        "INSERT INTO " + db_ +
        ".features_wide (run_id, bucket, scope, mean, median, std, shop_count, dispersion, ema_120, sma_120) "
        "SELECT '" +
        run + "', " + t0 + " + 900 * intDiv(number, " + n + "), concat('iphone:', toString(number % " + n +
        " + 1)), " + std::to_string(price) + " + (number % 11) / 4, " + std::to_string(price) +
        ", if(number % 3 = 0, NULL, 1.5 + number % 4), " + std::to_string(shops) + ", 0.01, " +
        std::to_string(price) + " + 0.5, " + std::to_string(price) + " + 0.25 FROM numbers(" +
        std::to_string(buckets * iphones) + ")");
  }

  // Per table and Tokyo month: deduplicated rows and a hash of their contents without run_id and
  // inserted_at, so two runs with equal data have equal fingerprints. `suffix` "_local" and `port` read
  // one server's share on a cluster.
  std::string fingerprint(const std::string& run, const std::string& suffix = "", int port = 0) {
    std::string out = clickhouse(
        "SELECT 'price_aligned', toYYYYMM(bucket) AS m, count(), sum(cityHash64(bucket, shop_id, iphone_id, "
        "price_new, ifNull(price_a, 0), isNull(price_a), ifNull(price_b, 0), alignment_diff_sec, "
        "record_time)) FROM " +
            db_ + ".price_aligned" + suffix + " FINAL WHERE run_id = '" + run +
            "' GROUP BY m ORDER BY m FORMAT TSV",
        true, port);
    out += clickhouse(
        "SELECT 'features_wide', toYYYYMM(bucket) AS m, count(), sum(cityHash64(bucket, scope, mean, median, "
        "ifNull(std, -1), isNull(std), shop_count, ifNull(ema_120, -1), ifNull(sma_120, -1), n_models)) "
        "FROM " +
            db_ + ".features_wide" + suffix + " FINAL WHERE run_id = '" + run +
            "' GROUP BY m ORDER BY m FORMAT TSV",
        true, port);
    return out;
  }

  // Active partitions of `run`, "table month" lines.
  std::string partitions_of(const std::string& run) {
    return clickhouse("SELECT DISTINCT table, partition FROM system.parts WHERE database = '" + db_ +
                      "' AND active AND partition LIKE '(\\'" + run +
                      "\\',%' ORDER BY table, partition FORMAT TabSeparatedRaw");
  }

  // The run ids that hold at least one row, sorted, one per line.
  std::string runs() {
    return clickhouse("SELECT DISTINCT run_id FROM (SELECT run_id FROM " + db_ +
                      ".price_aligned UNION ALL SELECT run_id FROM " + db_ +
                      ".features_wide) ORDER BY run_id FORMAT TSV");
  }

  std::string columns(const std::string& table) {
    std::string list = clickhouse("SELECT name FROM system.columns WHERE database = '" + db_ +
                                  "' AND table = '" + table + "' FORMAT TSV");
    std::string out;
    std::istringstream in(list);
    for (std::string line; std::getline(in, line);) out += (out.empty() ? "" : ", ") + line;
    return out;
  }

  // Copies run `from` of `table` into run `to` (rows matching `where`), with column expressions
  // replaced by `overrides`, e.g. {{"mean", "mean + 1"}, {"inserted_at", "now() + 10"}}.
  void copy_rows(const std::string& table, const std::string& from, const std::string& to,
                 const std::string& where, std::map<std::string, std::string> overrides = {}) {
    overrides.emplace("run_id", "'" + to + "'");
    std::string cols = columns(table), select;
    std::istringstream in(cols);
    for (std::string c; std::getline(in, c, ',');) {
      if (c.front() == ' ') c.erase(0, 1);
      auto it = overrides.find(c);
      select += (select.empty() ? "" : ", ") + (it == overrides.end() ? c : it->second);
    }
    clickhouse("INSERT INTO " + db_ + "." + table + " (" + cols + ") SELECT " + select + " FROM " + db_ +
               "." + table + " WHERE run_id = '" + from + "' AND (" + where + ")");
  }

  std::string db_;
  std::vector<std::string> databases_;
};

}  // namespace ypa::testing
