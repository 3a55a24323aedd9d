// promote_run on the loopback cluster two_shards, as runs_promote_test.cpp tests it on one server: a
// reader through the Distributed table sees each shard's share of a month wholly old or wholly new and
// never a month missing, SIGKILL at random moments then a rerun leaves live equal to the source, and a
// promote crashed while talking to one server is finished through the other (the journal is on the
// cluster).
#include <gtest/gtest.h>

#include <chrono>

#include "cluster_fixture.hpp"
#include "promote_scenario.hpp"

namespace ypa::testing {
namespace {

// Ports of this binary's private stack: ClickHouse 31700 and 31710 (interserver 31709, 31719; HTTP
// 30823, 30833), ZooKeeper 31881, PostgreSQL 31720. None is used by another test (the other cluster
// stacks are on 316xx, ZooKeeper 31781 and 31831; the suite's on 2544x/29x00).
auto* const kStack = static_cast<ClusterStack*>(
    ::testing::AddGlobalTestEnvironment(new ClusterStack(/*replicas=*/false, 31720, 31700)));

// The shard a price_aligned row lives on, as the Distributed table chooses it: intHash64(iphone_id)
// modulo the sum of the weights (1 each), slot 0 on the first shard.
constexpr const char* kShardOfRow = "intHash64(iphone_id) % 2";

class ClusterPromoteTest : public PromoteScenarioTest {
 protected:
  // Six iPhones: both shards hold some of every month of both runs.
  void fill_scenario() { PromoteScenarioTest::fill_scenario(6); }
};

TEST_F(ClusterPromoteTest, ConcurrentReaderSeesEachShardsMonthWhollyOldOrNewNeverMissing) {
  ASSERT_NO_FATAL_FAILURE(fill_scenario());
  // kShardOfRow is where the rows are: group 0 is server 1's local table, group 1 server 2's.
  for (int node : {1, 2}) {
    EXPECT_EQ(clickhouse("SELECT count() FROM " + db_ + ".price_aligned WHERE " + kShardOfRow + " = " +
                         std::to_string(node - 1)),
              clickhouse("SELECT count() FROM " + db_ + ".price_aligned_local", true, kStack->port(node)))
        << "server " << node;
    EXPECT_NE(clickhouse("SELECT count() FROM " + db_ + ".price_aligned_local WHERE run_id = 'bf'", true,
                         kStack->port(node)),
              "0\n");
  }
  auto seen = read_live_while_promoting(2, kShardOfRow);
  EXPECT_TRUE(seen.problems.empty()) << fmt::format("{}", fmt::join(seen.problems, "\n"));
  EXPECT_GT(seen.reads, 20);
  // Not a failure: how often the reader caught a month between the two shards' swaps.
  std::printf("%d reads, %d saw a month old on one shard and new on the other\n", seen.reads,
              seen.split_months);
  EXPECT_EQ(fingerprint("live"), old_);
}

TEST_F(ClusterPromoteTest, SigkillAtRandomMomentsThenRerunLeavesLiveEqualToTheSource) {
  ASSERT_NO_FATAL_FAILURE(fill_scenario());
  // Kills are spread over the length of one whole promote with a backup (the first round's target).
  auto start = std::chrono::steady_clock::now();
  auto whole = ypa({"promote_run", "--from", "old", "--to", "live", "--confirm", "--keep-backup"});
  ASSERT_EQ(whole.exit_code, 0) << whole.out << whole.err;
  auto length =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // At least 6 rounds, and more (with shorter delays) until 3 promotes were killed mid-way.
  int killed = kill_promotes_and_rerun(6, 20250131, length, {}, 3);
  std::printf("%d promotes killed, after up to %lld ms\n", killed, static_cast<long long>(length.count()));
  EXPECT_GE(killed, 3) << "promotes killed, the first after up to " << length.count() << " ms";
  EXPECT_EQ(
      clickhouse("SELECT count(DISTINCT run_id) FROM " + db_ + ".price_aligned WHERE run_id LIKE 'backup_%'"),
      "2\n");
  EXPECT_EQ(clickhouse("SELECT count() FROM " + db_ + ".price_aligned_promote_staging"), "0\n");
}

// The journal is run_promotions_local on every server with a Distributed run_promotions over it: a
// promote that stopped while ypa talked to server 1 is found and finished through server 2.
TEST_F(ClusterPromoteTest, PromoteCrashedThroughOneServerIsFinishedThroughTheOther) {
  const std::vector<CrashCase> cases{
      {"promote_after_replace:8", true,
       false},                                  // backup made (6 months), price_aligned of live half replaced
      {"promote_after_verify:1", false, true},  // verified, the source not dropped yet
  };
  const std::string second = "CLICKHOUSE_PORT=" + std::to_string(kStack->port(2));
  for (const auto& c : cases) {
    SCOPED_TRACE(c.failpoint);
    make_database();
    ASSERT_NO_FATAL_FAILURE(fill_scenario());
    for (int node : {1, 2}) {
      EXPECT_EQ(clickhouse("SELECT name, engine FROM system.tables WHERE database = '" + db_ +
                               "' AND name LIKE 'run_promotions%' ORDER BY name FORMAT TSV",
                           true, kStack->port(node)),
                "run_promotions\tDistributed\nrun_promotions_local\tReplicatedMergeTree\n")
          << "server " << node;
    }
    std::vector<std::string> args{"promote_run", "--from", "bf", "--to", "live", "--confirm"};
    if (c.keep_backup) args.push_back("--keep-backup");
    if (c.drop_source) args.push_back("--drop-source");
    auto crashed = ypa(args, {"YPA_FAILPOINT=" + c.failpoint});
    ASSERT_EQ(crashed.exit_code, 137) << crashed.out << crashed.err;

    auto listed = ypa({"list_runs"}, {second});
    EXPECT_NE(listed.out.find("note: the promote of bf into live stopped after step"), std::string::npos)
        << listed.out << listed.err;
    auto other = ypa({"promote_run", "--from", "old", "--to", "live", "--confirm"}, {second});
    EXPECT_EQ(other.exit_code, 2) << other.out;
    EXPECT_NE(other.err.find("an unfinished promote of bf into live"), std::string::npos) << other.err;

    auto rerun = ypa(args, {second});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    EXPECT_NE(rerun.out.find("this run finishes it"), std::string::npos) << rerun.out;
    EXPECT_EQ(fingerprint("live"), bf_);
    if (c.drop_source) {
      EXPECT_EQ(fingerprint("bf"), "");
    } else {
      auto cmp = ypa({"compare_runs", "--base", "bf", "--target", "live"}, {second});
      EXPECT_EQ(cmp.exit_code, 0) << cmp.out;
    }
    // Finished for both servers.
    for (int node : {1, 2}) {
      auto list = ypa({"list_runs"}, {"CLICKHOUSE_PORT=" + std::to_string(kStack->port(node))});
      EXPECT_EQ(list.out.find("note: the promote"), std::string::npos) << "server " << node << "\n"
                                                                       << list.out;
    }
  }
}

}  // namespace
}  // namespace ypa::testing
