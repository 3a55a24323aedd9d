// Features of SPEC §5 on a short series worked out by hand, and batch invariance on a long one.
#include "domain/features.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ypa::domain {
namespace {

TEST(FeaturesTest, HandComputedWindowOfThreeWithAGap) {
  FeatureParams p{{3}, 2.0};
  SeriesCarry carry = initial_carry(p);
  std::vector<double> x = {10, NAN, 16, 13};
  auto f = series_features(x, carry, p)[0];
  // EMA, a = 2/(3+1) = 0.5: 10; a gap keeps 10; 0.5*16 + 0.5*10 = 13; 0.5*13 + 0.5*13 = 13.
  EXPECT_DOUBLE_EQ(f.ema[0], 10);
  EXPECT_DOUBLE_EQ(f.ema[1], 10);
  EXPECT_DOUBLE_EQ(f.ema[2], 13);
  EXPECT_DOUBLE_EQ(f.ema[3], 13);
  // SMA/WMA over the present values of the last 3 buckets (newest weight 3).
  EXPECT_DOUBLE_EQ(f.sma[0], 10);
  EXPECT_DOUBLE_EQ(f.sma[1], 10);
  EXPECT_DOUBLE_EQ(f.sma[2], 13);
  EXPECT_DOUBLE_EQ(f.sma[3], 14.5);
  EXPECT_DOUBLE_EQ(f.wma[2], (10 * 1 + 16 * 3) / 4.0);
  EXPECT_DOUBLE_EQ(f.wma[3], (16 * 2 + 13 * 3) / 5.0);
  // Bands need two present values.
  EXPECT_TRUE(std::isnan(f.boll_up[0]));
  EXPECT_TRUE(std::isnan(f.boll_up[1]));
  EXPECT_DOUBLE_EQ(f.boll_mid[2], 13);
  EXPECT_NEAR(f.boll_up[2], 13 + 2 * std::sqrt(18.0), 1e-12);
  EXPECT_NEAR(f.boll_low[3], 14.5 - 2 * std::sqrt(4.5), 1e-12);
  EXPECT_NEAR(f.boll_width[3], 4 * std::sqrt(4.5), 1e-12);
}

TEST(FeaturesTest, BatchesGiveExactlyTheSameValuesAsOneRun) {
  FeatureParams p{{8, 60, 120}, 2.0};
  std::mt19937_64 rng(7);
  std::vector<double> x(3000);
  double level = 100000;
  for (auto& v : x) {
    level += static_cast<double>(static_cast<int>(rng() % 201) - 100);
    v = rng() % 5 == 0 ? NAN : level;
  }
  // Days-long gap, then data again.
  std::fill(x.begin() + 1000, x.begin() + 1400, NAN);

  SeriesCarry whole_carry = initial_carry(p);
  auto whole = series_features(x, whole_carry, p);

  SeriesCarry carry = initial_carry(p);
  std::size_t start = 0;
  for (std::size_t len : {1u, 7u, 96u, 500u, 1000u, 1396u}) {
    std::span<const double> part(x.data() + start, len);
    auto got = series_features(part, carry, p);
    for (std::size_t w = 0; w < p.window_buckets.size(); ++w) {
      for (std::size_t i = 0; i < len; ++i) {
        auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
        ASSERT_TRUE(same(got[w].ema[i], whole[w].ema[start + i])) << "ema w" << w << " at " << start + i;
        ASSERT_TRUE(same(got[w].wma[i], whole[w].wma[start + i])) << "wma w" << w << " at " << start + i;
        ASSERT_TRUE(same(got[w].boll_up[i], whole[w].boll_up[start + i])) << "up w" << w << " at " << start + i;
      }
    }
    start += len;
  }
  EXPECT_EQ(start, x.size());
}

}  // namespace
}  // namespace ypa::domain
