// timestamptz text for COPY and SQL literals, exact to the microsecond, before and after 1970.
#include "postgres/timestamp.hpp"

#include <gtest/gtest.h>

namespace ypa::postgres {
namespace {

TEST(FormatTimestampTest, UtcWithMicroseconds) {
  EXPECT_EQ(format_timestamptz(0), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(format_timestamptz(1735689600LL * 1'000'000 + 123456), "2025-01-01 00:00:00.123456+00");
  EXPECT_EQ(format_timestamptz(1738353600LL * 1'000'000 + 59'999'999), "2025-01-31 20:00:59.999999+00");
  EXPECT_EQ(format_timestamptz(951782400LL * 1'000'000), "2000-02-29 00:00:00.000000+00");
  EXPECT_EQ(format_timestamptz(-1), "1969-12-31 23:59:59.999999+00");
}

}  // namespace
}  // namespace ypa::postgres
