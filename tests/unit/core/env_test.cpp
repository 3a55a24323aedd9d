// Environment and flag parsing: malformed values are InputErrors that name the input.
#include "core/env.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "core/errors.hpp"
#include "core/settings.hpp"

namespace ypa {
namespace {

TEST(EnvTest, ParsesIntegersWithinBounds) {
  EXPECT_EQ(env::parse_int("42", "X", 0, 100), 42);
  EXPECT_THROW(env::parse_int("42x", "X", 0, 100), InputError);
  EXPECT_THROW(env::parse_int("", "X", 0, 100), InputError);
  EXPECT_THROW(env::parse_int("101", "X", 0, 100), InputError);
}

TEST(EnvTest, ParsesIntegerLists) {
  EXPECT_EQ(env::parse_int_list("120,900,1800", "W", 1, 10000), (std::vector<std::int64_t>{120, 900, 1800}));
  EXPECT_THROW(env::parse_int_list("120,,900", "W", 1, 10000), InputError);
  EXPECT_THROW(env::parse_int_list("120,", "W", 1, 10000), InputError);
}

TEST(EnvTest, ParsesDurations) {
  EXPECT_EQ(env::parse_duration("90s", "D"), 90);
  EXPECT_EQ(env::parse_duration("15m", "D"), 900);
  EXPECT_EQ(env::parse_duration("2h", "D"), 7200);
  EXPECT_EQ(env::parse_duration("1d", "D"), 86400);
  EXPECT_EQ(env::parse_duration("0s", "D"), 0);
  EXPECT_THROW(env::parse_duration("2", "D"), InputError);
  EXPECT_THROW(env::parse_duration("h", "D"), InputError);
  EXPECT_THROW(env::parse_duration("-2h", "D"), InputError);
  EXPECT_THROW(env::parse_duration("2w", "D"), InputError);
}

TEST(EnvTest, MalformedVariableIsNamedInTheError) {
  ::setenv("PIPELINE_INTERVAL_MIN", "fifteen", 1);
  try {
    PipelineSettings::from_env();
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("PIPELINE_INTERVAL_MIN='fifteen'"), std::string::npos) << e.what();
  }
  ::unsetenv("PIPELINE_INTERVAL_MIN");
}

TEST(EnvTest, WindowMustBeAMultipleOfTheInterval) {
  ::setenv("FEATURE_WINDOWS_MIN", "120,100", 1);
  try {
    PipelineSettings::from_env();
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("window 100 is not a multiple"), std::string::npos) << e.what();
  }
  ::unsetenv("FEATURE_WINDOWS_MIN");
}

TEST(EnvTest, ClickHouseCompressionIsAutoOnOrOff) {
  ::setenv("CLICKHOUSE_COMPRESSION", "off", 1);
  EXPECT_EQ(ClickHouseSettings::from_env().compression, "off");
  ::setenv("CLICKHOUSE_COMPRESSION", "lz4", 1);
  try {
    ClickHouseSettings::from_env();
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("CLICKHOUSE_COMPRESSION='lz4'"), std::string::npos) << e.what();
  }
  ::unsetenv("CLICKHOUSE_COMPRESSION");
  EXPECT_EQ(ClickHouseSettings::from_env().compression, "auto");
}

TEST(EnvTest, ClickHouseSecureMovesThePortDefaultTo9440) {
  const char* saved = std::getenv("CLICKHOUSE_PORT");
  const std::string saved_port = saved ? saved : "";
  ::unsetenv("CLICKHOUSE_PORT");
  auto plain = ClickHouseSettings::from_env();
  EXPECT_FALSE(plain.secure);
  EXPECT_TRUE(plain.verify);
  EXPECT_EQ(plain.port, 9000);
  for (const char* on : {"1", "true", "YES", "On"}) {
    ::setenv("CLICKHOUSE_SECURE", on, 1);
    auto s = ClickHouseSettings::from_env();
    EXPECT_TRUE(s.secure) << on;
    EXPECT_EQ(s.port, 9440) << on;
  }
  ::setenv("CLICKHOUSE_PORT", "9000", 1);  // an explicit port wins
  EXPECT_EQ(ClickHouseSettings::from_env().port, 9000);
  for (const char* off : {"0", "false", "no", "OFF"}) {
    ::setenv("CLICKHOUSE_VERIFY", off, 1);
    EXPECT_FALSE(ClickHouseSettings::from_env().verify) << off;
  }
  for (const auto& [name, value] : {std::pair{"CLICKHOUSE_SECURE", "2"}, std::pair{"CLICKHOUSE_VERIFY", "y"},
                                    std::pair{"CLICKHOUSE_CA_CERTS", "/nonexistent/ca.pem"}}) {
    ::setenv(name, value, 1);
    try {
      ClickHouseSettings::from_env();
      ADD_FAILURE() << name << "=" << value << ": expected an InputError";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string(name) + "='" + value + "'", 0), 0u) << e.what();
    }
    ::unsetenv(name);
  }
  ::unsetenv("CLICKHOUSE_SECURE");
  ::unsetenv("CLICKHOUSE_VERIFY");
  if (saved) ::setenv("CLICKHOUSE_PORT", saved_port.c_str(), 1); else ::unsetenv("CLICKHOUSE_PORT");
}

TEST(EnvTest, DefaultsFollowTheDesignDocument) {
  auto ch = ClickHouseSettings::from_env();
  if (std::getenv("CLICKHOUSE_DB") == nullptr) {
    EXPECT_EQ(ch.database, "yamagoti");
  }
  auto p = PipelineSettings{};
  EXPECT_EQ(p.window_min, (std::vector<int>{120, 900, 1800}));
  EXPECT_EQ(p.batch_days, 30);
}

}  // namespace
}  // namespace ypa
