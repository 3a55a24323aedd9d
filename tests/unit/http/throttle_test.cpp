// http/auth/throttle: a sliding window of failed logins per address, on an injected clock.
#include "http/auth/throttle.hpp"

#include <gtest/gtest.h>

namespace ypa::http::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LoginThrottle, FifthFailureInAMinuteBlocksUntilTheFirstLeavesTheWindow) {
  LoginThrottle t(5, seconds(60));
  const auto t0 = LoginThrottle::Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + seconds(i)), 0);
    t.record_failure("10.0.0.1", t0 + seconds(i));
  }
  EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + seconds(4)), 0);
  t.record_failure("10.0.0.1", t0 + seconds(4));
  // Failures at t0..t0+4 s: the one at t0 leaves the window at t0+60 s.
  EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + seconds(5)), 55);
  EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + milliseconds(59'001)), 1);  // 0.999 s rounds up, as DRF's ceil
  EXPECT_EQ(t.wait_seconds("10.0.0.2", t0 + seconds(5)), 0);            // another address is not affected
  EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + seconds(60)), 0);
  // One more failure blocks again: the window still holds the four at t0+1..t0+4.
  t.record_failure("10.0.0.1", t0 + seconds(60));
  EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + seconds(60)), 1);
  EXPECT_EQ(t.wait_seconds("10.0.0.1", t0 + seconds(65)), 0);
}

TEST(LoginThrottle, ManyAddressesStayBounded) {
  LoginThrottle t(1, seconds(60));
  const auto t0 = LoginThrottle::Clock::time_point{} + seconds(1000);
  for (std::size_t i = 0; i < LoginThrottle::kMaxAddresses + 10; ++i) t.record_failure(std::to_string(i), t0);
  // The newest address is remembered although the table was full.
  EXPECT_EQ(t.wait_seconds(std::to_string(LoginThrottle::kMaxAddresses + 9), t0), 60);
}

}  // namespace
}  // namespace ypa::http::auth
