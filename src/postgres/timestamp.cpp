#include "postgres/timestamp.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <chrono>

namespace ypa::postgres {

std::string format_timestamptz(std::int64_t unix_us) {
  using std::chrono::microseconds;
  date::sys_time<microseconds> t{microseconds{unix_us}};
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<microseconds> tod{t - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()), tod.hours().count(), tod.minutes().count(), tod.seconds().count(),
                     tod.subseconds().count());
}

}  // namespace ypa::postgres
