// ypa on the loopback cluster one_shard_two_replicas (`ypa stack up --cluster --replicas`): with one
// replica stopped, run_pipeline still writes, reads go on, promote_run and drop_run succeed (and what
// would need DDL ON CLUSTER fails at once, changing nothing); the replica catches up when it returns;
// with the ZooKeeper leader crashed, promote_run and drop_run stop at once, changing nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "cluster_fixture.hpp"
#include "promote_scenario.hpp"
#include "support/databases.hpp"

namespace ypa::testing {
namespace {

// Ports below the ephemeral range, as in cluster_shards_test.cpp.
auto* const kStack = static_cast<ClusterStack*>(
    ::testing::AddGlobalTestEnvironment(new ClusterStack(/*replicas=*/true, 31640, 31650)));

std::string count_sql(const Databases& db, const std::string& table, const std::string& run_id) {
  return "SELECT count() FROM " + db.name() + "." + table + " FINAL WHERE run_id = '" + run_id + "'";
}

TEST(ClusterReplicasTest, StoppingOneReplicaStopsNeitherWritesNorReads) {
  Databases db("replicas");
  auto gen = db.ypa({"datagen", "--shops", "4", "--iphones", "6", "--from", "2025-03-25", "--to",
                     "2025-04-02", "--seed", "3"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto before = db.ypa({"run_pipeline", "--run-id", "before", "--from", "2025-04-01", "--to", "2025-04-02"});
  ASSERT_EQ(before.exit_code, 0) << before.err;

  ASSERT_NO_FATAL_FAILURE(kStack->stop_server(2));

  auto during = db.ypa({"run_pipeline", "--run-id", "during", "--from", "2025-04-01", "--to", "2025-04-02"});
  ASSERT_EQ(during.exit_code, 0) << during.err;
  auto oracle = db.oracle({"check", "--run-id", "during", "--from", "2025-04-01", "--to", "2025-04-02"});
  EXPECT_EQ(oracle.exit_code, 0) << oracle.out << oracle.err;
  auto cmp = db.ypa({"compare_runs", "--base", "before", "--target", "during", "--tolerance", "1e-9"});
  EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
  auto list = db.ypa({"list_runs", "--json"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("\"during\""), std::string::npos) << list.out;

  // Back up: server 2 fetches what it missed from server 1.
  ASSERT_NO_FATAL_FAILURE(kStack->start_stopped_servers());
  auto sync = kStack->query(2, "SYSTEM SYNC REPLICA " + db.name() + ".price_aligned_local");
  EXPECT_EQ(sync.exit_code, 0) << sync.err;
  std::string local =
      "SELECT count() FROM " + db.name() + ".price_aligned_local FINAL WHERE run_id = 'during'";
  EXPECT_EQ(kStack->query(2, local).out, kStack->query(1, local).out);
  EXPECT_NE(kStack->query(1, count_sql(db, "price_aligned", "during")).out, "0\n");
}

using ClusterReplicasPromoteTest = PromoteScenarioTest;

// Seconds a command took; a statement ON CLUSTER with a stopped replica would take
// distributed_ddl_task_timeout (180 s).
template <typename F>
double seconds_of(F&& command) {
  auto start = std::chrono::steady_clock::now();
  command();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Waits (60 s at most) until server `node` leads every replicated table of `database` in ZooKeeper.
bool leads_all(int node, const std::string& database) {
  std::string sql =
      "SELECT count() FROM system.replicas WHERE database = '" + database + "' AND NOT is_leader";
  for (int i = 0; i < 600; ++i) {
    if (kStack->query(node, sql).out == "0\n") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(ClusterReplicasPromoteTest, PromoteAndDropGoOnWithAReplicaStoppedWhichCatchesUp) {
  ASSERT_NO_FATAL_FAILURE(fill_scenario());
  const std::string ready = db_;
  // A database made before `ypa init` created the staging tables: its promote needs DDL ON CLUSTER.
  make_database();
  ASSERT_NO_FATAL_FAILURE(fill_scenario());
  clickhouse("DROP TABLE " + db_ + ".features_wide_promote_staging" + on_cluster());
  const std::string needs_ddl = db_;
  const std::string stopped = "127.0.0.1:" + std::to_string(kStack->port(2));

  // Stopped cleanly: it closes its ZooKeeper session, and server 1 takes over what it led.
  ASSERT_NO_FATAL_FAILURE(kStack->stop_server(2));
  ASSERT_TRUE(leads_all(1, ready));

  // What needs DDL ON CLUSTER fails at once, names the stopped replica and changes nothing.
  CommandResult refused, init;
  double refused_s = seconds_of([&] {
    refused = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
  });
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(stopped + " ("), std::string::npos) << refused.err;
  EXPECT_LT(refused_s, 30);
  EXPECT_EQ(fingerprint("live"), old_);
  EXPECT_EQ(ypa({"list_runs"}).out.find("note: the promote"), std::string::npos);
  double init_s = seconds_of([&] { init = ypa({"init"}, {"CLICKHOUSE_DB=" + db_ + "_new"}); });
  EXPECT_EQ(init.exit_code, 2) << init.out << init.err;
  EXPECT_NE(init.err.find(stopped + " ("), std::string::npos) << init.err;
  EXPECT_LT(init_s, 30);
  EXPECT_EQ(clickhouse("SELECT count() FROM system.databases WHERE name = '" + db_ + "_new'"), "0\n");

  // A database made by `ypa init`: promote and drop need no DDL and go on with one replica.
  db_ = ready;
  CommandResult promoted, dropped;
  double promote_s = seconds_of([&] {
    promoted = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm", "--keep-backup"});
  });
  ASSERT_EQ(promoted.exit_code, 0) << promoted.out << promoted.err;
  double drop_s = seconds_of([&] { dropped = ypa({"drop_run", "--run-id", "old", "--confirm"}); });
  ASSERT_EQ(dropped.exit_code, 0) << dropped.out << dropped.err;
  EXPECT_LT(promote_s, 60);
  EXPECT_LT(drop_s, 30);
  std::printf(
      "with server 2 stopped: refused promote %.1f s, refused init %.1f s, promote %.1f s, drop %.1f s\n%s",
      refused_s, init_s, promote_s, drop_s, refused.err.c_str());
  EXPECT_EQ(fingerprint("live"), bf_);
  EXPECT_EQ(fingerprint("old"), "");
  auto backup = clickhouse("SELECT DISTINCT run_id FROM " + db_ +
                           ".price_aligned WHERE run_id LIKE 'backup_%' FORMAT TSV");
  ASSERT_FALSE(backup.empty());
  backup.pop_back();
  EXPECT_EQ(fingerprint(backup), old_);

  // Back up: server 2 applies the replaced and dropped partitions it missed.
  ASSERT_NO_FATAL_FAILURE(kStack->start_stopped_servers());
  for (const char* table : {"price_aligned_local", "features_wide_local", "run_promotions_local"}) {
    auto sync = kStack->query(2, "SYSTEM SYNC REPLICA " + db_ + "." + table);
    EXPECT_EQ(sync.exit_code, 0) << table << ": " << sync.err;
  }
  const int one = kStack->port(1), two = kStack->port(2);
  for (const std::string run : {"live", "old", "bf"}) {
    EXPECT_EQ(fingerprint(run, "_local", two), fingerprint(run, "_local", one)) << run;
  }
  EXPECT_EQ(fingerprint("live", "_local", two), bf_);
  EXPECT_EQ(fingerprint(backup, "_local", two), old_);
  EXPECT_EQ(fingerprint("old", "_local", two), "");
  // The journal says done on both replicas: the newest promote into live (the largest seq, which all
  // phases of one promote share) has its done row.
  std::string journal = db_ + ".run_promotions_local";
  std::string phase = "SELECT has(groupArray(phase), 'done') FROM " + journal +
                      " WHERE target = 'live' AND seq = " + "(SELECT max(seq) FROM " + journal +
                      " WHERE target = 'live')";
  EXPECT_EQ(clickhouse(phase, true, two), "1\n");
  EXPECT_EQ(clickhouse(phase, true, one), "1\n");

  // And the database that was refused promotes now.
  db_ = needs_ddl;
  auto later = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"});
  EXPECT_EQ(later.exit_code, 0) << later.out << later.err;
  EXPECT_EQ(fingerprint("live"), bf_);

  // A crash of the leader: server 1 leads every table of `ready` (it took over while server 2 was
  // stopped), and after kill -9 its ZooKeeper session lives on for session_timeout_ms (30 s), so 18.16
  // would pass every DROP PARTITION on to it. Through server 2, promote and drop stop at once, naming
  // it, and change nothing. (Last in this binary: server 1 stays down.)
  db_ = ready;
  ASSERT_TRUE(leads_all(1, ready));
  const std::string live_before = fingerprint("live", "_local", two);
  ASSERT_NO_FATAL_FAILURE(kStack->stop_server(1, SIGKILL));
  const std::string through_two = "CLICKHOUSE_PORT=" + std::to_string(two);
  const std::string crashed = "127.0.0.1:" + std::to_string(one) + " (";
  CommandResult promote_refused, drop_refused;
  double promote_refused_s = seconds_of([&] {
    promote_refused = ypa({"promote_run", "--from", "bf", "--to", "live", "--confirm"}, {through_two});
  });
  EXPECT_EQ(promote_refused.exit_code, 2) << promote_refused.out << promote_refused.err;
  EXPECT_NE(promote_refused.err.find("does not lead"), std::string::npos) << promote_refused.err;
  EXPECT_NE(promote_refused.err.find(crashed), std::string::npos) << promote_refused.err;
  double drop_refused_s = seconds_of([&] {
    drop_refused = ypa({"drop_run", "--run-id", backup, "--confirm"}, {through_two});
  });
  EXPECT_EQ(drop_refused.exit_code, 2) << drop_refused.out << drop_refused.err;
  EXPECT_NE(drop_refused.err.find(crashed), std::string::npos) << drop_refused.err;
  EXPECT_LT(promote_refused_s, 30);
  EXPECT_LT(drop_refused_s, 30);
  std::printf("with server 1 killed: promote refused in %.1f s, drop in %.1f s\n%s", promote_refused_s,
              drop_refused_s, promote_refused.err.c_str());
  EXPECT_EQ(fingerprint("live", "_local", two), live_before);
  EXPECT_EQ(fingerprint(backup, "_local", two), old_);
  auto list = ypa({"list_runs"}, {through_two});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find("note: the promote"), std::string::npos) << list.out;
}

}  // namespace
}  // namespace ypa::testing
