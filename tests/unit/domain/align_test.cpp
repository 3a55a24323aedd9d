// Alignment rules of SPEC §3.1 on hand-made records whose expected rows are worked out by hand.
#include "domain/align.hpp"

#include <gtest/gtest.h>

namespace ypa::domain {
namespace {

// 2025-01-01T00:00:00+09:00, a bucket on the 15-minute grid.
constexpr EpochSeconds kT0 = 1735657200;
constexpr std::int64_t kUs = 1'000'000;

SourceRecord rec(std::int64_t id, std::int64_t at_us, std::optional<std::int32_t> price,
                 std::optional<std::int32_t> a = std::nullopt, std::optional<std::int32_t> b = std::nullopt) {
  return SourceRecord{id, 3, 42, price, a, b, at_us};
}

struct Fixture {
  BucketGrid grid{TimeZone("Asia/Tokyo"), 15};
  BucketRange range{kT0, kT0 + 4 * 900};
  SkipCounts skipped;
  std::vector<AlignedPrice> run(const std::vector<SourceRecord>& records, AlignParams params = {}) {
    std::vector<AlignedPrice> out;
    align_pair(records, grid, range, params, out, skipped);
    return out;
  }
};

TEST(AlignLookbackTest, RecordServesTheBucketAtOrAfterIt) {
  Fixture f;
  // 00:07:30.25 -> bucket 00:15; record_time truncated to 00:07:30; diff -450 s.
  auto rows = f.run({rec(1, (kT0 + 450) * kUs + 250000, 100000, 90000, 0)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].bucket, kT0 + 900);
  EXPECT_EQ(rows[0].record_time, kT0 + 450);
  EXPECT_EQ(rows[0].alignment_diff_sec, -450);
  EXPECT_EQ(rows[0].price_new, 100000u);
  EXPECT_EQ(rows[0].price_a, 90000u);
  EXPECT_FALSE(rows[0].price_b.has_value()) << "a grade price <= 0 becomes NULL";
}

TEST(AlignLookbackTest, RecordExactlyOnABoundaryBelongsToThatBucket) {
  Fixture f;
  auto rows = f.run({rec(1, (kT0 + 900) * kUs, 100)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].bucket, kT0 + 900);
  EXPECT_EQ(rows[0].alignment_diff_sec, 0);
}

TEST(AlignLookbackTest, LatestRecordWinsAndTiesGoToTheLargerId) {
  Fixture f;
  // Sorted by (recorded_at, id): ids 5 and 9 share a timestamp; 9 wins bucket 00:15.
  auto rows = f.run({rec(2, (kT0 + 100) * kUs, 1), rec(5, (kT0 + 600) * kUs, 2), rec(9, (kT0 + 600) * kUs, 3)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].price_new, 3u);
}

TEST(AlignLookbackTest, InvalidRecordsAreSkippedAndCounted) {
  Fixture f;
  auto rows = f.run({rec(1, (kT0 + 100) * kUs, 7), rec(2, (kT0 + 200) * kUs, std::nullopt), rec(3, (kT0 + 300) * kUs, 0),
                     rec(4, (kT0 + 400) * kUs, -5)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].price_new, 7u) << "an invalid later record must not hide a valid earlier one";
  EXPECT_EQ(f.skipped.null_price, 1);
  EXPECT_EQ(f.skipped.nonpositive_price, 2);
}

TEST(AlignLookbackTest, LongerLookbackCarriesForwardUntilSuperseded) {
  Fixture f;
  AlignParams p{AlignMode::kLookback, 40 * 60};  // 40 minutes
  // Record at 00:05 serves 00:15, 00:30 (00:45 is 40 min later: excluded since T - lookback < r fails at 00:45).
  auto rows = f.run({rec(1, (kT0 + 300) * kUs, 10)}, p);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].bucket, kT0 + 900);
  EXPECT_EQ(rows[1].bucket, kT0 + 1800);
  EXPECT_EQ(rows[1].alignment_diff_sec, -1500);
  // A later record at 00:20 takes over from 00:30 on.
  f.skipped = {};
  rows = f.run({rec(1, (kT0 + 300) * kUs, 10), rec(2, (kT0 + 1200) * kUs, 20)}, p);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].price_new, 10u);
  EXPECT_EQ(rows[1].price_new, 20u);
  EXPECT_EQ(rows[2].price_new, 20u);
  EXPECT_EQ(rows[2].bucket, kT0 + 2700);
}

TEST(AlignLookbackTest, OnlyBucketsInsideTheRangeAreEmitted) {
  Fixture f;
  f.range = {kT0 + 900, kT0 + 900};
  auto rows = f.run({rec(1, (kT0 - 10) * kUs, 1), rec(2, (kT0 + 10) * kUs, 2), rec(3, (kT0 + 910) * kUs, 3)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].price_new, 2u);
}

TEST(AlignFloorTest, FloorsAndKeepsTheLastRecordOfEachBucket) {
  Fixture f;
  AlignParams p{AlignMode::kFloor, 900};
  auto rows = f.run({rec(1, (kT0 + 100) * kUs, 1, 11), rec(2, (kT0 + 800) * kUs, 2, std::nullopt, 22),
                     rec(3, (kT0 + 900) * kUs, 3)},
                    p);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].bucket, kT0);
  EXPECT_EQ(rows[0].price_new, 2u);
  EXPECT_FALSE(rows[0].price_a.has_value()) << "all prices come from one record, not the last non-null of each";
  EXPECT_EQ(rows[0].price_b, 22u);
  EXPECT_EQ(rows[0].alignment_diff_sec, 800);
  EXPECT_EQ(rows[1].bucket, kT0 + 900);
  EXPECT_EQ(rows[1].alignment_diff_sec, 0);
}

}  // namespace
}  // namespace ypa::domain
