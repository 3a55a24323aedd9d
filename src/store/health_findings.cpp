#include "store/health_findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "clickhouse/client.hpp"
#include "core/env.hpp"
#include "store/pipeline_queries.hpp"

namespace ypa::store {

HealthThresholds HealthThresholds::from_env() {
  HealthThresholds t;
  t.silent_buckets = static_cast<int>(env::get_int("HEALTH_SILENT_BUCKETS", t.silent_buckets, 1, 100000));
  t.filtered_share = env::get_double("HEALTH_FILTERED_SHARE", t.filtered_share, 0.0, 1.0);
  t.ratio_drift = env::get_double("HEALTH_RATIO_DRIFT", t.ratio_drift, 0.0, kMaxRatioDrift);
  t.coverage_drop = env::get_double("HEALTH_COVERAGE_DROP", t.coverage_drop, 0.0, 1.0);
  return t;
}

std::string_view finding_kind_name(FindingKind kind) {
  switch (kind) {
    case FindingKind::kSilent:
      return "silent";
    case FindingKind::kFiltered:
      return "filtered";
    case FindingKind::kRatioDrift:
      return "ratio";
    case FindingKind::kCoverage:
      return "coverage";
  }
  return "unknown";
}

double median_of(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::optional<std::uint64_t> coverage_cells(const ShopState& shop) {
  const auto& [before, previous, last] = shop.bucket_cells;
  // A missed scrape next to a scrape that listed few of the shop's iPhones is no drop: compare the last
  // two scrapes, skipping one missed bucket. With a single scrape among the three (a shop going silent,
  // two missed scrapes in a row, a shop coming back from a silence), nothing is measured.
  std::vector<std::uint64_t> scrapes;
  for (std::uint64_t n : {before, previous, last}) {
    if (n > 0) scrapes.push_back(n);
  }
  if (scrapes.size() < 2) return std::nullopt;
  return std::max(scrapes[scrapes.size() - 2], scrapes.back());
}

double coverage_of(const ShopState& shop) {
  const auto cells = coverage_cells(shop);
  if (!cells || !std::isfinite(shop.baseline) || shop.baseline <= 0) return NAN;
  return static_cast<double>(*cells) / shop.baseline;
}

std::vector<Finding> evaluate_findings(const std::vector<ShopState>& shops, const HealthThresholds& limits,
                                       EpochSeconds last_bucket, const BucketGrid& grid) {
  std::vector<Finding> out;
  const auto& zone = grid.zone();
  // The second reference of the price ratio: the median of all shops' ratios of the same hour, so that
  // one shop far off (which moves the cross-shop mean, and with it the ratio of every shop that shares
  // its iPhones) is the only one far from both. With fewer than 3 shops in that hour, the median over all hours' ratios; with fewer
  // than 3 ratios at all, 1.
  std::map<EpochSeconds, std::vector<double>> by_hour;
  std::vector<double> all;
  for (const auto& s : shops) {
    if (!std::isfinite(s.ratio)) continue;
    by_hour[s.ratio_hour].push_back(s.ratio);
    all.push_back(s.ratio);
  }
  std::map<EpochSeconds, double> reference;
  const double overall = all.size() >= 3 ? median_of(all) : 1.0;
  for (auto& [hour, ratios] : by_hour) reference[hour] = ratios.size() >= 3 ? median_of(ratios) : overall;
  for (const auto& s : shops) {
    // Buckets since the bucket of the latest record (0 when it belongs to last_bucket).
    if (!s.last_record) {
      out.push_back({s.shop_id, FindingKind::kSilent,
                     fmt::format("shop {} silent: no record in the week before {}", s.shop_id,
                                 format_iso(last_bucket, zone)),
                     NAN});
    } else {
      EpochSeconds since = (last_bucket - grid.floor(*s.last_record)) / grid.interval_sec();
      if (since > limits.silent_buckets) {
        out.push_back({s.shop_id, FindingKind::kSilent,
                       fmt::format("shop {} silent for {} buckets (latest record {}, limit {})", s.shop_id, since,
                                   format_iso(*s.last_record, zone), limits.silent_buckets),
                       static_cast<double>(since)});
      }
    }
    if (s.cells > 0) {
      double share = static_cast<double>(s.filtered) / static_cast<double>(s.cells);
      if (share > limits.filtered_share) {
        out.push_back({s.shop_id, FindingKind::kFiltered,
                       fmt::format("shop {} filtered share {:.1f} % in the hour of {} ({} of {} cells outside the "
                                   "band, limit {:.1f} %)",
                                   s.shop_id, 100 * share, format_iso(s.hour, zone), s.filtered, s.cells,
                                   100 * limits.filtered_share),
                       share});
      }
    }
    if (std::isfinite(s.ratio)) {
      const double ref = reference[s.ratio_hour];
      const double relative = std::isfinite(ref) && ref > 0 ? s.ratio / ref : s.ratio;
      // Off from the cross-shop mean and from the median shop: a shop near the mean is not drifting
      // (even when one shop far off moved the others' ratios), nor is one where most shops are.
      if (std::abs(s.ratio - 1) > limits.ratio_drift && std::abs(relative - 1) > limits.ratio_drift) {
        out.push_back({s.shop_id, FindingKind::kRatioDrift,
                       fmt::format("shop {} price ratio {:.3f} to the cross-shop mean in the hour of {}, {:.3f} times "
                                   "the median shop's {:.3f} (limit 1 +- {})",
                                   s.shop_id, s.ratio, format_iso(s.ratio_hour, zone), relative, ref,
                                   limits.ratio_drift),
                       relative});
      }
    }
    const double coverage = coverage_of(s);
    const std::uint64_t recent = coverage_cells(s).value_or(0);
    // And some cells short: with few cells per bucket, one iPhone missing from a scrape or two is a large
    // share of the coverage.
    if (std::isfinite(coverage) && coverage < 1 - limits.coverage_drop &&
        s.baseline - static_cast<double>(recent) >= HealthThresholds::kMinCoverageShortfall) {
      out.push_back({s.shop_id, FindingKind::kCoverage,
                     fmt::format("shop {} coverage dropped to {:.0f} %: at most {} cells in its last two scrapes up "
                                 "to {}, {:.2f} per bucket in the 24 hours before (limit {:.0f} %)",
                                 s.shop_id, 100 * coverage, recent, format_iso(last_bucket, zone), s.baseline,
                                 100 * (1 - limits.coverage_drop)),
                     coverage});
    }
  }
  return out;
}

std::vector<ShopState> load_shop_states(clickhouse::Client& client, const std::string& database,
                                        const std::string& run_id, EpochSeconds last_bucket,
                                        const BucketGrid& grid) {
  std::map<std::uint32_t, ShopState> shops;
  client.select(select_shop_last_records_sql(database, run_id, last_bucket - 7 * 86400, last_bucket),
                [&](const clickhouse::Block& b) {
                  for (std::size_t i = 0; i < b.row_count(); ++i) {
                    ShopState& s = shops[b.column(0).as<clickhouse::ColumnUInt32>()[i]];
                    s.shop_id = b.column(0).as<clickhouse::ColumnUInt32>()[i];
                    std::uint32_t last = b.column(1).as<clickhouse::ColumnUInt32>()[i];
                    if (last != 0) s.last_record = last;
                    s.ratio = NAN;
                  }
                });
  // The hour rows of the last 25 hours, oldest first: the latest, the one before when the latest does
  // not yet hold a whole hour (so that a finding does not come and go with the first buckets of each
  // hour), and the 24 before the latest for the coverage baseline.
  const EpochSeconds full = 3600 / grid.interval_sec();
  struct HourRow {
    EpochSeconds hour;
    std::uint64_t buckets, filtered, cells;
    double ratio;
  };
  std::map<std::uint32_t, std::vector<HourRow>> rows;
  client.select(select_shop_hours_sql(database, run_id, last_bucket - 25 * 3600 + 1, last_bucket),
                [&](const clickhouse::Block& b) {
                  for (std::size_t i = 0; i < b.row_count(); ++i) {
                    rows[b.column(0).as<clickhouse::ColumnUInt32>()[i]].push_back(
                        HourRow{b.column(1).as<clickhouse::ColumnUInt32>()[i],
                                b.column(2).as<clickhouse::ColumnUInt64>()[i],
                                b.column(3).as<clickhouse::ColumnUInt64>()[i],
                                b.column(4).as<clickhouse::ColumnUInt64>()[i],
                                b.column(5).as<clickhouse::ColumnFloat64>()[i]});
                  }
                });
  for (auto& [shop_id, hours] : rows) {
    auto it = shops.find(shop_id);
    if (it == shops.end() || hours.empty()) continue;
    ShopState& s = it->second;
    const HourRow& latest = hours.back();
    s.hour = latest.hour;
    s.ratio_hour = latest.hour;
    s.filtered = latest.filtered;
    s.cells = latest.cells;
    s.ratio = latest.ratio;
    if (latest.buckets < static_cast<std::uint64_t>(full) && hours.size() > 1 &&
        hours[hours.size() - 2].hour == latest.hour - 3600) {
      const HourRow& before = hours[hours.size() - 2];
      s.hour = before.hour;
      s.filtered += before.filtered;
      s.cells += before.cells;
      // A median cannot be merged: the latest hour's stands once it holds two buckets (prices that
      // went wrong in the latest bucket are half of its cells, so they move the median), the hour
      // before's while it holds one (a median over a single scrape comes and goes) or has no cells.
      if (latest.buckets < 2 || std::isnan(latest.ratio)) {
        s.ratio = before.ratio;
        s.ratio_hour = before.hour;
      }
    }
    std::vector<double> per_bucket;
    for (std::size_t i = 0; i + 1 < hours.size(); ++i) {
      if (hours[i].hour < latest.hour - 86400 || hours[i].buckets == 0) continue;
      per_bucket.push_back(static_cast<double>(hours[i].cells) / static_cast<double>(hours[i].buckets));
    }
    s.baseline = median_of(std::move(per_bucket));
  }
  // The shop's cells in each of the last three buckets (a bucket without a row has none).
  const EpochSeconds step = grid.interval_sec();
  client.select(select_shop_bucket_cells_sql(database, run_id, last_bucket - 2 * step, last_bucket),
                [&](const clickhouse::Block& b) {
                  for (std::size_t i = 0; i < b.row_count(); ++i) {
                    auto it = shops.find(b.column(0).as<clickhouse::ColumnUInt32>()[i]);
                    if (it == shops.end()) continue;
                    const EpochSeconds back = (last_bucket - b.column(1).as<clickhouse::ColumnUInt32>()[i]) / step;
                    if (back < 0 || back > 2) continue;
                    it->second.bucket_cells[static_cast<std::size_t>(2 - back)] =
                        b.column(2).as<clickhouse::ColumnUInt64>()[i];
                  }
                });
  std::vector<ShopState> out;
  for (auto& [_, s] : shops) out.push_back(s);
  return out;
}

FindingTracker::Change FindingTracker::update(const std::vector<Finding>& current) {
  Change change;
  std::map<std::pair<std::uint32_t, FindingKind>, Finding> now;
  for (const auto& f : current) now.emplace(std::pair{f.shop_id, f.kind}, f);
  for (const auto& [key, f] : now) {
    if (!open_.count(key)) change.appeared.push_back(f);
  }
  for (const auto& [key, f] : open_) {
    if (!now.count(key)) change.cleared.push_back(f);
  }
  open_ = std::move(now);
  return change;
}

}  // namespace ypa::store
