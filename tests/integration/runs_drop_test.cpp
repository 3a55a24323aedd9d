// drop_run and list_runs against the real server: exactly one run's partitions go, every other run
// stays, dry runs change nothing, live needs --force-live, and months are Tokyo months (SPEC §3).
#include <regex>

#include "runs_test_fixture.hpp"

namespace ypa::testing {
namespace {

class DropRunTest : public RunsTest {
 protected:
  void SetUp() override {
    RunsTest::SetUp();
    // bf1 spans two Tokyo months; bf2 and live share those months with it.
    fill("bf1", "2025-01-31 20:00:00", 32, 2, 3, 1000);
    fill("bf2", "2025-01-31 20:00:00", 32, 2, 3, 2000);
    fill("live", "2025-01-31 12:00:00", 64, 2, 3, 3000);
  }
};

TEST_F(DropRunTest, DryRunListsPartitionsChangesNothingAndExitsOne) {
  auto before = fingerprint("bf1");
  auto r = ypa({"drop_run", "--run-id", "bf1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("price_aligned ('bf1', 202501): 96 rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("features_wide ('bf1', 202502): 48 rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dry run: would drop 4 partitions (288 rows) of run bf1"), std::string::npos) << r.out;
  EXPECT_EQ(fingerprint("bf1"), before);
}

TEST_F(DropRunTest, DropsExactlyOneRunAndPrintsElapsedMilliseconds) {
  auto bf2 = fingerprint("bf2"), live = fingerprint("live");
  ASSERT_NE(partitions_of("bf1"), "");
  auto r = ypa({"drop_run", "--run-id", "bf1", "--confirm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex("dropped run bf1: 4 partitions, 288 rows in [0-9]+\\.[0-9] ms")))
      << r.out;
  EXPECT_EQ(partitions_of("bf1"), "");
  EXPECT_EQ(fingerprint("bf1"), "");
  EXPECT_EQ(fingerprint("bf2"), bf2);
  EXPECT_EQ(fingerprint("live"), live);
  EXPECT_EQ(runs(), "bf2\nlive\n");
  // Now it is an unknown run.
  auto again = ypa({"drop_run", "--run-id", "bf1", "--confirm"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("run bf1 does not exist"), std::string::npos) << again.err;
}

TEST_F(DropRunTest, TablesFlagLimitsTheDrop) {
  auto r = ypa({"drop_run", "--run-id", "bf1", "--tables", "features_wide", "--confirm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(partitions_of("bf1"), "price_aligned\t('bf1',202501)\nprice_aligned\t('bf1',202502)\n");
  auto bad = ypa({"drop_run", "--run-id", "bf1", "--tables", "features_wide,prices", "--confirm"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--tables: \"prices\" is not a run table"), std::string::npos) << bad.err;
  EXPECT_NE(partitions_of("bf1"), "");
}

TEST_F(DropRunTest, LiveNeedsForceLive) {
  auto live = fingerprint("live");
  auto refused = ypa({"drop_run", "--run-id", "live", "--confirm"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--force-live"), std::string::npos) << refused.err;
  EXPECT_EQ(fingerprint("live"), live);
  auto dry = ypa({"drop_run", "--run-id", "live", "--force-live"});
  EXPECT_EQ(dry.exit_code, 1);
  EXPECT_EQ(fingerprint("live"), live);
  auto r = ypa({"drop_run", "--run-id", "live", "--confirm", "--force-live"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fingerprint("live"), "");
  EXPECT_EQ(runs(), "bf1\nbf2\n");
}

// 2025-02-01 08:00..10:00 in Tokyo is 2025-01-31 23:00..01:00 UTC: one Tokyo month, two UTC months.
// 2025-01-31 23:00..2025-02-01 01:00 in Tokyo is all of it on 2025-01-31 UTC: two Tokyo months.
TEST_F(DropRunTest, MonthsAreTokyoMonths) {
  fill("utc_split", "2025-02-01 08:00:00", 9, 2, 2, 500);
  fill("tokyo_split", "2025-01-31 23:00:00", 9, 2, 2, 600);
  EXPECT_EQ(partitions_of("utc_split"),
            "features_wide\t('utc_split',202502)\nprice_aligned\t('utc_split',202502)\n");
  EXPECT_EQ(partitions_of("tokyo_split"),
            "features_wide\t('tokyo_split',202501)\nfeatures_wide\t('tokyo_split',202502)\n"
            "price_aligned\t('tokyo_split',202501)\nprice_aligned\t('tokyo_split',202502)\n");
  auto others = fingerprint("bf1") + fingerprint("live") + fingerprint("utc_split");

  auto r = ypa({"drop_run", "--run-id", "tokyo_split", "--confirm"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("price_aligned ('tokyo_split', 202501): 16 rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("price_aligned ('tokyo_split', 202502): 20 rows"), std::string::npos) << r.out;
  EXPECT_EQ(fingerprint("tokyo_split"), "");
  EXPECT_EQ(fingerprint("bf1") + fingerprint("live") + fingerprint("utc_split"), others);

  auto u = ypa({"drop_run", "--run-id", "utc_split", "--confirm"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_NE(u.out.find("dropped run utc_split: 2 partitions, 54 rows"), std::string::npos) << u.out;
  EXPECT_EQ(clickhouse("SELECT count() FROM " + db_ + ".price_aligned WHERE run_id = 'utc_split'"), "0\n");
}

// The fixture writes no shop_health rows: its column shows "-" (shop_health_test covers the table).
TEST_F(DropRunTest, ListRunsShowsRowsMonthsBucketsAndSize) {
  auto r = ypa({"list_runs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("bf1 +192 +96 +- +202501\\.\\.202502 \\(2\\) +2025-01-31T20:00:00\\+09:00 +"
                        "2025-02-01T03:45:00\\+09:00 +20[0-9-]+T[0-9:]+\\+09:00 +[0-9.]+ KiB")))
      << r.out;
  auto j = ypa({"list_runs", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find("\"run_id\": \"live\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"first_bucket\": \"2025-01-31T12:00:00+09:00\""), std::string::npos) << j.out;
}

}  // namespace
}  // namespace ypa::testing
