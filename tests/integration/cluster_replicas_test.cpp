// ypa on the loopback cluster one_shard_two_replicas (`ypa stack up --cluster --replicas`): with one
// replica stopped, run_pipeline still writes and reads go on; the replica catches up when it returns.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cluster_fixture.hpp"
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

  // Stop server 2 by its recorded pid, as `ypa stack down` would.
  std::ifstream pid_file(kStack->dir() / "ch2/clickhouse/server.pid");
  pid_t pid = 0;
  ASSERT_TRUE(pid_file >> pid);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  for (int i = 0; i < 300 && kStack->query(2, "SELECT 1").exit_code == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(kStack->query(2, "SELECT 1").exit_code, 0) << "server 2 still answers";

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
  auto up = run_ypa({"stack", "up", "--cluster", "--replicas", "--dir", kStack->dir().string()});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto sync = kStack->query(2, "SYSTEM SYNC REPLICA " + db.name() + ".price_aligned_local");
  EXPECT_EQ(sync.exit_code, 0) << sync.err;
  std::string local =
      "SELECT count() FROM " + db.name() + ".price_aligned_local FINAL WHERE run_id = 'during'";
  EXPECT_EQ(kStack->query(2, local).out, kStack->query(1, local).out);
  EXPECT_NE(kStack->query(1, count_sql(db, "price_aligned", "during")).out, "0\n");
}

}  // namespace
}  // namespace ypa::testing
