// The generator's PRNG against values from an independent (Python) implementation of splitmix64 and
// xoshiro256**, and the shape of its uniform and normal transforms.
#include "datagen/random.hpp"

#include <gtest/gtest.h>

namespace ypa::datagen {
namespace {

TEST(RngTest, MatchesReferenceSequence) {
  Rng rng(1);
  EXPECT_EQ(rng.next(), 0xb3f2af6d0fc710c5ULL);
  EXPECT_EQ(rng.next(), 0x853b559647364ceaULL);
  EXPECT_EQ(rng.next(), 0x92f89756082a4514ULL);
  Rng stream(1, 7);
  EXPECT_EQ(stream.next(), 0x326e5d9cb0af5654ULL);
  EXPECT_EQ(stream.next(), 0x11d5a088e6440363ULL);
}

TEST(RngTest, StreamsDiffer) {
  Rng a(42, 1);
  Rng b(42, 2);
  EXPECT_NE(a.next(), b.next());
}

TEST(RngTest, UniformAndNormalHaveTheRightMoments) {
  Rng rng(3);
  constexpr int kDraws = 200000;
  double sum = 0;
  double normal_sum = 0;
  double normal_sq = 0;
  int below_quarter = 0;
  for (int i = 0; i < kDraws; ++i) {
    double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    below_quarter += u < 0.25 ? 1 : 0;
    double z = rng.normal();
    ASSERT_LE(z, 6.0);
    ASSERT_GE(z, -6.0);
    normal_sum += z;
    normal_sq += z * z;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
  EXPECT_NEAR(below_quarter / double{kDraws}, 0.25, 0.005);
  EXPECT_NEAR(normal_sum / kDraws, 0.0, 0.01);
  EXPECT_NEAR(normal_sq / kDraws, 1.0, 0.02);
}

TEST(RngTest, BelowStaysInRange) {
  Rng rng(5);
  int hits[7] = {};
  for (int i = 0; i < 70000; ++i) {
    auto v = rng.below(7);
    ASSERT_LT(v, 7U);
    ++hits[v];
  }
  for (int h : hits) EXPECT_NEAR(h, 10000, 500);
}

}  // namespace
}  // namespace ypa::datagen
