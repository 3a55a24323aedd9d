// The unit of work of a run: a slice of at most one day of buckets. Slices stream through the stages
// (read -> compute -> write) so that the stages overlap and memory holds only a few slices; features
// carry their state from slice to slice, so results do not depend on slicing or batching.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "domain/align.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/options.hpp"
#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"

namespace ypa::pipeline {

struct SlicePlan {
  BucketRange buckets;
  bool warmup = false;           // computed for the features' history, never written
  bool from_postgres = true;     // align from source records; otherwise read price_aligned from ClickHouse
};

// Warm-up slices, then the run's slices, each at most one day of buckets.
std::vector<SlicePlan> plan_slices(const RunOptions& options, const BucketGrid& grid);

// [begin_us, end_us): the recorded_at window whose records can matter for a slice's buckets.
struct RecordWindow {
  std::int64_t begin_us = 0;
  std::int64_t end_us = 0;
};
RecordWindow record_window(const BucketRange& buckets, const domain::AlignParams& params, const BucketGrid& grid);

// A timestamptz literal in UTC with microseconds ('2025-01-01 00:00:00.000001+00'): exact, unlike
// to_timestamp(double).
std::string timestamp_literal(std::int64_t unix_us);

struct SourceSlice {
  SlicePlan plan;
  std::vector<domain::SourceRecord> records;  // in (recorded_at, id) order
};

// Reads the source records for consecutive PostgreSQL slices with one COPY per batch of `batch_days`
// slices, and hands each slice to `emit` as soon as the stream has passed its end.
void read_source_slices(postgres::Connection& conn, const postgres::SourceTables& tables,
                        const std::vector<SlicePlan>& plans, const RunOptions& options, const BucketGrid& grid,
                        const std::function<void(SourceSlice&&)>& emit);

}  // namespace ypa::pipeline
