// Date (UInt16 days since 1970-01-01) and DateTime / DateTime('zone') (UInt32 Unix seconds; the zone
// lives only in the type name and changes how the server prints and partitions, not what is stored).
#pragma once

#include <cstdint>
#include <string>

#include "clickhouse/columns/numeric.hpp"

namespace ypa::clickhouse {

class ColumnDate final : public NumberColumn<std::uint16_t> {
 public:
  ColumnDate() : NumberColumn<std::uint16_t>("Date") {}
  // Text is YYYY-MM-DD.
  void append_text(std::size_t row, std::string& out) const override;
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnDate>(); }
};

class ColumnDateTime final : public NumberColumn<std::uint32_t> {
 public:
  // An empty zone means the server's zone ("DateTime").
  explicit ColumnDateTime(std::string zone = {});
  const std::string& zone() const { return zone_; }
  // Text is the Unix seconds in decimal, independent of any zone.
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnDateTime>(zone_); }

 private:
  std::string zone_;
};

// "YYYY-MM-DD" for a day number (days since 1970-01-01, proleptic Gregorian).
std::string format_day(std::int64_t days);

}  // namespace ypa::clickhouse
