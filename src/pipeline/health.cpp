#include "pipeline/health.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "domain/aggregate.hpp"

namespace ypa::pipeline {
namespace {

constexpr std::int64_t kMicros = 1'000'000;
constexpr EpochSeconds kHour = 3600;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

EpochSeconds hour_start(EpochSeconds t, const TimeZone& zone) {
  LocalDateTime local = zone.to_local(t);
  return t - local.minute * 60 - local.second;
}

EpochSeconds record_bucket(std::int64_t recorded_at_us, domain::AlignMode mode, const BucketGrid& grid) {
  if (mode == domain::AlignMode::kFloor) return grid.floor(floor_div(recorded_at_us, kMicros));
  EpochSeconds up = -floor_div(-recorded_at_us, kMicros);  // ceil to the second
  EpochSeconds down = grid.floor(up);
  return down == up ? up : down + grid.interval_sec();
}

ShopHealth::ShopHealth(const Catalog& catalog, const BucketGrid& grid, const domain::AlignParams& align,
                       double outlier_band)
    : catalog_(catalog), grid_(grid), align_(align), band_(outlier_band) {}

ShopHealth::Hour& ShopHealth::hour(EpochSeconds start) {
  auto [it, fresh] = hours_.try_emplace(start);
  if (fresh) {
    it->second.shops.resize(catalog_.shop_ids.size());
    for (auto& s : it->second.shops) s.iphone_seen.assign(catalog_.iphone_ids.size(), 0);
  }
  return it->second;
}

EpochSeconds ShopHealth::hour_of_bucket(EpochSeconds bucket) {
  if (bucket != cached_bucket_) {
    cached_bucket_ = bucket;
    cached_hour_ = hour_start(bucket, grid_.zone());
  }
  return cached_hour_;
}

void ShopHealth::add_records(const BucketRange& buckets, std::span<const domain::SourceRecord> records,
                             std::span<const std::uint32_t> cells) {
  const auto n_shops = static_cast<std::uint32_t>(catalog_.shop_ids.size());
  for (EpochSeconds b = buckets.first; b <= buckets.last; b += grid_.interval_sec()) ++hour(hour_of_bucket(b)).buckets;
  Hour* current = nullptr;
  EpochSeconds current_start = -1;
  // Records come in recorded_at order: the bucket of the previous record usually serves the next one
  // too, which saves the zone lookup of record_bucket(). It holds the records in [lo_us, hi_us].
  EpochSeconds bucket = 0;
  std::int64_t lo_us = 1, hi_us = 0;
  const std::int64_t step_us = grid_.interval_sec() * kMicros;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const domain::SourceRecord& r = records[i];
    if (cells[i] == kOutsideCatalog) continue;  // outside the run's catalogue (--shop-ids, --iphone-ids, --shard)
    const std::uint32_t series = cells[i] / n_shops, shop = cells[i] % n_shops;
    if (r.recorded_at_us < lo_us || r.recorded_at_us > hi_us) {
      bucket = record_bucket(r.recorded_at_us, align_.mode, grid_);
      // Lookback: (T - interval, T]; floor: [T, T + interval).
      lo_us = align_.mode == domain::AlignMode::kFloor ? bucket * kMicros : bucket * kMicros - step_us + 1;
      hi_us = align_.mode == domain::AlignMode::kFloor ? bucket * kMicros + step_us - 1 : bucket * kMicros;
    }
    if (bucket < buckets.first || bucket > buckets.last) continue;  // another slice's record
    if (align_.mode == domain::AlignMode::kLookback && r.recorded_at_us <= (bucket - align_.lookback_sec) * kMicros) {
      continue;  // PIPELINE_LOOKBACK_MIN below the interval: too old for its own bucket
    }
    EpochSeconds start = hour_of_bucket(bucket);
    if (start != current_start) {
      current = &hour(start);
      current_start = start;
    }
    ShopHour& sh = current->shops[shop];
    ++sh.records;
    if (!r.price_new || *r.price_new <= 0) {
      ++sh.invalid;
    } else {
      sh.iphone_seen[series] = 1;
    }
    if (!sh.any_record || r.recorded_at_us > sh.last_us) sh.last_us = r.recorded_at_us;
    sh.any_record = true;
  }
}

void ShopHealth::add_cells(const BucketRange& buckets, const compute::PriceCube& cube,
                           const compute::StatsFrame& iphones) {
  std::vector<double> prices;
  std::vector<std::size_t> shops;
  auto keep_storage = std::make_unique<bool[]>(cube.n_shops);
  for (std::size_t b = 0; b < cube.n_buckets; ++b) {
    EpochSeconds bucket = buckets.first + static_cast<EpochSeconds>(b) * grid_.interval_sec();
    const EpochSeconds start = hour_of_bucket(bucket);
    Hour& h = hour(start);
    for (std::size_t s = 0; s < cube.n_series; ++s) {
      const double* row = &cube.price[cube.offset(s, b)];
      prices.clear();
      shops.clear();
      for (std::size_t k = 0; k < cube.n_shops; ++k) {
        if (!std::isnan(row[k])) {
          prices.push_back(row[k]);
          shops.push_back(k);
        }
      }
      if (prices.empty()) continue;
      // The aggregate's own filter (SPEC §4) on the prices in the same order, so the same decisions.
      std::span<bool> keep(keep_storage.get(), prices.size());
      domain::outlier_filter(prices, band_, keep);
      double sum = 0;
      for (double p : prices) sum += p;
      double m0 = sum / static_cast<double>(prices.size());
      double mean = iphones.mean[iphones.index(s, b)];
      for (std::size_t j = 0; j < prices.size(); ++j) {
        ShopHour& sh = h.shops[shops[j]];
        ++sh.cells;
        if (!keep[j]) ++(prices[j] > m0 ? sh.above : sh.below);
        if (sh.ratio_done) throw std::logic_error("ShopHealth: a cell for an hour already finished");
        sh.ratios.push_back(prices[j] / mean);
      }
    }
    // The hour's last bucket: its ratios are all in.
    if (hour_of_bucket(bucket + grid_.interval_sec()) != start) finish_ratios(h);
  }
}

void ShopHealth::finish_ratios(Hour& hour) {
  for (ShopHour& sh : hour.shops) {
    if (sh.ratio_done) continue;
    sh.ratio_median = domain::median_in_place(sh.ratios);
    std::vector<double>().swap(sh.ratios);
    sh.ratio_done = true;
  }
}

std::vector<ShopHealthRow> ShopHealth::take(EpochSeconds last_bucket, EpochSeconds run_first, bool final) {
  std::vector<ShopHealthRow> rows;
  for (auto it = hours_.begin(); it != hours_.end();) {
    EpochSeconds start = it->first;
    if (!final && start + kHour - grid_.interval_sec() > last_bucket) break;
    if (start >= run_first) {
      for (std::size_t k = 0; k < it->second.shops.size(); ++k) {
        ShopHour& sh = it->second.shops[k];
        ShopHealthRow row;
        row.hour = start;
        row.shop_id = catalog_.shop_ids[k];
        row.buckets = it->second.buckets;
        row.records_read = sh.records;
        row.invalid_prices = sh.invalid;
        row.cells = sh.cells;
        row.above_band = sh.above;
        row.below_band = sh.below;
        for (auto seen : sh.iphone_seen) row.iphones += seen;
        if (sh.any_record) row.last_recorded_at = floor_div(sh.last_us, kMicros);
        row.price_ratio_median = sh.ratio_done ? sh.ratio_median : domain::median_in_place(sh.ratios);
        rows.push_back(row);
      }
    }
    it = hours_.erase(it);
  }
  return rows;
}

}  // namespace ypa::pipeline
