// The pure parts of the run registry and compare_runs: SQL literals, partition text, table lists,
// backup names and retention, and the text of the copy and compare statements.
#include "store/runs_sql.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "store/compare.hpp"
#include "store/runs.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

TEST(SqlText, StringLiteralEscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(string_literal("live"), "'live'");
  EXPECT_EQ(string_literal("x') OR 1=1 --"), "'x\\') OR 1=1 --'");
  EXPECT_EQ(string_literal("a\\b"), "'a\\\\b'");
  EXPECT_EQ(string_literal("a\nb"), "'a\\x0ab'");
  EXPECT_EQ(partition_literal("bf1", 202501), "('bf1', 202501)");
  EXPECT_EQ(qualified_table("db", "price_aligned"), "`db`.`price_aligned`");
}

TEST(Partitions, ParsesSystemPartsText) {
  EXPECT_EQ(parse_partition("('bf1',202501)"), (PartitionKey{"bf1", 202501}));
  EXPECT_EQ(parse_partition("('b\\'x',202502)"), (PartitionKey{"b'x", 202502}));
  EXPECT_EQ(parse_partition("('a\\',b',202503)"), (PartitionKey{"a',b", 202503}));
  EXPECT_FALSE(parse_partition("202501"));
  EXPECT_FALSE(parse_partition("('bf1',2025)"));
  EXPECT_FALSE(parse_partition("tuple()"));
}

TEST(Tables, ParsesTheTablesFlag) {
  EXPECT_EQ(parse_tables("features_wide"), std::vector<std::string>{"features_wide"});
  EXPECT_EQ(parse_tables("price_aligned,features_wide,shop_health"), run_tables());
  EXPECT_EQ(parse_tables("shop_health"), std::vector<std::string>{"shop_health"});
  EXPECT_THROW(parse_tables("price_aligned,nope"), InputError);
  EXPECT_THROW(parse_tables("price_aligned,price_aligned"), InputError);
  EXPECT_THROW(parse_tables(""), InputError);
}

TEST(Backups, NameTakesTheFirstFreeSuffix) {
  EXPECT_EQ(backup_run_name("20250105", {}), "backup_20250105");
  EXPECT_EQ(backup_run_name("20250105", {"backup_20250105"}), "backup_20250105_2");
  EXPECT_EQ(backup_run_name("20250105", {"backup_20250105", "backup_20250105_2"}), "backup_20250105_3");
  EXPECT_EQ(backup_run_name("20250105", {"backup_20250104"}), "backup_20250105");
  // A gap left by retention is not reused: the new backup must sort as the newest.
  EXPECT_EQ(backup_run_name("20250105", {"backup_20250105_2", "backup_20250105_3"}), "backup_20250105_4");
  EXPECT_EQ(backup_run_name("20250105", {"backup_20250105_x"}), "backup_20250105");
}

TEST(Backups, RetentionKeepsTheNewest) {
  std::vector<std::string> runs{"live",     "backup_20250103",    "backup_20250105",   "backup_20250105_2",
                                "backup_x", "backup_20250101_10", "backup_20250101_9", "bf1"};
  EXPECT_EQ(backups_to_drop(runs, 2, {}),
            (std::vector<std::string>{"backup_20250103", "backup_20250101_10", "backup_20250101_9"}));
  EXPECT_EQ(backups_to_drop(runs, 5, {}), std::vector<std::string>{});
  // The source of the running promote is never dropped, even when it is old.
  EXPECT_EQ(backups_to_drop(runs, 3, {"backup_20250101_9"}), std::vector<std::string>{"backup_20250101_10"});
}

TEST(CopySql, RenamesTheRunWithoutAnAliasAndDeduplicates) {
  auto sql = copy_month_sql("db", "price_aligned", "price_aligned_promote_staging",
                            {"run_id", "bucket", "price_new", "inserted_at"}, "bf1", "live", 202501);
  EXPECT_EQ(
      sql,
      "INSERT INTO `db`.`price_aligned_promote_staging` (`run_id`, `bucket`, `price_new`, `inserted_at`) "
      "SELECT 'live', `bucket`, `price_new`, now() FROM `db`.`price_aligned` FINAL "
      "WHERE run_id = 'bf1' AND toYYYYMM(bucket) = 202501");
}

TEST(CompareSql, ReadsOneRunsKeysAndEveryValueAsANullFlagAndAFloat) {
  CompareOptions o;
  o.base = "live";
  o.target = "bf2";
  o.tolerance = 1e-6;
  o.from = 1735657200;
  o.scopes = {"iphone:42", "cohort:top'3"};
  auto fw = compare_read_sql("db", "features_wide", {"mean", "std"}, o, CompareSide::kTarget, {202501}, 4, 3);
  EXPECT_EQ(fw,
            "SELECT `scope`, toUInt32(bucket), isNull(`mean`), toFloat64(ifNull(`mean`, 0)), isNull(`std`), "
            "toFloat64(ifNull(`std`, 0)) FROM `db`.`features_wide` FINAL WHERE run_id = 'bf2' AND "
            "toYYYYMM(bucket) = 202501 AND bucket >= toDateTime(1735657200) AND scope IN ('iphone:42', "
            "'cohort:top\\'3') AND cityHash64(scope) % 4 = 3");

  auto pa = compare_read_sql("db", "price_aligned", {"price_new"}, o, CompareSide::kBase, {202501, 202502}, 1, 0);
  EXPECT_EQ(pa,
            "SELECT `iphone_id`, `shop_id`, toUInt32(bucket), isNull(`price_new`), "
            "toFloat64(ifNull(`price_new`, 0)) FROM `db`.`price_aligned` FINAL WHERE run_id = 'live' AND "
            "toYYYYMM(bucket) IN (202501, 202502) AND bucket >= toDateTime(1735657200) AND iphone_id IN (42)");

  // A DateTime column is read as its seconds (ifNull(DateTime, 0) has no common type).
  o.scopes.clear();
  auto sh = compare_read_sql("db", "shop_health", {"last_recorded_at"}, o, CompareSide::kBase, {202501}, 1, 0);
  EXPECT_NE(sh.find("toFloat64(ifNull(toUInt32(`last_recorded_at`), 0))"), std::string::npos) << sh;
  EXPECT_THROW(compare_read_sql("db", "features_wide", {"mean"}, o, CompareSide::kBase, {}, 1, 0), std::logic_error);
}

}  // namespace
}  // namespace ypa::store
