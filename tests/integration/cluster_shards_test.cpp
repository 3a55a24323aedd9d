// ypa on the loopback cluster two_shards (`ypa stack up --cluster`): the oracle passes with data written
// through the Distributed tables, rows land on both shards disjointly, two --shard workers plus a
// cohorts step equal one worker, and drop_run / promote_run behave as on one server.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>
#include <thread>

#include "cluster_fixture.hpp"
#include "support/databases.hpp"

namespace ypa::testing {
namespace {

// Ports of this binary's private stack, below the kernel's ephemeral range (32768-60999) so that no
// outgoing connection holds one when the stack starts (the suite's stack uses 25442/29400).
auto* const kStack = static_cast<ClusterStack*>(
    ::testing::AddGlobalTestEnvironment(new ClusterStack(/*replicas=*/false, 31620, 31600)));

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

class ClusterShardsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new Databases("cluster");
    auto gen = db_->ypa({"datagen", "--shops", "6", "--iphones", "12", "--from", "2025-03-20", "--to",
                         "2025-04-03", "--seed", "5"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    auto full = run("full", {});
    ASSERT_EQ(full.exit_code, 0) << full.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static CommandResult run(const std::string& run_id, std::vector<std::string> extra) {
    std::vector<std::string> args{"run_pipeline", "--run-id", run_id,      "--from",
                                  "2025-04-01",   "--to",     "2025-04-03"};
    args.insert(args.end(), extra.begin(), extra.end());
    return db_->ypa(args);
  }
  // One column of a run's rows in the local table of server `node`, one value a line.
  static std::string local_values(int node, const std::string& table, const std::string& column,
                                  const std::string& run_id) {
    auto r = kStack->query(node, "SELECT DISTINCT " + column + " FROM " + db_->name() + "." + table +
                                     "_local WHERE run_id = '" + run_id + "' ORDER BY " + column);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static std::int64_t local_rows(int node, const std::string& table, const std::string& run_id) {
    auto r = kStack->query(node, "SELECT count() FROM " + db_->name() + "." + table +
                                     "_local FINAL WHERE run_id = '" + run_id + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? std::stoll(r.out) : -1;
  }
  static Databases* db_;
};
Databases* ClusterShardsTest::db_ = nullptr;

TEST_F(ClusterShardsTest, InitMakesReplicatedLocalAndDistributedTablesOnBothServers) {
  for (int node : {1, 2}) {
    auto r = kStack->query(node, "SELECT name, engine FROM system.tables WHERE database = '" + db_->name() +
                                     "' ORDER BY name FORMAT TSV");
    EXPECT_NE(r.out.find("price_aligned\tDistributed\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("price_aligned_local\tReplicatedReplacingMergeTree\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("features_wide\tDistributed\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("features_wide_local\tReplicatedReplacingMergeTree\n"), std::string::npos) << r.out;
    // What promote_run needs, so that it sends no DDL ON CLUSTER.
    EXPECT_NE(r.out.find("price_aligned_promote_staging\tReplicatedReplacingMergeTree\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("features_wide_promote_staging\tReplicatedReplacingMergeTree\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("run_promotions\tDistributed\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("run_promotions_local\tReplicatedMergeTree\n"), std::string::npos) << r.out;
  }
  // A second init changes nothing.
  auto again = db_->ypa({"init"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("up to date"), std::string::npos) << again.out;
}

TEST_F(ClusterShardsTest, OraclePassesWithDataWrittenThroughTheCluster) {
  auto r = db_->oracle({"check", "--run-id", "full", "--from", "2025-04-01", "--to", "2025-04-03"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("rows written"), std::string::npos) << r.out;
}

TEST_F(ClusterShardsTest, RowsLandOnBothShardsDisjointly) {
  for (const auto& [table, key] :
       {std::pair{"price_aligned", "iphone_id"}, std::pair{"features_wide", "scope"}}) {
    auto one = lines(local_values(1, table, key, "full"));
    auto two = lines(local_values(2, table, key, "full"));
    EXPECT_FALSE(one.empty()) << table;
    EXPECT_FALSE(two.empty()) << table;
    for (const auto& k : one) EXPECT_EQ(two.count(k), 0u) << table << " key " << k << " on both shards";
    auto total = clickhouse_client("SELECT count() FROM " + db_->name() + "." + table +
                                   " FINAL WHERE run_id = 'full'");
    EXPECT_EQ(std::stoll(total.out), local_rows(1, table, "full") + local_rows(2, table, "full")) << table;
  }
}

TEST_F(ClusterShardsTest, TwoShardWorkersThenCohortsEqualOneWorker) {
  CommandResult w0, w1;
  std::thread t0([&] { w0 = run("workers", {"--shard", "0/2"}); });
  std::thread t1([&] { w1 = run("workers", {"--shard", "1/2"}); });
  t0.join();
  t1.join();
  ASSERT_EQ(w0.exit_code, 0) << w0.err;
  ASSERT_EQ(w1.exit_code, 0) << w1.err;
  EXPECT_EQ(clickhouse_client("SELECT count() FROM " + db_->name() +
                              ".features_wide WHERE run_id = 'workers' AND scope LIKE 'cohort:%'")
                .out,
            "0\n");
  auto cohorts = run("workers", {"--steps", "cohorts"});
  ASSERT_EQ(cohorts.exit_code, 0) << cohorts.err;
  // Shard workers write no shop_health (each sees a part of every shop's iPhones; docs/shop-health.md):
  // the runs differ only in that table, which the full run has and the workers' run lacks.
  auto cmp = db_->ypa({"compare_runs", "--base", "full", "--target", "workers", "--tolerance", "1e-9", "--json"});
  EXPECT_EQ(cmp.exit_code, 1) << cmp.out << cmp.err;
  auto compared = nlohmann::json::parse(cmp.out, nullptr, false);
  ASSERT_TRUE(compared.is_object()) << cmp.out;
  for (const auto& t : compared["tables"]) {
    if (t["table"] == "shop_health") {
      EXPECT_GT(t["rows_base"].get<long>(), 0) << t.dump();
      EXPECT_EQ(t["rows_target"], 0) << t.dump();
    } else {
      EXPECT_EQ(t["equal"], true) << t.dump();
    }
  }
  EXPECT_NE(clickhouse_client("SELECT count() FROM " + db_->name() +
                              ".features_wide WHERE run_id = 'workers' AND scope LIKE 'cohort:%'")
                .out,
            "0\n");
}

TEST_F(ClusterShardsTest, ShardNeedsAValidSpecAndNoCohorts) {
  auto bad = run("bad_shard", {"--shard", "2/2"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--shard"), std::string::npos) << bad.err;
  auto cohorts = run("bad_shard", {"--shard", "0/2", "--steps", "features,cohorts"});
  EXPECT_EQ(cohorts.exit_code, 2) << cohorts.err;
  EXPECT_NE(cohorts.err.find("cohorts"), std::string::npos) << cohorts.err;
}

TEST_F(ClusterShardsTest, PromoteAndDropActOnEveryShard) {
  ASSERT_EQ(run("to_promote", {}).exit_code, 0);
  auto promote = db_->ypa({"promote_run", "--from", "to_promote", "--to", "live", "--confirm"});
  ASSERT_EQ(promote.exit_code, 0) << promote.out << promote.err;
  auto cmp = db_->ypa({"compare_runs", "--base", "full", "--target", "live", "--tolerance", "1e-9"});
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
  for (int node : {1, 2}) EXPECT_GT(local_rows(node, "price_aligned", "live"), 0) << "server " << node;

  // A second promote over an existing live replaces it in place (REPLACE PARTITION on each shard).
  auto again =
      db_->ypa({"promote_run", "--from", "to_promote", "--to", "live", "--confirm", "--keep-backup"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  auto list = db_->ypa({"list_runs", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("\"live\""), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\"backup_"), std::string::npos) << list.out;

  auto drop = db_->ypa({"drop_run", "--run-id", "to_promote", "--confirm"});
  ASSERT_EQ(drop.exit_code, 0) << drop.out << drop.err;
  for (int node : {1, 2}) {
    EXPECT_EQ(local_rows(node, "price_aligned", "to_promote"), 0) << "server " << node;
    EXPECT_EQ(local_rows(node, "features_wide", "to_promote"), 0) << "server " << node;
  }
  auto listed = db_->ypa({"list_runs", "--json"});
  EXPECT_EQ(listed.out.find("\"to_promote\""), std::string::npos) << listed.out;
  auto cmp_live = db_->ypa({"compare_runs", "--base", "full", "--target", "live", "--tolerance", "1e-9"});
  EXPECT_EQ(cmp_live.exit_code, 0) << cmp_live.out << cmp_live.err;
}

}  // namespace
}  // namespace ypa::testing
