// compare_runs against the real server: each kind of difference is found, counted and located,
// --tolerance, --scope and --from/--to are respected, duplicates are deduplicated, exit 0/1.
#include <nlohmann/json.hpp>

#include "runs_test_fixture.hpp"

namespace ypa::testing {
namespace {

class CompareRunsTest : public RunsTest {
 protected:
  void SetUp() override {
    RunsTest::SetUp();
    fill("base", "2025-01-31 20:00:00", 32, 2, 3, 1000);  // two Tokyo months
  }
  // target = a copy of base except the rows matching the skip conditions.
  void copy_base(const std::string& skip_prices = "0", const std::string& skip_features = "0") {
    copy_rows("price_aligned", "base", "target", "NOT (" + skip_prices + ")");
    copy_rows("features_wide", "base", "target", "NOT (" + skip_features + ")");
  }
  // A newer version of the target's rows matching `where` with `overrides`.
  void change(const std::string& table, const std::string& where,
              std::map<std::string, std::string> overrides) {
    overrides.emplace("inserted_at", "now() + 10");
    copy_rows(table, "target", "target", where, overrides);
  }
  nlohmann::json compare_json(std::vector<std::string> extra = {}, int expected_exit = 1) {
    std::vector<std::string> args{"compare_runs", "--base", "base", "--target", "target", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = ypa(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    return r.out.empty() ? nlohmann::json() : nlohmann::json::parse(r.out);
  }
  static const nlohmann::json& table(const nlohmann::json& j, const std::string& name) {
    for (const auto& t : j["tables"]) {
      if (t["table"] == name) return t;
    }
    throw std::runtime_error("no table " + name);
  }
  static const nlohmann::json& column(const nlohmann::json& t, const std::string& name) {
    for (const auto& c : t["columns"]) {
      if (c["column"] == name) return c;
    }
    throw std::runtime_error("no column " + name);
  }
  const std::string kBucket = "toDateTime('2025-02-01 01:15:00', 'Asia/Tokyo')";
};

TEST_F(CompareRunsTest, EqualRunsExitZero) {
  copy_base();
  // A stale version in the base that the newer one replaces: reads deduplicate.
  copy_rows("features_wide", "base", "base", "scope = 'iphone:1'",
            {{"mean", "mean + 5"}, {"inserted_at", "now() - 100"}});
  auto r = ypa({"compare_runs", "--base", "base", "--target", "target"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(
                "price_aligned: 2 months, rows in base 192, in target 192; only in base 0, only in target 0; "
                "rows that differ 0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("result: equal within tolerance 1e-09"), std::string::npos) << r.out;
  auto j = compare_json({}, 0);
  EXPECT_EQ(j["equal"], true);
  EXPECT_EQ(table(j, "features_wide")["rows_base"], 96);
}

TEST_F(CompareRunsTest, ChangedValueIsCountedAndLocated) {
  copy_base();
  change("features_wide", "scope = 'iphone:2' AND bucket = " + kBucket, {{"ema_120", "ema_120 + 0.75"}});
  auto j = compare_json();
  const auto& fw = table(j, "features_wide");
  EXPECT_EQ(fw["rows_differ"], 1);
  EXPECT_EQ(fw["only_base"], 0);
  const auto& ema = column(fw, "ema_120");
  EXPECT_EQ(ema["rows_differ"], 1);
  EXPECT_EQ(ema["null_vs_value"], 0);
  EXPECT_DOUBLE_EQ(ema["max_abs_diff"].get<double>(), 0.75);
  EXPECT_EQ(ema["where"]["scope"], "iphone:2");
  EXPECT_EQ(ema["where"]["bucket"], "2025-02-01T01:15:00+09:00");
  EXPECT_DOUBLE_EQ(ema["where"]["target"].get<double>() - ema["where"]["base"].get<double>(), 0.75);
  EXPECT_EQ(column(fw, "mean")["rows_differ"], 0);
  EXPECT_EQ(fw["top_scopes"][0]["scope"], "iphone:2");
  EXPECT_EQ(table(j, "price_aligned")["rows_differ"], 0);

  auto human = ypa({"compare_runs", "--base", "base", "--target", "target"});
  EXPECT_EQ(human.exit_code, 1);
  EXPECT_NE(human.out.find("ema_120"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("iphone:2 2025-02-01T01:15:00+09:00"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("result: runs differ"), std::string::npos) << human.out;
}

TEST_F(CompareRunsTest, ValueThatBecameNullDiffers) {
  copy_base();
  change("features_wide", "scope = 'iphone:3' AND bucket = " + kBucket + " AND ema_120 IS NOT NULL",
         {{"ema_120", "CAST(NULL AS Nullable(Float64))"}});
  auto j = compare_json();
  const auto& ema = column(table(j, "features_wide"), "ema_120");
  EXPECT_EQ(ema["rows_differ"], 1);
  EXPECT_EQ(ema["null_vs_value"], 1);
}

TEST_F(CompareRunsTest, RowsOnlyInBaseAndOnlyInTarget) {
  copy_base("iphone_id = 1 AND shop_id = 2 AND bucket = " + kBucket,
            "scope = 'iphone:1' AND bucket = " + kBucket);
  // features_wide: one row the base lacks.
  copy_rows("features_wide", "base", "target", "scope = 'iphone:1' AND bucket = " + kBucket,
            {{"scope", "'iphone:99'"}});
  auto j = compare_json();
  const auto& pa = table(j, "price_aligned");
  EXPECT_EQ(pa["only_base"], 1);
  EXPECT_EQ(pa["only_target"], 0);
  EXPECT_EQ(pa["rows_base"], 192);
  EXPECT_EQ(pa["rows_target"], 191);
  const auto& fw = table(j, "features_wide");
  EXPECT_EQ(fw["only_base"], 1);
  EXPECT_EQ(fw["only_target"], 1);
  EXPECT_EQ(fw["rows_differ"], 0);
}

TEST_F(CompareRunsTest, ToleranceIsRelativeToTheBaseValue) {
  copy_base();
  // mean is about 1000: a change of 1e-4 is 1e-7 relative.
  change("features_wide", "scope = 'iphone:1' AND bucket = " + kBucket, {{"mean", "mean + 1e-4"}});
  EXPECT_EQ(column(table(compare_json(), "features_wide"), "mean")["rows_differ"], 1);
  EXPECT_EQ(compare_json({"--tolerance", "1e-8"}, 1)["equal"], false);
  auto loose = compare_json({"--tolerance", "1e-6"}, 0);
  EXPECT_EQ(loose["equal"], true);
  // The largest difference is still reported when it is within the tolerance.
  EXPECT_NEAR(column(table(loose, "features_wide"), "mean")["max_abs_diff"].get<double>(), 1e-4, 1e-9);
}

TEST_F(CompareRunsTest, PriceChangeNamesTheShop) {
  copy_base();
  change("price_aligned", "iphone_id = 2 AND shop_id = 1 AND bucket = " + kBucket,
         {{"price_new", "price_new + 30"}});
  auto j = compare_json();
  const auto& price = column(table(j, "price_aligned"), "price_new");
  EXPECT_EQ(price["rows_differ"], 1);
  EXPECT_EQ(price["max_abs_diff"], 30.0);
  EXPECT_EQ(price["where"]["scope"], "iphone:2");
  EXPECT_EQ(price["where"]["shop_id"], 1);
}

TEST_F(CompareRunsTest, ScopeAndRangeLimitTheComparison) {
  copy_base();
  change("features_wide", "scope = 'iphone:2' AND bucket = " + kBucket, {{"mean", "mean + 1"}});
  change("price_aligned", "iphone_id = 2 AND bucket = " + kBucket, {{"price_new", "price_new + 1"}});
  compare_json({"--scope", "iphone:1,iphone:3"}, 0);
  compare_json({"--scope", "iphone:2"}, 1);
  // The changed bucket is 01:15 on 2025-02-01 (Tokyo).
  compare_json({"--from", "2025-01-31", "--to", "2025-01-31"}, 0);
  compare_json({"--from", "2025-02-01T01:30", "--to", "2025-02-01T03:45"}, 0);
  compare_json({"--from", "2025-02-01T01:15", "--to", "2025-02-01T01:15"}, 1);
  auto j = compare_json({"--scope", "cohort:top3"}, 0);
  EXPECT_EQ(table(j, "price_aligned")["skipped"], "--scope names no iphone:<id>");
  auto bad = ypa({"compare_runs", "--base", "base", "--target", "target", "--from", "2025-02-30"});
  EXPECT_EQ(bad.exit_code, 2);
  auto unknown = ypa({"compare_runs", "--base", "base", "--target", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--target: run nope does not exist"), std::string::npos) << unknown.err;
}

// Months are cut into slices when they hold more rows than one statement should group; the result
// must not depend on the cut.
TEST_F(CompareRunsTest, SlicedMonthsGiveTheSameAnswer) {
  copy_base();
  change("features_wide", "scope = 'iphone:2' AND bucket = " + kBucket, {{"mean", "mean + 1"}});
  auto whole = compare_json();
  auto r = ypa({"compare_runs", "--base", "base", "--target", "target", "--json"},
               {"YPA_COMPARE_SLICE_CELLS=300"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto sliced = nlohmann::json::parse(r.out);
  whole.erase("elapsed_ms");
  sliced.erase("elapsed_ms");
  EXPECT_EQ(whole, sliced);
}

}  // namespace
}  // namespace ypa::testing
