// Bucket grid and --from/--to rules of SPEC §3, checked against instants worked out by hand
// (Tokyo is UTC+9 without DST; New York has DST for the gap/overlap cases).
#include "core/time.hpp"

#include <gtest/gtest.h>

#include "core/errors.hpp"

namespace ypa {
namespace {

// 2025-01-01T00:00:00Z
constexpr EpochSeconds kJan1Utc = 1735689600;

TEST(TimeZoneTest, TokyoIsNineHoursAhead) {
  TimeZone tokyo("Asia/Tokyo");
  EXPECT_EQ(tokyo.utc_offset(kJan1Utc), 9 * 3600);
  EXPECT_EQ(tokyo.to_local(kJan1Utc), (LocalDateTime{2025, 1, 1, 9, 0, 0}));
  EXPECT_EQ(tokyo.from_local({2025, 1, 1, 0, 0, 0}), kJan1Utc - 9 * 3600);
}

TEST(TimeZoneTest, UnknownZoneIsInputError) {
  EXPECT_THROW(TimeZone("Mars/Olympus"), InputError);
}

TEST(TimeZoneTest, DstGapMapsToEndOfGapAndOverlapToEarlier) {
  TimeZone ny("America/New_York");
  // 2025-03-09 02:30 does not exist in New York; the gap ends at 03:00 EDT = 07:00Z.
  EXPECT_EQ(ny.from_local({2025, 3, 9, 2, 30, 0}), 1741503600);
  // 2025-11-02 01:30 happens twice; the earlier is EDT (UTC-4) = 05:30Z.
  EXPECT_EQ(ny.from_local({2025, 11, 2, 1, 30, 0}), 1762061400);
}

TEST(BucketGridTest, FloorsToQuarterHours) {
  BucketGrid grid(TimeZone("Asia/Tokyo"), 15);
  EXPECT_EQ(grid.floor(kJan1Utc), kJan1Utc);
  EXPECT_EQ(grid.floor(kJan1Utc + 899), kJan1Utc);
  EXPECT_EQ(grid.floor(kJan1Utc + 900), kJan1Utc + 900);
  EXPECT_EQ(grid.floor(kJan1Utc - 1), kJan1Utc - 900);
}

TEST(BucketGridTest, HourlyGridFollowsTheLocalWallClockInAHalfHourZone) {
  // India is UTC+5:30: local hours start at :30 UTC.
  BucketGrid grid(TimeZone("Asia/Kolkata"), 60);
  EpochSeconds local_nine = kJan1Utc + 3 * 3600 + 1800;  // 03:30Z = 09:00 IST
  EXPECT_EQ(grid.floor(local_nine + 1799), local_nine);
  EXPECT_EQ(grid.floor(local_nine - 1), local_nine - 3600);
}

TEST(BucketRangeTest, BareDatesCoverWholeDaysInclusive) {
  BucketGrid grid(TimeZone("Asia/Tokyo"), 15);
  BucketRange r = parse_bucket_range("2025-01-01", "2025-01-02", grid);
  EXPECT_EQ(r.first, kJan1Utc - 9 * 3600);
  // The last bucket of 2025-01-02 is 23:45 Tokyo.
  EXPECT_EQ(r.last, kJan1Utc - 9 * 3600 + 2 * 86400 - 900);
  EXPECT_EQ((r.last - r.first) / 900 + 1, 192);
}

TEST(BucketRangeTest, MinutesNameOneBucket) {
  BucketGrid grid(TimeZone("Asia/Tokyo"), 15);
  BucketRange r = parse_bucket_range("2025-01-01T09:15", "2025-01-01T09:15", grid);
  EXPECT_EQ(r.first, kJan1Utc + 900);
  EXPECT_EQ(r.last, r.first);
}

TEST(BucketRangeTest, BadInputsNameTheFlag) {
  BucketGrid grid(TimeZone("Asia/Tokyo"), 15);
  auto message = [&](const char* from, const char* to) {
    try {
      parse_bucket_range(from, to, grid);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("2025-13-01", "2025-01-02").find("--from='2025-13-01'"), std::string::npos);
  EXPECT_NE(message("2025-01-01", "2025-02-30").find("--to='2025-02-30'"), std::string::npos);
  EXPECT_NE(message("2025-01-01T09:10", "2025-01-02").find("not on the 15-minute"), std::string::npos);
  EXPECT_NE(message("yesterday", "2025-01-02").find("expected YYYY-MM-DD"), std::string::npos);
  EXPECT_NE(message("2025-01-03", "2025-01-02").find("is after --to"), std::string::npos);
}

TEST(FormatTest, IsoCarriesTheZoneOffset) {
  TimeZone tokyo("Asia/Tokyo");
  // SPEC §3's example: 2025-01-31 20:00 UTC is already February in Tokyo.
  EXPECT_EQ(format_iso(1738353600, tokyo), "2025-02-01T05:00:00+09:00");
  EXPECT_EQ(format_sql(1738353600, tokyo), "2025-02-01 05:00:00");
  EXPECT_EQ(format_iso(kJan1Utc, TimeZone("America/New_York")), "2024-12-31T19:00:00-05:00");
}

}  // namespace
}  // namespace ypa
