// `ypa init` against the real servers: creates the design document's tables (plus n_models), is
// idempotent, upgrades a features_wide made by the design document's DDL, and refuses bad input.
// Table structure is read back with clickhouse-client and psql, not with ypa's own client.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "support/run_command.hpp"
#include "support/stack_env.hpp"

namespace ypa::testing {
namespace {

std::string ch_port() { return std::to_string(clickhouse_settings().port); }

CommandResult clickhouse_client(const std::string& query) {
  return run_command({"clickhouse-client", "--host", clickhouse_settings().host, "--port", ch_port(), "--query", query});
}

// "name type default_kind default_expression" lines, in table order.
std::string columns_of(const std::string& db, const std::string& table) {
  auto r = clickhouse_client("SELECT name, type, default_kind, default_expression FROM system.columns WHERE database='" +
                             db + "' AND table='" + table + "' FORMAT TSV");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// The design document's §5.1/§5.2 DDL, typed in from the document.
const char* kDesignPriceAligned = R"(
CREATE TABLE {db}.price_aligned (
    run_id String, bucket DateTime('Asia/Tokyo'), shop_id UInt32, iphone_id UInt32, price_new UInt32,
    price_a Nullable(UInt32), price_b Nullable(UInt32), alignment_diff_sec Int32,
    record_time DateTime('Asia/Tokyo'), inserted_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(inserted_at) PARTITION BY (run_id, toYYYYMM(bucket)) ORDER BY (run_id, iphone_id, shop_id, bucket))";

const char* kDesignFeaturesWide = R"(
CREATE TABLE {db}.features_wide (
    run_id String, bucket DateTime('Asia/Tokyo'), scope String,
    mean Float64, median Float64, std Nullable(Float64), shop_count UInt16, dispersion Nullable(Float64),
    ema_120 Nullable(Float64), ema_900 Nullable(Float64), ema_1800 Nullable(Float64),
    sma_120 Nullable(Float64), sma_900 Nullable(Float64), sma_1800 Nullable(Float64),
    wma_120 Nullable(Float64), wma_900 Nullable(Float64), wma_1800 Nullable(Float64),
    boll_mid_120 Nullable(Float64), boll_up_120 Nullable(Float64), boll_low_120 Nullable(Float64), boll_width_120 Nullable(Float64),
    boll_mid_900 Nullable(Float64), boll_up_900 Nullable(Float64), boll_low_900 Nullable(Float64), boll_width_900 Nullable(Float64),
    boll_mid_1800 Nullable(Float64), boll_up_1800 Nullable(Float64), boll_low_1800 Nullable(Float64), boll_width_1800 Nullable(Float64),
    inserted_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(inserted_at) PARTITION BY (run_id, toYYYYMM(bucket)) ORDER BY (run_id, scope, bucket))";

std::string with_db(std::string sql, const std::string& db) {
  auto pos = sql.find("{db}");
  sql.replace(pos, 4, db);
  return sql;
}

class InitTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = unique_name("init"); }
  void TearDown() override { clickhouse_client("DROP DATABASE IF EXISTS " + db_); }
  CommandResult init(const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env{"CLICKHOUSE_DB=" + db_};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return run_ypa({"init"}, env);
  }
  std::string db_;
};

TEST_F(InitTest, CreatesTheDesignDocumentTablesPlusNModels) {
  auto r = init();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(db_ + ".price_aligned: created"), std::string::npos) << r.out;

  // Build the reference tables from the design document's DDL in a second database and compare.
  std::string ref = db_ + "_ref";
  ASSERT_EQ(clickhouse_client("CREATE DATABASE " + ref).exit_code, 0);
  ASSERT_EQ(clickhouse_client(with_db(kDesignPriceAligned, ref)).exit_code, 0);
  // SPEC §7: the design document's features_wide plus n_models UInt16 DEFAULT 1.
  std::string features_plus = with_db(kDesignFeaturesWide, ref);
  features_plus.replace(features_plus.find("inserted_at DateTime DEFAULT now()"), 34,
                        "inserted_at DateTime DEFAULT now(), n_models UInt16 DEFAULT 1");
  ASSERT_EQ(clickhouse_client(features_plus).exit_code, 0);
  EXPECT_EQ(columns_of(db_, "price_aligned"), columns_of(ref, "price_aligned"));
  EXPECT_EQ(columns_of(db_, "features_wide"), columns_of(ref, "features_wide"));
  EXPECT_NE(columns_of(db_, "features_wide").find("n_models\tUInt16\tDEFAULT"), std::string::npos);
  for (const char* table : {"price_aligned", "features_wide"}) {
    auto engine = [&](const std::string& db) {
      return clickhouse_client("SELECT engine, partition_key, sorting_key FROM system.tables WHERE database='" + db +
                               "' AND name='" + table + "' FORMAT TSV")
          .out;
    };
    auto mine = engine(db_);
    EXPECT_NE(mine.find("ReplacingMergeTree"), std::string::npos) << mine;
    EXPECT_EQ(mine, engine(ref));
  }
  clickhouse_client("DROP DATABASE " + ref);
}

