// The cross-shop aggregate and cohort statistics of SPEC §4 and §6, with values computed by hand.
#include "domain/aggregate.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "domain/cohort.hpp"

namespace ypa::domain {
namespace {

BucketStats stats(std::vector<double> prices, double band = 0.25) {
  std::unique_ptr<bool[]> keep_buf = std::make_unique<bool[]>(prices.size() + 1);
  std::span<bool> keep(keep_buf.get(), prices.size());
  outlier_filter(prices, band, keep);
  std::vector<double> scratch;
  return kept_stats(prices, keep, scratch);
}

TEST(AggregateTest, SingleShopHasNoStd) {
  auto s = stats({1000});
  EXPECT_EQ(s.mean, 1000);
  EXPECT_EQ(s.median, 1000);
  EXPECT_TRUE(std::isnan(s.std));
  EXPECT_TRUE(std::isnan(s.dispersion));
  EXPECT_EQ(s.shop_count, 1);
}

TEST(AggregateTest, TwoShopsAreNeverFiltered) {
  auto s = stats({100, 1000});
  EXPECT_EQ(s.shop_count, 2);
  EXPECT_EQ(s.mean, 550);
  EXPECT_EQ(s.median, 550) << "even count: mean of the two middle values";
  EXPECT_NEAR(s.std, 636.3961030678928, 1e-9);  // sqrt(((450)^2 * 2) / 1)
}

TEST(AggregateTest, OutlierAmongThreeIsDropped) {
  // m0 = (100 + 110 + 1000) / 3 = 403.33; band 100.83: only... none within -> keep all? No: |100-403| > 100.
  // So use a milder outlier: m0 = (100 + 104 + 160) / 3 = 121.33, limit 30.33: 160 is 38.67 away -> dropped.
  auto s = stats({100, 104, 160});
  EXPECT_EQ(s.shop_count, 2);
  EXPECT_EQ(s.mean, 102);
  EXPECT_EQ(s.median, 102);
}

TEST(AggregateTest, WhenNothingIsWithinTheBandAllAreKept) {
  auto s = stats({100, 110, 1000});  // m0 = 403.3, limit 100.8: no price within
  EXPECT_EQ(s.shop_count, 3);
  EXPECT_NEAR(s.mean, 403.3333333333333, 1e-9);
  EXPECT_EQ(s.median, 110);
}

TEST(AggregateTest, BandZeroDisablesTheFilter) {
  EXPECT_EQ(stats({100, 104, 160}, 0).shop_count, 3);
}

TEST(CohortTest, WeightedMeanUnweightedMedianAndStd) {
  std::vector<MemberPoint> points = {{100, 3}, {NAN, 0}, {200, 5}, {400, 1}};
  std::vector<double> weights = {1, 7, 2, 1};
  std::vector<double> scratch;
  auto s = cohort_stats(points, weights, scratch);
  EXPECT_EQ(s.n_models, 3) << "the absent member does not count";
  EXPECT_EQ(s.shop_count, 9u);
  EXPECT_DOUBLE_EQ(s.mean, (100 * 1 + 200 * 2 + 400 * 1) / 4.0);
  EXPECT_EQ(s.median, 200);
  EXPECT_NEAR(s.std, 152.7525231651947, 1e-9);  // sample std of 100, 200, 400
  EXPECT_NEAR(s.dispersion, s.std / s.mean, 1e-15);
}

TEST(CohortTest, ProfileZeroWeightShopsAreIgnored) {
  std::vector<double> prices = {100, 300, 500};
  std::vector<double> w = {0, 1, 3};
  EXPECT_DOUBLE_EQ(profile_price(prices, w), (300 + 1500) / 4.0);
  std::vector<double> zero = {0, 0, 0};
  EXPECT_TRUE(std::isnan(profile_price(prices, zero)));
}

}  // namespace
}  // namespace ypa::domain
