// Text form of Date and the DateTime type name with its zone.
#include "clickhouse/columns/date.hpp"

namespace ypa::clickhouse {

std::string format_day(std::int64_t days) {
  // Civil-from-days over 400-year eras (Howard Hinnant's published derivation).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

void ColumnDate::append_text(std::size_t row, std::string& out) const {
  out += format_day((*this)[row]);
}

ColumnDateTime::ColumnDateTime(std::string zone)
    : NumberColumn<std::uint32_t>(zone.empty() ? std::string("DateTime") : "DateTime('" + zone + "')"),
      zone_(std::move(zone)) {}

}  // namespace ypa::clickhouse
