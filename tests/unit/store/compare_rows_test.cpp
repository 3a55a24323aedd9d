// The difference rules of compare_runs, without a server: NULLs, NaN and infinities, the relative
// tolerance, rows in one run only, keys read twice, and the one place named for each column.
#include "store/compare_rows.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ypa::store {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(ValuesDiffer, NullAgainstAValueDiffersAndTwoNullsAreEqual) {
  EXPECT_TRUE(values_differ(true, 0, false, 0, 1e-9));
  EXPECT_TRUE(values_differ(false, 5, true, 0, 1e-9));
  EXPECT_FALSE(values_differ(true, 0, true, 7, 1e-9));  // the value beside a NULL flag is not read
}

TEST(ValuesDiffer, ToleranceIsRelativeToTheBaseAboveOne) {
  EXPECT_FALSE(values_differ(false, 1000, false, 1000.5, 1e-3));  // 0.5 <= 1e-3 * 1000
  EXPECT_TRUE(values_differ(false, 1000, false, 1001.5, 1e-3));
  EXPECT_FALSE(values_differ(false, 0.1, false, 0.1009, 1e-3));  // below 1 the bound is the tolerance itself
  EXPECT_TRUE(values_differ(false, 0.1, false, 0.1011, 1e-3));
  EXPECT_FALSE(values_differ(false, 3, false, 3, 0));
  EXPECT_TRUE(values_differ(false, 3, false, std::nextafter(3.0, 4.0), 0));
}

TEST(ValuesDiffer, NaNEqualsOnlyNaNAndAnInfinityOnlyItself) {
  EXPECT_FALSE(values_differ(false, kNaN, false, kNaN, 1e-9));
  EXPECT_TRUE(values_differ(false, kNaN, false, 1, 1e-9));
  EXPECT_TRUE(values_differ(false, 1, false, kNaN, 1e-9));
  EXPECT_FALSE(values_differ(false, kInf, false, kInf, 1e-9));
  EXPECT_TRUE(values_differ(false, kInf, false, -kInf, 1e-9));
  EXPECT_TRUE(values_differ(false, kInf, false, 1e300, 1e-9));
}

struct Row {
  const char* scope;
  std::uint32_t shop;
  std::uint32_t bucket;
  std::vector<std::uint8_t> nulls;
  std::vector<double> values;
};

void add(RowComparer& c, bool base, const Row& r) {
  RowKey k = c.key(r.scope, r.shop, r.bucket);
  if (base) {
    c.add_base(k, r.nulls.data(), r.values.data());
  } else {
    c.add_target(k, r.nulls.data(), r.values.data());
  }
}

const ScopeTally& scope(const RowComparer& c, const std::string& name) {
  for (const auto& s : c.scopes()) {
    if (s.scope == name) return s;
  }
  throw std::runtime_error("no scope " + name);
}

TEST(RowComparer, CountsRowsInOneRunOnlyAndRowsThatDiffer) {
  RowComparer c({"a", "b"}, 1e-9);
  add(c, true, {"iphone:1", 3, 100, {0, 0}, {1, 2}});
  add(c, true, {"iphone:1", 3, 200, {0, 0}, {1, 2}});   // only in base
  add(c, true, {"iphone:2", 3, 100, {0, 1}, {5, 0}});
  add(c, false, {"iphone:2", 3, 100, {0, 0}, {5, 9}});  // b: NULL -> 9
  add(c, false, {"iphone:1", 3, 100, {0, 0}, {1, 2.5}});
  add(c, false, {"iphone:3", 1, 100, {0, 0}, {1, 1}});  // only in target
  c.end_slice();

  const auto& one = scope(c, "iphone:1");
  EXPECT_EQ(one.rows_base, 2u);
  EXPECT_EQ(one.rows_target, 1u);
  EXPECT_EQ(one.only_base, 1u);
  EXPECT_EQ(one.only_target, 0u);
  EXPECT_EQ(one.rows_differ, 1u);
  const auto& two = scope(c, "iphone:2");
  EXPECT_EQ(two.rows_differ, 1u);
  EXPECT_EQ(two.only_base + two.only_target, 0u);
  const auto& three = scope(c, "iphone:3");
  EXPECT_EQ(three.rows_base, 0u);
  EXPECT_EQ(three.rows_target, 1u);
  EXPECT_EQ(three.only_target, 1u);

  EXPECT_EQ(c.columns()[0].rows_differ, 0u);
  EXPECT_EQ(c.columns()[0].max_abs_diff, 0);
  EXPECT_FALSE(c.columns()[0].place);
  EXPECT_EQ(c.columns()[1].rows_differ, 2u);
  EXPECT_EQ(c.columns()[1].null_vs_value, 1u);
  // NULL -> 9 is no finite difference: the largest is iphone:1's 0.5.
  EXPECT_EQ(c.columns()[1].max_abs_diff, 0.5);
  ASSERT_TRUE(c.columns()[1].place);
  EXPECT_EQ(c.columns()[1].place->scope, "iphone:1");
  EXPECT_EQ(c.columns()[1].place->bucket, 100);
  EXPECT_EQ(c.columns()[1].place->base_value, 2);
  EXPECT_EQ(c.columns()[1].place->target_value, 2.5);
}

