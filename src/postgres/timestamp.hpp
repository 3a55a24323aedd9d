// timestamptz values as PostgreSQL text: exact to the microsecond, for COPY text and SQL literals.
#pragma once

#include <cstdint>
#include <string>

namespace ypa::postgres {

// "2025-01-01 00:00:00.000001+00" for Unix microseconds (UTC; negative values are before 1970).
std::string format_timestamptz(std::int64_t unix_us);

}  // namespace ypa::postgres
