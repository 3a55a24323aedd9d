// run_pipeline end to end against the real servers: every written row checked by the independent
// pandas oracle (tests/oracle/pipeline_oracle.py), batch and step invariance, --iphone-ids, the device
// choice on the machine it runs on, and the bad inputs of SPEC §12. Each suite has its own PostgreSQL and
// ClickHouse databases.
#include <gtest/gtest.h>

#include <algorithm>

#include "compute/backend_factory.hpp"
#include "support/databases.hpp"
#include "support/gpu.hpp"
#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {

void expect_oracle_passes(const Databases& db, const std::vector<std::string>& args) {
  auto r = db.oracle(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("rows written"), std::string::npos) << r.out;
}

TEST(PipelineOracleTest, EdgeCasesInLookbackAndFloorModes) {
  Databases db("pipe_edge");
  auto load = db.oracle({"load-edge-cases"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  // Straddles the Tokyo month boundary 2025-02-01 (2025-01-31 15:00 UTC).
  auto run =
      db.ypa({"run_pipeline", "--run-id", "edge_lookback", "--from", "2025-01-31", "--to", "2025-02-01"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("skipped source records"), std::string::npos) << run.out;
  expect_oracle_passes(db,
                       {"check", "--run-id", "edge_lookback", "--from", "2025-01-31", "--to", "2025-02-01"});

  auto floor = db.ypa({"run_pipeline", "--run-id", "edge_floor", "--align", "floor", "--from", "2025-01-31",
                       "--to", "2025-02-01"});
  ASSERT_EQ(floor.exit_code, 0) << floor.err;
  expect_oracle_passes(db, {"check", "--run-id", "edge_floor", "--from", "2025-01-31", "--to", "2025-02-01",
                            "--align", "floor"});
  // The two month partitions of the run, in Tokyo months.
  auto months = clickhouse_client("SELECT DISTINCT toYYYYMM(bucket) AS m FROM " + db.name() +
                                  ".price_aligned WHERE run_id = 'edge_lookback' ORDER BY m FORMAT TSV");
  EXPECT_EQ(months.out, "202501\n202502\n");
}

// The read takes integer columns as they come (no casts) and casts any other numeric type: SPEC §2's
// int columns, the demo schema's bigint keys and numeric prices all give the same run.
TEST(PipelineSourceTypesTest, IntegerWidthsAndNumericPricesGiveTheSameRun) {
  Databases db("pipe_types");
  auto gen = db.ypa({"datagen", "--shops", "3", "--iphones", "4", "--from", "2025-04-01", "--to",
                     "2025-04-03", "--seed", "7"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto first =
      db.ypa({"run_pipeline", "--run-id", "bigint_keys", "--from", "2025-04-02", "--to", "2025-04-03"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto alter = db.psql(
      "ALTER TABLE \"AppleStockChecker_purchasingshoppricerecord\" ALTER shop_id TYPE integer, "
      "ALTER iphone_id TYPE integer, ALTER price_new TYPE numeric(12, 0), ALTER price_grade_a TYPE bigint, "
      "ALTER price_grade_b TYPE numeric(12, 0)");
  ASSERT_EQ(alter.exit_code, 0) << alter.err;
  auto second =
      db.ypa({"run_pipeline", "--run-id", "spec_types", "--from", "2025-04-02", "--to", "2025-04-03"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  for (const char* table : {"price_aligned", "features_wide"}) {
    std::string expected = db.dump("bigint_keys", table);
    EXPECT_GT(expected.size(), 1000u) << table;
    EXPECT_EQ(db.dump("spec_types", table), expected) << table;
  }
}

// 30 days of realistic data (8 shops x 20 iPhones) shared by the invariance tests.
class PipelineRunsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new Databases("pipe_runs");
    auto gen = db_->ypa({"datagen", "--shops", "8", "--iphones", "20", "--from", "2025-03-20", "--to",
                         "2025-04-30", "--seed", "11"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static CommandResult run(const std::string& run_id, std::vector<std::string> extra,
                           const std::string& from = "2025-04-01", const std::string& to = "2025-04-30") {
    std::vector<std::string> args{"run_pipeline", "--run-id", run_id, "--from", from, "--to", to};
    args.insert(args.end(), extra.begin(), extra.end());
    return db_->ypa(args);
  }
  static Databases* db_;
};
Databases* PipelineRunsTest::db_ = nullptr;

TEST_F(PipelineRunsTest, OracleAgreesOnRealisticData) {
  ASSERT_EQ(run("full", {}).exit_code, 0);
  expect_oracle_passes(*db_, {"check", "--run-id", "full", "--from", "2025-04-01", "--to", "2025-04-30"});
}

TEST_F(PipelineRunsTest, BatchDaysDoNotChangeTheResult) {
  for (const char* days : {"1", "7", "60"}) {
    auto r = run(std::string("batch_") + days, {"--batch-days", days});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const char* table : {"price_aligned", "features_wide"}) {
    std::string one = db_->dump("batch_1", table);
    EXPECT_GT(one.size(), 1000u);
    EXPECT_EQ(one, db_->dump("batch_7", table)) << table;
    EXPECT_EQ(one, db_->dump("batch_60", table)) << table;
  }
}

TEST_F(PipelineRunsTest, AlignThenTheRestEqualsOneFullRun) {
  ASSERT_EQ(run("steps_full", {}).exit_code, 0);
  auto align = run("steps_split", {"--steps", "align"});
  ASSERT_EQ(align.exit_code, 0) << align.err;
  EXPECT_EQ(
      clickhouse_client("SELECT count() FROM " + db_->name() + ".features_wide WHERE run_id = 'steps_split'")
          .out,
      "0\n");
  auto rest = run("steps_split", {"--steps", "aggregate,features,cohorts"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  for (const char* table : {"price_aligned", "features_wide"}) {
    EXPECT_EQ(db_->dump("steps_full", table), db_->dump("steps_split", table)) << table;
  }
}

TEST_F(PipelineRunsTest, IphoneIdsEqualTheFullRunRestrictedToThem) {
  ASSERT_EQ(run("ids_full", {}).exit_code, 0);
  auto part = run("ids_part", {"--iphone-ids", "3,4"});
  ASSERT_EQ(part.exit_code, 0) << part.err;
  EXPECT_NE(part.err.find("skipped"), std::string::npos)
      << "cohorts with other members are skipped and named";
  EXPECT_EQ(db_->dump("ids_part", "price_aligned"),
            db_->dump("ids_full", "price_aligned", " AND iphone_id IN (3, 4)"));
  EXPECT_EQ(db_->dump("ids_part", "features_wide"),
            db_->dump("ids_full", "features_wide", " AND scope IN ('iphone:3', 'iphone:4')"));
}

TEST_F(PipelineRunsTest, RerunReplacesRowsWithoutDuplicates) {
  ASSERT_EQ(run("rerun", {}, "2025-04-01", "2025-04-02").exit_code, 0);
  std::string before = db_->dump("rerun", "features_wide");
  ASSERT_EQ(run("rerun", {}, "2025-04-01", "2025-04-02").exit_code, 0);
  EXPECT_EQ(db_->dump("rerun", "features_wide"), before);
  // The second write carries a later version than the first.
  auto versions = clickhouse_client("SELECT uniqExact(inserted_at) FROM " + db_->name() +
                                    ".features_wide WHERE run_id = 'rerun'");
  EXPECT_EQ(versions.out, "2\n");
}

struct BadInput {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string message;  // part of the one-line error
};

TEST_F(PipelineRunsTest, BadInputIsOneLineExit2AndWritesNothing) {
  std::int64_t before = db_->rows("price_aligned") + db_->rows("features_wide");
  std::vector<BadInput> cases = {
      {{"--run-id", "x') OR 1=1 --", "--from", "2025-04-01", "--to", "2025-04-02"}, {}, "--run-id"},
      {{"--run-id", "ok", "--from", "2025-04-31", "--to", "2025-05-01"}, {}, "--from='2025-04-31'"},
      {{"--run-id", "ok", "--from", "2025-04-03", "--to", "2025-04-02"}, {}, "is after --to"},
      {{"--run-id", "ok", "--from", "2025-04-01T10:07", "--to", "2025-04-02"}, {}, "not on the 15-minute"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--steps", "align,magic"},
       {},
       "'magic'"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02"},
       {"FEATURE_WINDOWS_MIN=120,100"},
       "window 100"},
      {{"--run-id", "live", "--from", "2025-04-01", "--to", "2025-04-02"}, {}, "--allow-live"},
      // Refused on every machine (none has 64 GPUs); cuda:0 has its own test below.
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--device", "cuda:63"},
       {},
       "--device cuda:63"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--device", "gpu"},
       {},
       "--device 'gpu'"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02"},
       {"PIPELINE_DEVICE=cuda:63"},
       "PIPELINE_DEVICE=cuda:63"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02"},
       {"PIPELINE_DEVICE=gpu"},
       "PIPELINE_DEVICE='gpu'"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--align", "nearest"}, {}, "--align"},
      // 0 is refused like any other number out of range, not taken for "unset".
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--batch-days", "0"}, {}, "--batch-days"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--iphone-ids", "3,x"},
       {},
       "--iphone-ids"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02", "--iphone-ids", "999"}, {}, "999"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02"}, {"PGPORT=1"}, "PostgreSQL"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02"}, {"CLICKHOUSE_PORT=1"}, "ClickHouse"},
      {{"--run-id", "ok", "--from", "2025-04-01", "--to", "2025-04-02"},
       {"CLICKHOUSE_DB=no_such_db_here"},
       ""},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"run_pipeline"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = db_->ypa(args, c.env);
    std::string what = c.args[1] + " " + (c.env.empty() ? "" : c.env[0]) + " " + c.message;
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ypa: error: ", 0), 0u) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << what << ": " << r.err;
  }
  EXPECT_EQ(db_->rows("price_aligned") + db_->rows("features_wide"), before);
}

// `--device cuda:0` is right on a GPU machine and wrong elsewhere. Which machine this is, is asked of the
// driver (nvidia-smi), not of ypa; whether the build has the CUDA backend is a fact of the build.
TEST_F(PipelineRunsTest, DeviceCuda0RunsOnAGpuAndIsRefusedWithOneLineWithout) {
  const bool gpu = compute::cuda_built() && nvidia_gpu_count() > 0;
  const std::vector<std::string> auto_env{"PIPELINE_DEVICE=auto"};
  std::int64_t before = db_->rows("price_aligned") + db_->rows("features_wide");
  auto cuda = db_->ypa({"run_pipeline", "--run-id", "dev_cuda", "--from", "2025-04-01", "--to", "2025-04-07",
                        "--device", "cuda:0"});
  auto automatic = db_->ypa(
      {"run_pipeline", "--run-id", "dev_auto", "--from", "2025-04-01", "--to", "2025-04-07"}, auto_env);
  ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
  if (gpu) {
    ASSERT_EQ(cuda.exit_code, 0) << cuda.err;
    EXPECT_NE(cuda.out.find("device cuda:0\n"), std::string::npos) << cuda.out;
    EXPECT_NE(automatic.out.find("device cuda:0\n"), std::string::npos) << automatic.out;
    auto cpu = db_->ypa({"run_pipeline", "--run-id", "dev_cpu", "--from", "2025-04-01", "--to", "2025-04-07",
                         "--device", "cpu"});
    ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
    EXPECT_GT(db_->dump("dev_cpu", "features_wide").size(), 1000u);
    // compare_runs' rule, which docs/cuda.md promises for the GPU: |a - b| <= 1e-9 * max(1, |a|).
    for (const char* target : {"dev_cuda", "dev_auto"}) {
      auto cmp = db_->ypa({"compare_runs", "--base", "dev_cpu", "--target", target, "--tolerance", "1e-9"});
      EXPECT_EQ(cmp.exit_code, 0) << target << ":\n" << cmp.out << cmp.err;
    }
  } else {
    EXPECT_EQ(cuda.exit_code, 2) << cuda.err;
    EXPECT_EQ(cuda.err, std::string("ypa: error: --device cuda:0: ") +
                            (compute::cuda_built() ? "no CUDA GPU on this machine\n"
                                                   : "this build has no CUDA backend; use cpu\n"));
    EXPECT_EQ(
        clickhouse_client("SELECT count() FROM " + db_->name() + ".features_wide WHERE run_id = 'dev_cuda'")
            .out,
        "0\n");
    // auto runs on the CPU and says why in the summary.
    EXPECT_NE(automatic.out.find(compute::cuda_built() ? "device cpu (auto: no CUDA GPU on this machine)"
                                                       : "device cpu (auto: this build has no CUDA backend)"),
              std::string::npos)
        << automatic.out;
    EXPECT_GT(db_->rows("features_wide") + db_->rows("price_aligned"), before);
  }
}

TEST_F(PipelineRunsTest, NoSourceRowsInRangeIsAWarningAndWritesNothing) {
  auto r = run("empty", {}, "2026-01-01", "2026-01-02");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no source rows"), std::string::npos) << r.err;
  EXPECT_EQ(
      clickhouse_client("SELECT count() FROM " + db_->name() + ".price_aligned WHERE run_id = 'empty'").out,
      "0\n");
}

}  // namespace
}  // namespace ypa::testing