TEST(RowComparer, AKeyReadTwiceCountsOnceWithItsFirstRow) {
  RowComparer c({"v"}, 0);
  add(c, true, {"s", 0, 10, {0}, {1}});
  add(c, true, {"s", 0, 10, {0}, {7}});  // a second copy, as a Distributed table can return
  add(c, false, {"s", 0, 10, {0}, {1}});
  add(c, false, {"s", 0, 10, {0}, {3}});
  add(c, false, {"s", 0, 20, {0}, {1}});
  add(c, false, {"s", 0, 20, {0}, {1}});
  c.end_slice();
  const auto& s = scope(c, "s");
  EXPECT_EQ(s.rows_base, 1u);
  EXPECT_EQ(s.rows_target, 2u);
  EXPECT_EQ(s.only_target, 1u);
  EXPECT_EQ(s.rows_differ, 0u);
}

TEST(RowComparer, TiedDifferencesNameTheEarliestBucketThenTheLowestShopThenTheFirstScopeName) {
  RowComparer c({"v"}, 0);
  // Target rows in an order unlike the keys', so that the order of reading cannot pick the place.
  for (auto [scope, shop, bucket] : {std::tuple{"iphone:9", 2u, 50u}, std::tuple{"iphone:10", 2u, 50u},
                                     std::tuple{"iphone:9", 1u, 60u}, std::tuple{"iphone:9", 5u, 50u}}) {
    add(c, true, {scope, shop, bucket, {0}, {10}});
  }
  for (auto [scope, shop, bucket] : {std::tuple{"iphone:9", 5u, 50u}, std::tuple{"iphone:9", 1u, 60u},
                                     std::tuple{"iphone:9", 2u, 50u}, std::tuple{"iphone:10", 2u, 50u}}) {
    add(c, false, {scope, shop, bucket, {0}, {13}});
  }
  c.end_slice();
  ASSERT_TRUE(c.columns()[0].place);
  EXPECT_EQ(c.columns()[0].max_abs_diff, 3);
  EXPECT_EQ(c.columns()[0].place->bucket, 50);
  EXPECT_EQ(c.columns()[0].place->shop, 2u);
  EXPECT_EQ(c.columns()[0].place->scope, "iphone:10");  // "iphone:10" < "iphone:9"
  EXPECT_EQ(c.columns()[0].rows_differ, 4u);
}

TEST(RowComparer, SlicesAddUpAndALargerDifferenceInALaterSliceWins) {
  RowComparer c({"v"}, 0);
  add(c, true, {"a", 0, 1, {0}, {1}});
  add(c, false, {"a", 0, 1, {0}, {2}});
  c.end_slice();
  add(c, true, {"b", 0, 1, {0}, {1}});
  add(c, true, {"b", 0, 2, {0}, {kInf}});
  add(c, false, {"b", 0, 1, {0}, {5}});
  add(c, false, {"b", 0, 2, {0}, {1e308}});  // an infinity differs but has no finite size
  c.end_slice();
  EXPECT_EQ(c.columns()[0].rows_differ, 3u);
  EXPECT_EQ(c.columns()[0].max_abs_diff, 4);
  EXPECT_EQ(c.columns()[0].place->scope, "b");
  EXPECT_EQ(scope(c, "a").rows_differ, 1u);
  EXPECT_EQ(scope(c, "b").rows_base, 2u);
}

TEST(RowComparer, PrefixedScopesAreTheSameScopesAsTheirNames) {
  RowComparer c({"v"}, 0);
  std::uint8_t null = 0;
  double one = 1, two = 2;
  c.add_base(c.key("iphone:", 7, 3, 100), &null, &one);
  c.add_target(c.key("iphone:7", 3, 100), &null, &two);
  c.end_slice();
  ASSERT_EQ(c.scopes().size(), 1u);
  EXPECT_EQ(c.scopes()[0].scope, "iphone:7");
  EXPECT_EQ(c.scopes()[0].rows_differ, 1u);
  EXPECT_EQ(c.columns()[0].place->shop, 3u);
}

TEST(RowComparer, ABaseRowAfterATargetRowOfTheSameSliceIsAMistake) {
  RowComparer c({"v"}, 0);
  std::uint8_t null = 0;
  double one = 1;
  c.add_target(c.key("s", 0, 1), &null, &one);
  EXPECT_THROW(c.add_base(c.key("s", 0, 2), &null, &one), std::logic_error);
}

}  // namespace
}  // namespace ypa::store