TEST_F(InitTest, SecondRunChangesNothing) {
  ASSERT_EQ(init().exit_code, 0);
  auto before = columns_of(db_, "features_wide");
  auto again = init();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("features_wide: up to date"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("price_aligned: up to date"), std::string::npos) << again.out;
  EXPECT_EQ(columns_of(db_, "features_wide"), before);
}

TEST_F(InitTest, UpgradesADesignDocumentFeaturesWide) {
  ASSERT_EQ(clickhouse_client("CREATE DATABASE " + db_).exit_code, 0);
  ASSERT_EQ(clickhouse_client(with_db(kDesignFeaturesWide, db_)).exit_code, 0);
  ASSERT_EQ(clickhouse_client("INSERT INTO " + db_ +
                              ".features_wide (run_id, bucket, scope, mean, median, shop_count) "
                              "VALUES ('old', '2025-01-01 09:00:00', 'iphone:1', 1, 1, 3)")
                .exit_code,
            0);
  auto r = init();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("features_wide: added n_models"), std::string::npos) << r.out;
  // The row written before the upgrade reads back with the column's default.
  EXPECT_EQ(clickhouse_client("SELECT scope, n_models FROM " + db_ + ".features_wide FORMAT TSV").out, "iphone:1\t1\n");
}

TEST_F(InitTest, RefusesAColumnOfAnotherType) {
  ASSERT_EQ(clickhouse_client("CREATE DATABASE " + db_).exit_code, 0);
  std::string ddl = with_db(kDesignPriceAligned, db_);
  ddl.replace(ddl.find("price_new UInt32"), 16, "price_new Float64");
  ASSERT_EQ(clickhouse_client(ddl).exit_code, 0);
  auto r = init();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("column price_new has type Float64, expected UInt32"), std::string::npos) << r.err;
}

TEST_F(InitTest, BadInputIsOneLineAndExit2) {
  auto bad_db = run_ypa({"init"}, {"CLICKHOUSE_DB=bad-name"});
  EXPECT_EQ(bad_db.exit_code, 2);
  EXPECT_NE(bad_db.err.find("CLICKHOUSE_DB='bad-name'"), std::string::npos) << bad_db.err;

  // Port 1 on loopback: nothing listens there.
  auto unreachable = run_ypa({"init"}, {"CLICKHOUSE_DB=" + db_, "CLICKHOUSE_PORT=1"});
  EXPECT_EQ(unreachable.exit_code, 2);
  EXPECT_EQ(std::count(unreachable.err.begin(), unreachable.err.end(), '\n'), 1) << unreachable.err;

  auto bad_window = init({"FEATURE_WINDOWS_MIN=120,100"});
  EXPECT_EQ(bad_window.exit_code, 2);
  EXPECT_NE(bad_window.err.find("FEATURE_WINDOWS_MIN"), std::string::npos) << bad_window.err;
  // Nothing was created by the refused runs.
  EXPECT_EQ(clickhouse_client("SELECT count() FROM system.databases WHERE name = '" + db_ + "'").out, "0\n");
}

TEST(InitSourceSchemaTest, CreatesTheDjangoTablesIdempotently) {
  std::string db = unique_name("src");
  ASSERT_EQ(run_command({"psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + db}).exit_code, 0);
  for (int i = 0; i < 2; ++i) {
    auto r = run_ypa({"init", "--source-schema"}, {"PGDATABASE=" + db});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto tables = run_command({"psql", "-XAtq", "-d", db, "-c",
                             "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
                             "WHERE table_schema = 'public'"});
  EXPECT_EQ(tables.out,
            "AppleStockChecker_cohort,AppleStockChecker_cohortmember,AppleStockChecker_iphone,"
            "AppleStockChecker_purchasingshoppricerecord,AppleStockChecker_secondhandshop,"
            "AppleStockChecker_shopweightitem,AppleStockChecker_shopweightprofile,auth_user\n");
  auto columns = run_command({"psql", "-XAtq", "-d", db, "-c",
                              "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) "
                              "FROM information_schema.columns WHERE table_name = "
                              "'AppleStockChecker_purchasingshoppricerecord'"});
  EXPECT_EQ(columns.out,
            "id bigint,shop_id bigint,iphone_id bigint,price_new integer,price_grade_a integer,price_grade_b integer,"
            "recorded_at timestamp with time zone\n");
  run_command({"psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE " + db});
}

}  // namespace
}  // namespace ypa::testing
