#include "domain/align.hpp"

namespace ypa::domain {
namespace {

constexpr std::int64_t kMicros = 1'000'000;

std::optional<std::uint32_t> grade(const std::optional<std::int32_t>& price) {
  if (!price || *price <= 0) return std::nullopt;
  return static_cast<std::uint32_t>(*price);
}

// Floor of microseconds to whole seconds (toward minus infinity, for instants before 1970 too).
EpochSeconds to_second(std::int64_t us) { return us >= 0 ? us / kMicros : -((-us + kMicros - 1) / kMicros); }

AlignedPrice make_row(const SourceRecord& r, EpochSeconds bucket) {
  AlignedPrice row;
  row.bucket = bucket;
  row.shop_id = r.shop_id;
  row.iphone_id = r.iphone_id;
  row.price_new = static_cast<std::uint32_t>(*r.price_new);
  row.price_a = grade(r.price_grade_a);
  row.price_b = grade(r.price_grade_b);
  row.record_time = to_second(r.recorded_at_us);
  row.alignment_diff_sec = static_cast<std::int32_t>(row.record_time - bucket);
  return row;
}

}  // namespace

bool is_valid(const SourceRecord& r) { return r.price_new && *r.price_new > 0; }

EpochSeconds earliest_relevant(EpochSeconds first_bucket, const AlignParams& params) {
  return params.mode == AlignMode::kLookback ? first_bucket - params.lookback_sec : first_bucket;
}

void align_pair(std::span<const SourceRecord> records, const BucketGrid& grid, const BucketRange& range,
                const AlignParams& params, std::vector<AlignedPrice>& out, SkipCounts& skipped) {
  const EpochSeconds step = grid.interval_sec();
  // Index of the valid record after `i`, so each record knows when it is superseded.
  std::vector<std::size_t> valid;
  valid.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (!r.price_new) {
      ++skipped.null_price;
    } else if (*r.price_new <= 0) {
      ++skipped.nonpositive_price;
    } else {
      valid.push_back(i);
    }
  }

  if (params.mode == AlignMode::kFloor) {
    // The last valid record of each floored bucket wins (input order is (recorded_at, id)).
    for (std::size_t k = 0; k < valid.size(); ++k) {
      const auto& r = records[valid[k]];
      EpochSeconds bucket = grid.floor(to_second(r.recorded_at_us));
      bool last_in_bucket = k + 1 == valid.size() ||
                            grid.floor(to_second(records[valid[k + 1]].recorded_at_us)) != bucket;
      if (last_in_bucket && bucket >= range.first && bucket <= range.last) out.push_back(make_row(r, bucket));
    }
    return;
  }

  // Lookback: record r serves every bucket T with r <= T < r + lookback, until a later valid record
  // r' <= T takes over. Equal timestamps: the later one in (recorded_at, id) order wins.
  const std::int64_t lookback_us = params.lookback_sec * kMicros;
  for (std::size_t k = 0; k < valid.size(); ++k) {
    const auto& r = records[valid[k]];
    std::int64_t t_us = r.recorded_at_us;
    // First bucket at or after the record: ceil to the grid.
    EpochSeconds sec = to_second(t_us);
    EpochSeconds first = grid.floor(sec);
    if (first * kMicros < t_us) first += step;
    // The record stops serving at T >= t + lookback, or at T >= next record's time.
    std::int64_t end_us = t_us + lookback_us;
    if (k + 1 < valid.size()) end_us = std::min(end_us, records[valid[k + 1]].recorded_at_us);
    for (EpochSeconds bucket = std::max(first, range.first); bucket <= range.last && bucket * kMicros < end_us;
         bucket += step) {
      out.push_back(make_row(r, bucket));
    }
  }
}

}  // namespace ypa::domain
