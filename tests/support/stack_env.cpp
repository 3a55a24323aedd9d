#include "support/stack_env.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace ypa::testing {
namespace {
void require(const char* variable) {
  if (std::getenv(variable) == nullptr) {
    ADD_FAILURE() << variable
                  << " is not set: integration tests need the servers of `ypa stack up`; "
                     "run `eval \"$(build/ypa stack env)\"` first (scripts/test.sh does this)";
    throw std::runtime_error(std::string(variable) + " not set");
  }
}
}  // namespace

ClickHouseSettings clickhouse_settings() {
  require("CLICKHOUSE_PORT");
  return ClickHouseSettings::from_env();
}

std::string postgres_conninfo() {
  require("PGPORT");
  return "";  // libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE itself
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

std::string source_dir() { return YPA_SOURCE_DIR; }

}  // namespace ypa::testing
