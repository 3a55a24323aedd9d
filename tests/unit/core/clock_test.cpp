// YPA_SIM_CLOCK, the soak harness's compressed clock: its parsing and its arithmetic.
#include "core/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

namespace ypa {
namespace {

TEST(SimClockTest, ParsesThreeNumbers) {
  auto c = clock::parse_sim_clock("1764720000,1735657200,84");
  EXPECT_EQ(c.real0, 1764720000.0);
  EXPECT_EQ(c.sim0, 1735657200.0);
  EXPECT_EQ(c.speed, 84.0);
  EXPECT_EQ(clock::parse_sim_clock("1.5,2.25,0.5").speed, 0.5);
}

TEST(SimClockTest, MapsRealSecondsOntoTheCompressedClock) {
  auto c = clock::parse_sim_clock("1000,5000,60");
  EXPECT_EQ(clock::simulated(c, 1000), 5000);
  // One real second is a simulated minute; a 15-minute bucket passes in 15 real seconds.
  EXPECT_EQ(clock::simulated(c, 1001), 5060);
  EXPECT_EQ(clock::simulated(c, 1015), 5000 + 900);
  EXPECT_EQ(clock::simulated(c, 999.5), 4970);
}

TEST(SimClockTest, RefusesMalformedValuesNamingTheVariable) {
  for (std::string bad : {"", "1,2", "1,2,3,4", "a,2,3", "1,2,0", "1,2,-1", "1,2,100001", "1,,3", "1,2,3x",
                          "-1,2,3", "1,2,nan", "1,2,inf"}) {
    try {
      clock::parse_sim_clock(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("YPA_SIM_CLOCK"), std::string::npos) << e.what();
    }
  }
}

TEST(SimClockTest, RealClockWithoutTheVariable) {
  // The test binary runs without YPA_SIM_CLOCK (CTest does not set it): now is the real time.
  ASSERT_EQ(std::getenv("YPA_SIM_CLOCK"), nullptr);
  // Read with the same clock the code reads: time(2) comes from the kernel's coarse clock, which can
  // still say the second before for a few milliseconds after system_clock has passed into the next
  // one (a CI run failed with now 1796304206 after time() 1796304205).
  auto seconds = [] {
    return static_cast<EpochSeconds>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  };
  auto before = seconds();
  auto now = clock::now_seconds();
  auto after = seconds();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace ypa
