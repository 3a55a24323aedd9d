// Where the integration tests find their servers: the variables `eval "$(ypa stack env)"` exports.
// A missing variable fails the test with instructions; integration tests never skip silently.
#pragma once

#include <string>

#include "core/settings.hpp"

namespace ypa::testing {

// CLICKHOUSE_* from the environment; fails the current test (FAIL()) if CLICKHOUSE_PORT is unset.
ClickHouseSettings clickhouse_settings();
// A libpq conninfo for the stack's PostgreSQL (PG* variables must be set).
std::string postgres_conninfo();
// A fresh, empty database name for one test (letters, digits, _), unique per process and call.
std::string unique_name(const std::string& prefix);
// The source tree, for test data files.
std::string source_dir();

}  // namespace ypa::testing
