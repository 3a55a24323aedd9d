// The response cache's policy on a clock the test sets: fresh, then stale with exactly one refresh
// handed out, then gone; and, when full, the entry used least recently makes room.
#include "http/response_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ypa::http {
namespace {

using std::chrono::milliseconds;
using Cache = ResponseCache<std::string>;

const Cache::Clock::time_point t0{std::chrono::hours(1)};

TEST(ResponseCacheTest, FreshThenStaleWithOneRefreshThenGone) {
  Cache cache(16, milliseconds(1000), milliseconds(10000));
  EXPECT_FALSE(cache.find("a", t0).value);
  cache.put("a", "answer", t0);

  auto fresh = cache.find("a", t0 + milliseconds(1000));
  EXPECT_EQ(fresh.value, "answer");
  EXPECT_FALSE(fresh.refresh);

  // Expired: every caller still gets the answer, and only the first is told to refresh it.
  auto first = cache.find("a", t0 + milliseconds(1001));
  EXPECT_EQ(first.value, "answer");
  EXPECT_TRUE(first.refresh);
  auto second = cache.find("a", t0 + milliseconds(1002));
  EXPECT_EQ(second.value, "answer");
  EXPECT_FALSE(second.refresh);

  // The refresh failed: the next caller may try again.
  cache.release_refresh("a");
  EXPECT_TRUE(cache.find("a", t0 + milliseconds(1003)).refresh);
  EXPECT_FALSE(cache.find("a", t0 + milliseconds(1004)).refresh);

  // Past the stale limit the answer is dropped and the caller computes it.
  EXPECT_FALSE(cache.find("a", t0 + milliseconds(11001)).value);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ResponseCacheTest, ARefreshedAnswerIsFreshAgainAndReplacesTheOldOne) {
  Cache cache(16, milliseconds(1000), milliseconds(10000));
  cache.put("a", "old", t0);
  ASSERT_TRUE(cache.find("a", t0 + milliseconds(1500)).refresh);
  cache.put("a", "new", t0 + milliseconds(1600));
  auto hit = cache.find("a", t0 + milliseconds(2000));
  EXPECT_EQ(hit.value, "new");
  EXPECT_FALSE(hit.refresh);
  // A new lifetime also means a new refresh may be handed out once it expires.
  EXPECT_TRUE(cache.find("a", t0 + milliseconds(2601)).refresh);
  EXPECT_EQ(cache.size(), 1u);
  cache.release_refresh("not cached");  // nothing to release: no effect
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ResponseCacheTest, KeysAreWholeStrings) {
  Cache cache(16, milliseconds(1000), milliseconds(0));
  cache.put("host\n/api/runs/?", "runs", t0);
  cache.put("host\n/api/runs/?limit=1", "one run", t0);
  EXPECT_EQ(cache.find("host\n/api/runs/?", t0).value, "runs");
  EXPECT_EQ(cache.find("host\n/api/runs/?limit=1", t0).value, "one run");
  EXPECT_FALSE(cache.find("host\n/api/runs/", t0).value);
}

}  // namespace
}  // namespace ypa::http
