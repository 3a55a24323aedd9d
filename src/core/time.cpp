#include "core/time.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "core/errors.hpp"

namespace ypa {
namespace {

using std::chrono::seconds;
using SysSeconds = date::sys_time<seconds>;
using LocalSeconds = date::local_time<seconds>;

LocalSeconds to_local_seconds(const LocalDateTime& l) {
  auto day = date::local_days{date::year{l.year} / l.month / l.day};
  return LocalSeconds{day} + std::chrono::hours{l.hour} + std::chrono::minutes{l.minute} + seconds{l.second};
}

LocalDateTime from_local_seconds(LocalSeconds t) {
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss hms{t - day};
  return LocalDateTime{int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())),
                       int(hms.hours().count()), int(hms.minutes().count()), int(hms.seconds().count())};
}

bool parse_fixed(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) return false;
  auto* begin = text.data() + pos;
  for (std::size_t i = 0; i < len; ++i) {
    if (begin[i] < '0' || begin[i] > '9') return false;
  }
  std::from_chars(begin, begin + len, out);
  return true;
}

bool valid_date(int y, int m, int d) {
  return date::year_month_day{date::year{y} / m / d}.ok() && y >= 1970 && y <= 2105;
}

}  // namespace

TimeZone::TimeZone(std::string_view name) : name_(name), zone_(nullptr) {
  try {
    zone_ = date::locate_zone(name_);
  } catch (const std::exception&) {
    throw InputError(fmt::format("time zone '{}': not in the system's tz database", name_));
  }
}

LocalDateTime TimeZone::to_local(EpochSeconds t) const {
  return from_local_seconds(zone_->to_local(SysSeconds{seconds{t}}));
}

EpochSeconds TimeZone::from_local(const LocalDateTime& local) const {
  auto lt = to_local_seconds(local);
  auto info = zone_->get_info(lt);
  SysSeconds sys;
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // the earlier of the two instants
      sys = SysSeconds{lt.time_since_epoch()} - info.first.offset;
      break;
    case date::local_info::nonexistent:  // inside a DST gap: the instant the gap ends
    default:
      sys = info.second.begin;
      break;
  }
  return sys.time_since_epoch().count();
}

int TimeZone::utc_offset(EpochSeconds t) const {
  // The tz lookup is a binary search over transitions; bucketing calls this per record, and consecutive
  // calls almost always fall in the same offset period, so remember the last one per thread.
  struct Cached {
    const date::time_zone* zone = nullptr;
    EpochSeconds begin = 0, end = 0;
    int offset = 0;
  };
  thread_local Cached cached;
  if (cached.zone == zone_ && t >= cached.begin && t < cached.end) return cached.offset;
  auto info = zone_->get_info(SysSeconds{seconds{t}});
  cached = {zone_, info.begin.time_since_epoch().count(), info.end.time_since_epoch().count(),
            static_cast<int>(info.offset.count())};
  return cached.offset;
}

BucketGrid::BucketGrid(TimeZone zone, int interval_min) : zone_(std::move(zone)), interval_min_(interval_min) {
  if (interval_min <= 0 || 1440 % interval_min != 0) {
    throw InputError(fmt::format("interval {} minutes: must be positive and divide a day", interval_min));
  }
}

EpochSeconds BucketGrid::floor(EpochSeconds t) const {
  EpochSeconds local = t + zone_.utc_offset(t);
  EpochSeconds step = interval_sec();
  EpochSeconds floored_local = local - (((local % step) + step) % step);
  // Converting back through the zone keeps the grid on the wall clock across offset changes.
  EpochSeconds back = floored_local - zone_.utc_offset(t);
  return back <= t ? back : back - step;
}

LocalDateTime parse_date(std::string_view text, std::string_view what) {
  LocalDateTime d;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !parse_fixed(text, 0, 4, d.year) ||
      !parse_fixed(text, 5, 2, d.month) || !parse_fixed(text, 8, 2, d.day)) {
    throw InputError(fmt::format("{}='{}': expected a date YYYY-MM-DD", what, text));
  }
  if (!valid_date(d.year, d.month, d.day)) {
    throw InputError(fmt::format("{}='{}': no such date", what, text));
  }
  return d;
}

namespace {

// First or last bucket named by a --from/--to value.
EpochSeconds parse_bound(std::string_view text, std::string_view what, const BucketGrid& grid, bool is_end) {
  if (text.size() == 10) {
    LocalDateTime day = parse_date(text, what);
    if (!is_end) return grid.zone().from_local(day);
    auto next_day = date::local_days{date::year{day.year} / day.month / day.day} + date::days{1};
    LocalDateTime next = from_local_seconds(LocalSeconds{next_day});
    return grid.floor(grid.zone().from_local(next) - 1);
  }
  LocalDateTime t;
  bool shaped = text.size() == 16 && text[10] == 'T' && text[13] == ':' && text[4] == '-' && text[7] == '-' &&
                parse_fixed(text, 0, 4, t.year) && parse_fixed(text, 5, 2, t.month) && parse_fixed(text, 8, 2, t.day) &&
                parse_fixed(text, 11, 2, t.hour) && parse_fixed(text, 14, 2, t.minute);
  if (!shaped) {
    throw InputError(fmt::format("{}='{}': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM", what, text));
  }
  if (!valid_date(t.year, t.month, t.day) || t.hour > 23 || t.minute > 59) {
    throw InputError(fmt::format("{}='{}': no such date or time", what, text));
  }
  EpochSeconds instant = grid.zone().from_local(t);
  if (!grid.on_grid(instant)) {
    throw InputError(fmt::format("{}='{}': not on the {}-minute bucket grid", what, text, grid.interval_min()));
  }
  return instant;
}

}  // namespace

BucketRange parse_bucket_range(std::string_view from, std::string_view to, const BucketGrid& grid) {
  BucketRange range{parse_bound(from, "--from", grid, false), parse_bound(to, "--to", grid, true)};
  if (range.first > range.last) {
    throw InputError(fmt::format("--from {} is after --to {}", from, to));
  }
  return range;
}

std::string format_iso(EpochSeconds t, const TimeZone& zone) {
  LocalDateTime l = zone.to_local(t);
  int offset = zone.utc_offset(t);
  char sign = offset < 0 ? '-' : '+';
  int abs_offset = offset < 0 ? -offset : offset;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", l.year, l.month, l.day, l.hour, l.minute,
                     l.second, sign, abs_offset / 3600, (abs_offset % 3600) / 60);
}

std::string format_sql(EpochSeconds t, const TimeZone& zone) {
  LocalDateTime l = zone.to_local(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", l.year, l.month, l.day, l.hour, l.minute, l.second);
}

}  // namespace ypa
