#include "pipeline/health_findings.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "clickhouse/client.hpp"
#include "core/env.hpp"
#include "store/pipeline_queries.hpp"

namespace ypa::pipeline {

HealthThresholds HealthThresholds::from_env() {
  HealthThresholds t;
  t.silent_buckets = static_cast<int>(env::get_int("HEALTH_SILENT_BUCKETS", t.silent_buckets, 1, 100000));
  t.filtered_share = env::get_double("HEALTH_FILTERED_SHARE", t.filtered_share, 0.0, 1.0);
  t.ratio_drift = env::get_double("HEALTH_RATIO_DRIFT", t.ratio_drift, 0.0, 1e6);
  return t;
}

std::vector<Finding> evaluate_findings(const std::vector<ShopState>& shops, const HealthThresholds& limits,
                                       EpochSeconds last_bucket, const BucketGrid& grid) {
  std::vector<Finding> out;
  const auto& zone = grid.zone();
  for (const auto& s : shops) {
    // Buckets since the bucket of the latest record (0 when it belongs to last_bucket).
    if (!s.last_record) {
      out.push_back({s.shop_id, FindingKind::kSilent,
                     fmt::format("shop {} silent: no record in the week before {}", s.shop_id,
                                 format_iso(last_bucket, zone))});
    } else {
      EpochSeconds since = (last_bucket - grid.floor(*s.last_record)) / grid.interval_sec();
      if (since > limits.silent_buckets) {
        out.push_back({s.shop_id, FindingKind::kSilent,
                       fmt::format("shop {} silent for {} buckets (latest record {}, limit {})", s.shop_id, since,
                                   format_iso(*s.last_record, zone), limits.silent_buckets)});
      }
    }
    if (s.cells > 0) {
      double share = static_cast<double>(s.filtered) / static_cast<double>(s.cells);
      if (share > limits.filtered_share) {
        out.push_back({s.shop_id, FindingKind::kFiltered,
                       fmt::format("shop {} filtered share {:.1f} % in the hour of {} ({} of {} cells outside the "
                                   "band, limit {:.1f} %)",
                                   s.shop_id, 100 * share, format_iso(s.hour, zone), s.filtered, s.cells,
                                   100 * limits.filtered_share)});
      }
    }
    if (std::isfinite(s.ratio) && std::abs(s.ratio - 1) > limits.ratio_drift) {
      out.push_back({s.shop_id, FindingKind::kRatioDrift,
                     fmt::format("shop {} price ratio {:.3f} to the cross-shop mean in the hour of {} (limit 1 +- "
                                 "{})",
                                 s.shop_id, s.ratio, format_iso(s.hour, zone), limits.ratio_drift)});
    }
  }
  return out;
}

std::vector<ShopState> load_shop_states(clickhouse::Client& client, const std::string& database,
                                        const std::string& run_id, EpochSeconds last_bucket,
                                        const BucketGrid& grid) {
  std::map<std::uint32_t, ShopState> shops;
  client.select(store::select_shop_last_records_sql(database, run_id, last_bucket - 7 * 86400, last_bucket),
                [&](const clickhouse::Block& b) {
                  for (std::size_t i = 0; i < b.row_count(); ++i) {
                    ShopState& s = shops[b.column(0).as<clickhouse::ColumnUInt32>()[i]];
                    s.shop_id = b.column(0).as<clickhouse::ColumnUInt32>()[i];
                    std::uint32_t last = b.column(1).as<clickhouse::ColumnUInt32>()[i];
                    if (last != 0) s.last_record = last;
                    s.ratio = NAN;
                  }
                });
  // The hour rows of the last two hours, oldest first: the latest, and the one before when the latest
  // does not yet hold a whole hour, so that a finding does not come and go with the first buckets of
  // each hour.
  const EpochSeconds full = 3600 / grid.interval_sec();
  struct HourRow {
    EpochSeconds hour;
    std::uint64_t buckets, filtered, cells;
    double ratio;
  };
  std::map<std::uint32_t, std::vector<HourRow>> rows;
  client.select(store::select_shop_hours_sql(database, run_id, last_bucket - 7200 + 1, last_bucket),
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
    s.filtered = latest.filtered;
    s.cells = latest.cells;
    s.ratio = latest.ratio;
    if (latest.buckets < static_cast<std::uint64_t>(full) && hours.size() > 1) {
      const HourRow& before = hours[hours.size() - 2];
      s.hour = before.hour;
      s.filtered += before.filtered;
      s.cells += before.cells;
      // A median cannot be merged: the one over more cells stands for the two hours.
      if (before.cells > latest.cells || std::isnan(latest.ratio)) s.ratio = before.ratio;
    }
  }
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

}  // namespace ypa::pipeline
