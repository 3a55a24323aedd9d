// Text form of Date and the DateTime type name with its zone.
#include "clickhouse/columns/date.hpp"

#include <date/date.h>

namespace ypa::clickhouse {

std::string format_day(std::int64_t days) {
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  return fmt::format("{:04}-{:02}-{:02}", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
}

void ColumnDate::append_text(std::size_t row, std::string& out) const {
  out += format_day((*this)[row]);
}

ColumnDateTime::ColumnDateTime(std::string zone)
    : NumberColumn<std::uint32_t>(zone.empty() ? std::string("DateTime") : "DateTime('" + zone + "')"),
      zone_(std::move(zone)) {}

}  // namespace ypa::clickhouse
