// Time zones, the local-wall-clock bucket grid and the --from/--to range rules of SPEC §3.
// Instants are Unix seconds (UTC); "local" values are wall-clock fields in the pipeline's zone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace ypa {

using EpochSeconds = std::int64_t;

struct LocalDateTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  friend bool operator==(const LocalDateTime&, const LocalDateTime&) = default;
};

class TimeZone {
 public:
  // Throws InputError for a name the system's tz database does not know.
  explicit TimeZone(std::string_view name);

  const std::string& name() const { return name_; }
  LocalDateTime to_local(EpochSeconds t) const;
  // A wall-clock time that a DST change skips maps to the instant after the gap; a repeated one to
  // the earlier instant.
  EpochSeconds from_local(const LocalDateTime& local) const;
  // Seconds east of UTC at instant t.
  int utc_offset(EpochSeconds t) const;

 private:
  std::string name_;
  const date::time_zone* zone_;
};

// Buckets every `interval_min` minutes aligned to the zone's wall clock (:00/:15/:30/:45 for 15).
class BucketGrid {
 public:
  BucketGrid(TimeZone zone, int interval_min);

  const TimeZone& zone() const { return zone_; }
  int interval_min() const { return interval_min_; }
  EpochSeconds interval_sec() const { return EpochSeconds{interval_min_} * 60; }
  // The latest bucket at or before t.
  EpochSeconds floor(EpochSeconds t) const;
  bool on_grid(EpochSeconds t) const { return floor(t) == t; }

 private:
  TimeZone zone_;
  int interval_min_;
};

// Inclusive range of buckets [first, last].
struct BucketRange {
  EpochSeconds first = 0;
  EpochSeconds last = 0;
};

// Parses the --from/--to pair: a bare YYYY-MM-DD means that whole day (00:00 through the day's last
// bucket), YYYY-MM-DDTHH:MM names one bucket, which must lie on the grid. Throws InputError naming the
// flag for a malformed value, an off-grid time, or from after to.
BucketRange parse_bucket_range(std::string_view from, std::string_view to, const BucketGrid& grid);

// Parses a calendar date YYYY-MM-DD; `what` names the input in the error message.
LocalDateTime parse_date(std::string_view text, std::string_view what);

// ISO 8601 with the zone's offset, e.g. 2025-01-31T20:00:00+09:00.
std::string format_iso(EpochSeconds t, const TimeZone& zone);
// "2025-01-31 20:00:00", the zone-less form ClickHouse and PostgreSQL literals use.
std::string format_sql(EpochSeconds t, const TimeZone& zone);

}  // namespace ypa
