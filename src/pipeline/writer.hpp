// Turns slice results into native blocks of price_aligned, features_wide and shop_health rows and streams them into
// one long INSERT per table, each on its own connection: the server squashes the slices' blocks into
// large parts (fewer background merges) and works on both tables at once. Warm-up slices are never
// written.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
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
  SliceWriter(const ClickHouseSettings& settings, const RunOptions& options, const Catalog& catalog,
              std::uint32_t inserted_at, RunStats& stats);

  void write(const SliceResult& slice);
  // Ends both INSERTs and waits for the server to confirm them.
  void finish();
  std::int64_t rows_written() const { return rows_written_; }

 private:
  // One table's INSERT, opened at its first block.
  struct Stream {
    std::string target;
    std::unique_ptr<clickhouse::Client> client;
    std::optional<clickhouse::Inserter> inserter;
  };
  void send(Stream& stream, const clickhouse::Block& block);
  void write_price_aligned(const SliceResult& slice);
  void write_features(const SliceResult& slice);
  void write_shop_health(const SliceResult& slice);

  ClickHouseSettings settings_;
  Stream price_aligned_;
  Stream features_wide_;
  Stream shop_health_;
  std::string database_;
  const RunOptions& options_;
  const Catalog& catalog_;
  std::uint32_t inserted_at_;
  RunStats& stats_;
  std::int64_t rows_written_ = 0;
};

}  // namespace ypa::pipeline
