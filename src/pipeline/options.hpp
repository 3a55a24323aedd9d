// What one `run_pipeline` invocation computes (SPEC §9), validated before any server is touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/settings.hpp"
#include "core/time.hpp"
#include "domain/align.hpp"
#include "domain/features.hpp"

namespace ypa::pipeline {

// The outputs a run can compute: align -> price_aligned; aggregate and features -> the iPhone rows of
// features_wide (always written whole); cohorts -> the cohort rows of features_wide.
struct Steps {
  bool align = true;
  bool aggregate = true;
  bool features = true;
  bool cohorts = true;

  bool writes_iphone_rows() const { return aggregate || features; }
  bool needs_aggregate() const { return aggregate || features || cohorts; }
};

// `--shard i/n`: one of n workers, computing the iPhones with iphone_id % n == i (docs/operations.md).
struct ShardSpec {
  int index = 0;
  int count = 1;

  bool whole() const { return count <= 1; }
  bool contains(std::uint32_t iphone_id) const {
    return whole() || iphone_id % static_cast<std::uint32_t>(count) == static_cast<std::uint32_t>(index);
  }
};

// "i/n" with 0 <= i < n <= 1024; InputError naming --shard otherwise.
ShardSpec parse_shard(const std::string& text);

// Parses "align,aggregate,features,cohorts" (any non-empty subset); InputError names an unknown step.
Steps parse_steps(const std::string& text);

struct RunOptions {
  std::string run_id;
  BucketRange range;                   // buckets written, inclusive
  int batch_days = 30;                 // days per PostgreSQL query
  Steps steps;
  std::vector<std::int64_t> iphone_ids;  // empty = all
  std::vector<std::int64_t> shop_ids;    // empty = all
  ShardSpec shard;                       // this worker's share of the iPhones (cohorts: none)
  domain::AlignParams align;
  std::string device = "cpu";
  std::string device_note;  // why `auto` chose this device, for the run summary
  PipelineSettings settings;
  int warmup_buckets = 0;  // computed before range.first, never written
  // Incremental (live) mode: continue the run's own feature state instead of a warm-up when the run has
  // rows before range.first (see run_history.hpp).
  bool incremental = false;
};

// Whether the run writes shop_health: it aligns from the source records (align in --steps) and computes
// every iPhone (no --shard; a shard's counts would cover a part of each shop).
inline bool writes_shop_health(const RunOptions& options) { return options.steps.align && options.shard.whole(); }

// Window sizes in buckets and the band factor, from the settings.
domain::FeatureParams feature_params(const PipelineSettings& settings);

// The buckets an incremental run recomputes: the last `since` (e.g. "2h") ending at `to` (a bucket,
// YYYY-MM-DDTHH:MM) or, when `to` is empty, at the latest bucket that has begun at `now`.
BucketRange incremental_range(const std::string& to, const std::string& since, const BucketGrid& grid,
                              EpochSeconds now);

// Default warm-up: 8 x the largest feature window (SPEC §5).
int default_warmup_buckets(const PipelineSettings& settings);

}  // namespace ypa::pipeline
