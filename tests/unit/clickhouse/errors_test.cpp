// Which server exceptions are worth asking again (503) and which mean a broken query (500). The
// numbers are ClickHouse's own (dbms/src/Common/ErrorCodes.cpp), written out here rather than taken
// from errors.cpp, so that a typo in either list shows.
#include "clickhouse/errors.hpp"

#include <gtest/gtest.h>

namespace ypa::clickhouse {
namespace {

TEST(ServerErrorClassTest, LoadTimeoutsNetworkAndMemoryArePassing) {
  for (std::int32_t code : {209 /* SOCKET_TIMEOUT */, 210 /* NETWORK_ERROR */, 159 /* TIMEOUT_EXCEEDED */,
                            202 /* TOO_MANY_SIMULTANEOUS_QUERIES */, 241 /* MEMORY_LIMIT_EXCEEDED */,
                            279 /* ALL_CONNECTION_TRIES_FAILED */, 242 /* TABLE_IS_READ_ONLY */,
                            394 /* QUERY_WAS_CANCELLED */, 999 /* KEEPER_EXCEPTION */}) {
    EXPECT_TRUE(is_transient(code)) << code;
  }
}

TEST(ServerErrorClassTest, BrokenQueriesAreNot) {
  for (std::int32_t code :
       {62 /* SYNTAX_ERROR */, 47 /* UNKNOWN_IDENTIFIER */, 60 /* UNKNOWN_TABLE */, 81 /* UNKNOWN_DATABASE */,
        16 /* NO_SUCH_COLUMN_IN_TABLE */, 25 /* CANNOT_PARSE_ESCAPE_SEQUENCE */,
        26 /* CANNOT_PARSE_QUOTED_STRING */, 53 /* TYPE_MISMATCH */, 43 /* ILLEGAL_TYPE_OF_ARGUMENT */,
        49 /* LOGICAL_ERROR */, 192 /* UNKNOWN_USER */, 193 /* WRONG_PASSWORD */,
        291 /* DATABASE_ACCESS_DENIED */, 1001 /* STD_EXCEPTION */, 0, -1}) {
    EXPECT_FALSE(is_transient(code)) << code;
  }
}

TEST(ServerErrorClassTest, TheExceptionIsClassifiedByItsCode) {
  EXPECT_TRUE(
      is_transient(ServerError(241, "DB::Exception", "Memory limit (for query) exceeded", "Code: 241")));
  EXPECT_FALSE(is_transient(ServerError(47, "DB::Exception", "Unknown identifier: x", "Code: 47")));
}

}  // namespace
}  // namespace ypa::clickhouse
