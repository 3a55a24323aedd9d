// Alignment of raw price records to the bucket grid (SPEC §3.1): which record each (shop, iPhone)
// contributes to bucket T, in `lookback` mode (latest record with T - lookback < recorded_at <= T) or
// `floor` mode (the design document's pandas sketch: floor to the grid, latest per bucket).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/time.hpp"

namespace ypa::domain {

// One row of the source price table as read from PostgreSQL.
struct SourceRecord {
  std::int64_t id = 0;
  std::uint32_t shop_id = 0;
  std::uint32_t iphone_id = 0;
  std::optional<std::int32_t> price_new;
  std::optional<std::int32_t> price_grade_a;
  std::optional<std::int32_t> price_grade_b;
  std::int64_t recorded_at_us = 0;  // Unix microseconds
};

// One row of price_aligned (without run_id and inserted_at).
struct AlignedPrice {
  EpochSeconds bucket = 0;
  std::uint32_t shop_id = 0;
  std::uint32_t iphone_id = 0;
  std::uint32_t price_new = 0;
  std::optional<std::uint32_t> price_a;
  std::optional<std::uint32_t> price_b;
  EpochSeconds record_time = 0;        // recorded_at truncated to the second
  std::int32_t alignment_diff_sec = 0;  // record_time - bucket
};

enum class AlignMode { kLookback, kFloor };

struct AlignParams {
  AlignMode mode = AlignMode::kLookback;
  EpochSeconds lookback_sec = 900;
};

// Why records were skipped (SPEC §2: valid means price_new present and > 0).
struct SkipCounts {
  std::int64_t null_price = 0;
  std::int64_t nonpositive_price = 0;
  std::int64_t total() const { return null_price + nonpositive_price; }
};

// A record is valid when price_new is present and > 0.
bool is_valid(const SourceRecord& r);

// Aligns the records of ONE (shop, iPhone) pair, sorted by (recorded_at, id), emitting rows only for
// buckets inside [range.first, range.last]. Invalid records are counted in `skipped` and ignored.
void align_pair(std::span<const SourceRecord> records, const BucketGrid& grid, const BucketRange& range,
                const AlignParams& params, std::vector<AlignedPrice>& out, SkipCounts& skipped);

// The earliest recorded_at (inclusive, Unix seconds) a record may have to matter for buckets from
// `first_bucket` on: first_bucket - lookback (exclusive bound + 1 µs is handled by the reader's >).
EpochSeconds earliest_relevant(EpochSeconds first_bucket, const AlignParams& params);

}  // namespace ypa::domain
