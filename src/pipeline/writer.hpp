// Turns slice results into native blocks of price_aligned and features_wide rows and inserts them
// through one ClickHouse connection. Warm-up slices are never written.
#pragma once

#include <cstdint>
#include <string>

#include "clickhouse/client.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/options.hpp"
#include "pipeline/slice_compute.hpp"
#include "pipeline/stats.hpp"

namespace ypa::pipeline {

class SliceWriter {
 public:
  // inserted_at: the run's version for ReplacingMergeTree, later than any row it replaces.
  SliceWriter(clickhouse::Client& client, std::string database, const RunOptions& options, const Catalog& catalog,
              std::uint32_t inserted_at, RunStats& stats);

  void write(const SliceResult& slice);
  std::int64_t rows_written() const { return rows_written_; }

 private:
  void write_price_aligned(const SliceResult& slice);
  void write_features(const SliceResult& slice);

  clickhouse::Client& client_;
  std::string database_;
  const RunOptions& options_;
  const Catalog& catalog_;
  std::uint32_t inserted_at_;
  RunStats& stats_;
  std::int64_t rows_written_ = 0;
};

}  // namespace ypa::pipeline
