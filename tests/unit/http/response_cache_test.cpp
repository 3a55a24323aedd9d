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
constexpr std::size_t kNoByteLimit = std::size_t{1} << 40;

std::optional<std::string> some(const char* value) {
  return value;
}

TEST(ResponseCacheTest, FreshThenStaleWithOneRefreshThenGone) {
  Cache cache(16, kNoByteLimit, milliseconds(1000), milliseconds(10000));
  EXPECT_FALSE(cache.find("a", t0).value);
  cache.put("a", "answer", t0);

  auto fresh = cache.find("a", t0 + milliseconds(1000));
  EXPECT_EQ(fresh.value, some("answer"));
  EXPECT_FALSE(fresh.refresh);

  // Expired: every caller still gets the answer, and only the first is told to refresh it.
  auto first = cache.find("a", t0 + milliseconds(1001));
  EXPECT_EQ(first.value, some("answer"));
  EXPECT_TRUE(first.refresh);
  auto second = cache.find("a", t0 + milliseconds(1002));
  EXPECT_EQ(second.value, some("answer"));
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
  Cache cache(16, kNoByteLimit, milliseconds(1000), milliseconds(10000));
  cache.put("a", "old", t0);
  ASSERT_TRUE(cache.find("a", t0 + milliseconds(1500)).refresh);
  cache.put("a", "new", t0 + milliseconds(1600));
  auto hit = cache.find("a", t0 + milliseconds(2000));
  EXPECT_EQ(hit.value, some("new"));
  EXPECT_FALSE(hit.refresh);
  // A new lifetime also means a new refresh may be handed out once it expires.
  EXPECT_TRUE(cache.find("a", t0 + milliseconds(2601)).refresh);
  EXPECT_EQ(cache.size(), 1u);
  cache.release_refresh("not cached");  // nothing to release: no effect
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ResponseCacheTest, KeysAreWholeStrings) {
  Cache cache(16, kNoByteLimit, milliseconds(1000), milliseconds(0));
  cache.put("host\n/api/runs/?", "runs", t0);
  cache.put("host\n/api/runs/?limit=1", "one run", t0);
  EXPECT_EQ(cache.find("host\n/api/runs/?", t0).value, some("runs"));
  EXPECT_EQ(cache.find("host\n/api/runs/?limit=1", t0).value, some("one run"));
  EXPECT_FALSE(cache.find("host\n/api/runs/", t0).value);
}

// A chart that clients keep asking for stays cached however many other keys pass through (a crawler
// walking every page, a client adding a random parameter): when the cache is full, the entry used
// least recently makes room, one at a time.
TEST(ResponseCacheTest, AHotAnswerSurvivesFillingTheCacheWithOtherKeys) {
  constexpr std::size_t kCapacity = 64;
  Cache cache(kCapacity, kNoByteLimit, milliseconds(60000), milliseconds(10000));
  cache.put("hot", "chart", t0);
  for (std::size_t i = 0; i < 10 * kCapacity; ++i) {
    cache.put("cold " + std::to_string(i), "page", t0);
    if (i % 16 == 0) {
      ASSERT_EQ(cache.find("hot", t0).value, some("chart")) << "after " << i << " other keys";
    }
    ASSERT_LE(cache.size(), kCapacity);
  }
  EXPECT_EQ(cache.find("hot", t0).value, some("chart"));
  EXPECT_EQ(cache.size(), kCapacity);
  // The newest keys are all there; the oldest cold ones made room.
  for (std::size_t i = 10 * kCapacity - (kCapacity - 1); i < 10 * kCapacity; ++i) {
    EXPECT_TRUE(cache.find("cold " + std::to_string(i), t0).value) << i;
  }
  EXPECT_FALSE(cache.find("cold 0", t0).value);
}

// Replacing an answer (a refresh) counts as a use: the refreshed chart is not the next to go.
TEST(ResponseCacheTest, ARefreshCountsAsAUse) {
  Cache cache(2, kNoByteLimit, milliseconds(1000), milliseconds(10000));
  cache.put("a", "1", t0);
  cache.put("b", "2", t0);
  cache.put("a", "1 again", t0 + milliseconds(1));
  cache.put("c", "3", t0 + milliseconds(2));
  EXPECT_EQ(cache.find("a", t0 + milliseconds(3)).value, some("1 again"));
  EXPECT_FALSE(cache.find("b", t0 + milliseconds(3)).value);
  EXPECT_EQ(cache.find("c", t0 + milliseconds(3)).value, some("3"));
}

TEST(ResponseCacheTest, AnswersPastTheirStaleLimitAreDroppedWithoutBeingAskedFor) {
  // Clients asking for a moving time range never ask for an old key again: without a sweep the
  // cache would keep up to `capacity` dead answers for good.
  Cache cache(1000, kNoByteLimit, milliseconds(1000), milliseconds(10000));
  for (int i = 0; i < 100; ++i) cache.put("range " + std::to_string(i), "answer", t0 + milliseconds(i));
  EXPECT_EQ(cache.size(), 100u);
  // Every answer is still within its stale limit: none may go.
  cache.put("a", "answer", t0 + milliseconds(11000));
  EXPECT_EQ(cache.size(), 101u);
  EXPECT_EQ(cache.find("range 0", t0 + milliseconds(11000)).value, some("answer"));
  // Sweeps are spaced by lifetime + stale limit, so this put sweeps nothing yet.
  cache.put("b", "answer", t0 + milliseconds(15000));
  EXPECT_EQ(cache.size(), 102u);
  // The next sweep drops the 100 dead ranges, never asked for again, and keeps what is alive.
  cache.put("c", "answer", t0 + milliseconds(22000));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("a", t0 + milliseconds(22000)).value, some("answer"));
  EXPECT_EQ(cache.find("b", t0 + milliseconds(22000)).value, some("answer"));
}

}  // namespace
}  // namespace ypa::http
