// Smoke test: handshake, a trivial SELECT and ping against the real server.
#include <gtest/gtest.h>

#include "clickhouse/client.hpp"
#include "support/stack_env.hpp"

namespace ypa::clickhouse {
namespace {

TEST(ClickHouseSmoke, SelectOne) {
  ClientOptions options = ClientOptions::from_settings(ypa::testing::clickhouse_settings());
  options.database = "default";  // always present; CLICKHOUSE_DB may not exist yet
  Client client(options);
  EXPECT_EQ(client.server_info().name, "ClickHouse");
  EXPECT_GT(client.server_info().negotiated_revision, 54000u);
  const auto rows =
      client.select_rows("SELECT 1, 'a', NULL, toDate('2024-02-29'), number FROM system.numbers LIMIT 3");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[0][1], "a");
  EXPECT_FALSE(rows[0][2].has_value());
  EXPECT_EQ(rows[2][3], "2024-02-29");
  EXPECT_EQ(rows[2][4], "2");
  client.ping();
}

}  // namespace
}  // namespace ypa::clickhouse
