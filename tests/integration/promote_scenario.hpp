// The promote_run scenario shared by the one-server tests (runs_promote_test.cpp) and the cluster tests
// (cluster_promote_test.cpp, cluster_replicas_test.cpp): two runs with overlapping months, a reader that
// watches live while promotes run, and promotes killed at random moments then rerun.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "clickhouse/client.hpp"
#include "runs_test_fixture.hpp"

namespace ypa::testing {

// A promote that exits at YPA_FAILPOINT=failpoint, with these flags.
struct CrashCase {
  std::string failpoint;
  bool keep_backup;
  bool drop_source;
};

// What a reader of live saw while promotes ran.
struct LiveReads {
  int reads = 0;
  // A (month, group) that was neither wholly old nor wholly new, or missing while both runs have it.
  std::vector<std::string> problems;
  // Reads in which one month had a group wholly old and another wholly new (on a cluster: the shards
  // swapped one after the other); not a problem, counted to show how often it is seen.
  int split_months = 0;
};

class PromoteScenarioTest : public RunsTest {
 protected:
  // live: Dec..Feb at price 1000; bf: Jan..Mar at 2000, with more buckets per month, and a stale
  // version of some rows that deduplication must drop. `iphones` per bucket (prices do not depend on it).
  void fill_scenario(int iphones = 3) {
    fill("old", "2024-12-30 00:00:00", 96 * 5, 2, iphones, 1000);  // 202412 and 202501
    fill("old", "2025-02-10 00:00:00", 96 * 2, 2, iphones, 1000);  // 202502
    fill("bf", "2025-01-28 00:00:00", 96 * 6, 2, iphones, 2000);   // 202501 and 202502
    fill("bf", "2025-03-03 00:00:00", 96, 2, iphones, 2000);       // 202503
    // A stale copy of January with other values; the later inserted_at of the real rows wins.
    copy_rows("price_aligned", "bf", "bf", "toYYYYMM(bucket) = 202501",
              {{"price_new", "price_new + 1"}, {"inserted_at", "now() - 3600"}});
    copy_rows("features_wide", "bf", "bf", "toYYYYMM(bucket) = 202501",
              {{"mean", "mean + 1"}, {"inserted_at", "now() - 3600"}});
    auto r = ypa({"promote_run", "--from", "old", "--to", "live", "--confirm"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    old_ = fingerprint("old");
    bf_ = fingerprint("bf");
    ASSERT_EQ(fingerprint("live"), old_);
    ASSERT_NE(bf_, old_);
  }

  std::string months(const std::string& run) {
    return clickhouse("SELECT DISTINCT toYYYYMM(bucket) AS m FROM " + db_ +
                      ".price_aligned WHERE run_id = '" + run + "' ORDER BY m FORMAT TSV");
  }

  // read_live_while `rounds` of promoting bf to live and old back to live, each promote succeeding.
  LiveReads read_live_while_promoting(int rounds, const std::string& group) {
    return read_live_while(
        [&] {
          for (int i = 0; i < rounds; ++i) {
            auto a = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
            EXPECT_EQ(a.exit_code, 0) << a.err;
            auto b = ypa({"promote_run", "--from", "old", "--to", "live", "--confirm"});
            EXPECT_EQ(b.exit_code, 0) << b.err;
          }
        },
        group);
  }

  // A second connection counts live's price_aligned rows per month and `group` (an expression of the
  // row, e.g. the shard it lives on) until `promotes` returns. Each (month, group) must be wholly the
  // old or wholly the new data (price_aligned only: features_wide follows the same path), and one that
  // both runs have must never be missing.
  LiveReads read_live_while(const std::function<void()>& promotes, const std::string& group) {
    using Key = std::pair<int, std::string>;
    auto counts = [&](const std::string& run) {
      std::map<Key, std::uint64_t> out;
      std::istringstream in(
          clickhouse("SELECT toYYYYMM(bucket) AS m, toString(" + group + ") AS g, count() FROM " + db_ +
                     ".price_aligned FINAL WHERE run_id = '" + run + "' GROUP BY m, g FORMAT TSV"));
      int m = 0;
      std::string g;
      for (std::uint64_t n = 0; in >> m >> g >> n;) out[{m, g}] = n;
      return out;
    };
    auto old_counts = counts("old"), new_counts = counts("bf");

    LiveReads result;
    std::atomic<bool> stop{false};
    std::thread reader([&] {
      auto options = clickhouse::ClientOptions::from_settings(clickhouse_settings());
      options.database = db_;
      clickhouse::Client client(options);
      while (!stop) {
        // Prices: old rows are 1000..1006, new rows 2000..2007.
        auto rows =
            client.select_rows("SELECT toYYYYMM(bucket) AS m, toString(" + group +
                               ") AS g, count(), countIf(price_new < 1500), countIf(price_new >= 1500) "
                               "FROM price_aligned WHERE run_id = 'live' GROUP BY m, g ORDER BY m, g");
        std::set<Key> seen;
        std::map<int, std::set<bool>> versions;  // per month: saw wholly new (true) / wholly old (false)
        for (const auto& row : rows) {
          Key key{std::stoi(*row[0]), *row[1]};
          std::uint64_t n = std::stoull(*row[2]), old_rows = std::stoull(*row[3]),
                        new_rows = std::stoull(*row[4]);
          seen.insert(key);
          bool all_old = new_rows == 0 && old_counts.count(key) && n == old_counts[key];
          bool all_new = old_rows == 0 && new_counts.count(key) && n == new_counts[key];
          if (all_old || all_new) versions[key.first].insert(all_new);
          if (!all_old && !all_new && result.problems.size() < 10) {
            result.problems.push_back(fmt::format("month {} group {}: {} rows, {} old, {} new", key.first,
                                                  key.second, n, old_rows, new_rows));
          }
        }
        for (const auto& [key, _] : old_counts) {
          if (new_counts.count(key) && !seen.count(key) && result.problems.size() < 10) {
            result.problems.push_back(fmt::format("month {} group {} missing", key.first, key.second));
          }
        }
        for (const auto& [_, v] : versions) result.split_months += v.size() > 1 ? 1 : 0;
        ++result.reads;
      }
    });
    promotes();
    stop = true;
    reader.join();
    return result;
  }

  // `rounds` promotes into live with --keep-backup, from bf and old in turn, each SIGKILLed after a
  // delay drawn from [0, max_delay) by a seeded generator and then rerun (through `rerun_env`, e.g.
  // another server); after each rerun live must equal the source. Returns how many promotes the signal
  // ended (the others had finished).
  //
  // With `kills_wanted`, rounds go on past `rounds` until that many promotes were killed (at most
  // kMaxExtraRounds more), and each promote that finished before its signal halves the delay range:
  // how long a promote takes depends on the machine's load, so a count of kills within a fixed time
  // would be a timing assertion; a short enough delay always catches the promote running.
  int kill_promotes_and_rerun(int rounds, std::uint32_t seed, std::chrono::milliseconds max_delay,
                              const std::vector<std::string>& rerun_env = {}, int kills_wanted = 0) {
    constexpr int kMaxExtraRounds = 24;
    std::mt19937 rng(seed);
    int killed = 0;
    for (int i = 0; i < rounds || (killed < kills_wanted && i < rounds + kMaxExtraRounds); ++i) {
      SCOPED_TRACE(fmt::format("round {}, delays up to {} ms", i, max_delay.count()));
      const std::string source = i % 2 ? "old" : "bf";
      std::vector<std::string> args{"promote_run", "--from",    source,         "--to",
                                    "live",        "--confirm", "--keep-backup"};
      pid_t pid = spawn_ypa(args, {"CLICKHOUSE_DB=" + db_, "PIPELINE_TZ=Asia/Tokyo"});
      std::uniform_int_distribution<std::int64_t> delay_ms(0, max_delay.count());
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        ++killed;
      } else if (kills_wanted > 0) {
        max_delay /= 2;
      }
      auto rerun = ypa(args, rerun_env);
      EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
      EXPECT_EQ(fingerprint("live"), i % 2 ? old_ : bf_);
      auto cmp = ypa({"compare_runs", "--base", source, "--target", "live"});
      EXPECT_EQ(cmp.exit_code, 0) << cmp.out;
      if (::testing::Test::HasFailure()) break;
    }
    return killed;
  }

  std::string old_, bf_;
};

}  // namespace ypa::testing
