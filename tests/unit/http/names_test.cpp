// The connection string the name cache uses: libpq's connect_timeout added to every form libpq takes,
// and left alone where the operator set one.
#include "http/names.hpp"

#include <gtest/gtest.h>

namespace ypa::http {
namespace {

TEST(NameCacheConninfoTest, ConnectTimeoutIsAddedToEveryForm) {
  using std::chrono::seconds;
  EXPECT_EQ(with_connect_timeout("", seconds(2)), "connect_timeout=2");
  EXPECT_EQ(with_connect_timeout("host=db port=5432", seconds(2)), "host=db port=5432 connect_timeout=2");
  EXPECT_EQ(with_connect_timeout("postgresql://u@db/ypa", seconds(3)),
            "postgresql://u@db/ypa?connect_timeout=3");
  EXPECT_EQ(with_connect_timeout("postgres://db/ypa?sslmode=disable", seconds(2)),
            "postgres://db/ypa?sslmode=disable&connect_timeout=2");
}

TEST(NameCacheConninfoTest, AConnectTimeoutAlreadySetIsKept) {
  EXPECT_EQ(with_connect_timeout("host=db connect_timeout=10", std::chrono::seconds(2)),
            "host=db connect_timeout=10");
  EXPECT_EQ(with_connect_timeout("postgresql://db/ypa?connect_timeout=10", std::chrono::seconds(2)),
            "postgresql://db/ypa?connect_timeout=10");
}

}  // namespace
}  // namespace ypa::http
