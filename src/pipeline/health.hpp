// Per (shop, hour) data health of a run (docs/shop-health.md): what the engine saw of each shop's
// records while aligning, and of each shop's cells in the cross-shop aggregate. Computed on the CPU from
// the source records and the price cube, whatever the compute backend (the ratios divide by the
// backend's cross-shop mean). Hours are accumulated across slices, so the rows do not depend on slicing
// or batching.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "compute/frame.hpp"
#include "core/time.hpp"
#include "domain/align.hpp"
#include "pipeline/catalog.hpp"

namespace ypa::pipeline {

// One row of shop_health (without run_id and inserted_at).
struct ShopHealthRow {
  EpochSeconds hour = 0;  // the start of the local hour (PIPELINE_TZ)
  std::uint32_t shop_id = 0;
  std::uint16_t buckets = 0;  // the run's buckets inside the hour
  std::uint32_t records_read = 0;
  std::uint32_t invalid_prices = 0;
  std::uint32_t cells = 0;
  std::uint32_t above_band = 0;
  std::uint32_t below_band = 0;
  std::uint32_t iphones = 0;
  std::optional<EpochSeconds> last_recorded_at;  // truncated to the second
  double price_ratio_median = 0;                 // NaN when the shop has no cell in the hour
};

// The start of the local wall-clock hour that contains t.
EpochSeconds hour_start(EpochSeconds t, const TimeZone& zone);

// The bucket a record belongs to: lookback mode the first bucket T with recorded_at <= T (so
// T - interval < recorded_at <= T), floor mode the bucket T with T <= recorded_at < T + interval.
EpochSeconds record_bucket(std::int64_t recorded_at_us, domain::AlignMode mode, const BucketGrid& grid);

class ShopHealth {
 public:
  ShopHealth(const Catalog& catalog, const BucketGrid& grid, const domain::AlignParams& align, double outlier_band);

  // The source records of a written slice; those whose bucket lies in `buckets` count (in lookback
  // mode only those within the lookback before their bucket: the ones alignment can use). `cells[i]` is
  // record i's iPhone index x shop count + shop index in the catalogue, or kOutsideCatalog: the key the
  // slice grouped the records by, so that no id is looked up twice.
  static constexpr std::uint32_t kOutsideCatalog = UINT32_MAX;
  void add_records(const BucketRange& buckets, std::span<const domain::SourceRecord> records,
                   std::span<const std::uint32_t> cells);
  // The slice's price cube (buckets from buckets.first) and its cross-shop aggregate.
  void add_cells(const BucketRange& buckets, const compute::PriceCube& cube, const compute::StatsFrame& iphones);
  // The rows of the hours that are complete once `last_bucket` is done (every hour when `final`),
  // except hours that begin before `run_first` (the run does not hold their start). Taken rows are
  // forgotten.
  std::vector<ShopHealthRow> take(EpochSeconds last_bucket, EpochSeconds run_first, bool final);

 private:
  struct ShopHour {
    std::uint32_t records = 0, invalid = 0, cells = 0, above = 0, below = 0;
    std::vector<std::uint8_t> iphone_seen;  // by series index
    std::int64_t last_us = 0;
    bool any_record = false;
    // price / cross-shop mean of each cell, until the hour's last bucket is in; then their median, and
    // the values are freed (a slice of 30 days would otherwise hold them all: 8 bytes a cell).
    std::vector<double> ratios;
    double ratio_median = 0;
    bool ratio_done = false;
  };
  struct Hour {
    std::uint16_t buckets = 0;
    std::vector<ShopHour> shops;
  };
  Hour& hour(EpochSeconds start);
  EpochSeconds hour_of_bucket(EpochSeconds bucket);
  static void finish_ratios(Hour& hour);

  const Catalog& catalog_;
  const BucketGrid& grid_;
  domain::AlignParams align_;
  double band_;
  std::map<EpochSeconds, Hour> hours_;
  EpochSeconds cached_bucket_ = -1, cached_hour_ = 0;
};

}  // namespace ypa::pipeline
