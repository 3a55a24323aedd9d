#include "pipeline/writer.hpp"

#include <fmt/format.h>

#include <cmath>

#include "store/schema.hpp"
#include "store/sql_text.hpp"

namespace ypa::pipeline {
namespace {

using clickhouse::Block;
using clickhouse::ColumnNullable;

Block empty_block(const store::TableSpec& table) {
  Block block;
  for (const auto& c : table.columns) block.add(c.name, clickhouse::create_column(c.type));
  return block;
}

template <typename C>
C& column(Block& block, std::string_view name) {
  return block.column(static_cast<std::size_t>(block.find(name))).as<C>();
}

// A Nullable(Float64) column and its nested values, resolved once per block.
struct NullableFloat {
  explicit NullableFloat(ColumnNullable& c) : column(c), values(c.nested().as<clickhouse::ColumnFloat64>()) {}
  // NaN (and infinity, which SPEC §10's strict JSON cannot carry) is stored as NULL.
  void append(double value) {
    column.append(values, std::isfinite(value) ? std::optional<double>(value) : std::nullopt);
  }
  ColumnNullable& column;
  clickhouse::ColumnFloat64& values;
};

// The server gathers an INSERT's blocks into parts of up to about a million rows and writes a part only
// when it is full, so whatever is still gathering when the INSERT ends is written then, while the run
// waits: all of features_wide and up to four days of price_aligned with the server's defaults. With
// these thresholds it writes parts as the run goes on; a day slice of a large catalog (price_aligned,
// 24 shops x 160 iPhones: 250 k rows) passes as one part, and small slices are still gathered into parts
// of a sensible size (ClickHouse's advice: inserts of 100 k rows or more).
const std::vector<std::string> kInsertSessionSettings{"SET min_insert_block_size_rows = 131072",
                                                      "SET min_insert_block_size_bytes = 33554432"};

}  // namespace

SliceWriter::SliceWriter(const ClickHouseSettings& settings, const RunOptions& options, const Catalog& catalog,
                         std::uint32_t inserted_at, RunStats& stats)
    : settings_(settings),
      price_aligned_{store::qualified_table(settings.database, "price_aligned"), nullptr, std::nullopt},
      features_wide_{store::qualified_table(settings.database, "features_wide"), nullptr, std::nullopt},
      shop_health_{store::qualified_table(settings.database, "shop_health"), nullptr, std::nullopt},
      database_(settings.database),
      options_(options),
      catalog_(catalog),
      inserted_at_(inserted_at),
      stats_(stats) {}

void SliceWriter::send(Stream& stream, const Block& block) {
  if (block.row_count() == 0) return;
  if (!stream.inserter) {
    auto options = clickhouse::ClientOptions::from_settings(settings_);
    options.session_statements.insert(options.session_statements.end(), kInsertSessionSettings.begin(),
                                      kInsertSessionSettings.end());
    stream.client = std::make_unique<clickhouse::Client>(std::move(options));
    stream.inserter.emplace(stream.client->begin_insert(stream.target));
  }
  stream.inserter->write(block);
  rows_written_ += static_cast<std::int64_t>(block.row_count());
}

void SliceWriter::finish() {
  for (Stream* stream : {&price_aligned_, &features_wide_, &shop_health_}) {
    if (!stream->inserter) continue;
    auto start = std::chrono::steady_clock::now();
    stream->inserter->finish();
    stream->inserter.reset();
    stats_.add("write", seconds_since(start), 0, 0, "clickhouse");
  }
}

void SliceWriter::write(const SliceResult& slice) {
  if (slice.plan.warmup) return;
  if (options_.steps.align) write_price_aligned(slice);
  if (options_.steps.writes_iphone_rows() || options_.steps.cohorts) write_features(slice);
  if (!slice.health.empty()) write_shop_health(slice);
}

void SliceWriter::write_shop_health(const SliceResult& slice) {
  auto start = std::chrono::steady_clock::now();
  auto table = store::shop_health_table(options_.settings);
  Block block = empty_block(table);
  auto& run_id = column<clickhouse::ColumnString>(block, "run_id");
  auto& bucket = column<clickhouse::ColumnDateTime>(block, "bucket");
  auto& shop = column<clickhouse::ColumnUInt32>(block, "shop_id");
  auto& buckets = column<clickhouse::ColumnUInt16>(block, "buckets");
  auto& records = column<clickhouse::ColumnUInt32>(block, "records_read");
  auto& invalid = column<clickhouse::ColumnUInt32>(block, "invalid_prices");
  auto& cells = column<clickhouse::ColumnUInt32>(block, "cells");
  auto& above = column<clickhouse::ColumnUInt32>(block, "above_band");
  auto& below = column<clickhouse::ColumnUInt32>(block, "below_band");
  auto& iphones = column<clickhouse::ColumnUInt32>(block, "iphones");
  auto& last = column<ColumnNullable>(block, "last_recorded_at");
  auto& last_values = last.nested().as<clickhouse::ColumnDateTime>();
  NullableFloat ratio(column<ColumnNullable>(block, "price_ratio_median"));
  auto& inserted = column<clickhouse::ColumnDateTime>(block, "inserted_at");
  for (const auto& row : slice.health) {
    run_id.append(options_.run_id);
    bucket.append(static_cast<std::uint32_t>(row.hour));
    shop.append(row.shop_id);
    buckets.append(row.buckets);
    records.append(row.records_read);
    invalid.append(row.invalid_prices);
    cells.append(row.cells);
    above.append(row.above_band);
    below.append(row.below_band);
    iphones.append(row.iphones);
    last.append(last_values, row.last_recorded_at ? std::optional<std::uint32_t>(
                                                        static_cast<std::uint32_t>(*row.last_recorded_at))
                                                  : std::nullopt);
    ratio.append(row.price_ratio_median);
    inserted.append(inserted_at_);
  }
  send(shop_health_, block);
  stats_.add("write", seconds_since(start), static_cast<std::int64_t>(slice.health.size()),
             static_cast<std::int64_t>(block.row_count()));
}

void SliceWriter::write_price_aligned(const SliceResult& slice) {
  auto start = std::chrono::steady_clock::now();
  auto table = store::price_aligned_table(options_.settings);
  Block block = empty_block(table);
  auto& run_id = column<clickhouse::ColumnString>(block, "run_id");
  auto& bucket = column<clickhouse::ColumnDateTime>(block, "bucket");
  auto& shop = column<clickhouse::ColumnUInt32>(block, "shop_id");
  auto& iphone = column<clickhouse::ColumnUInt32>(block, "iphone_id");
  auto& price_new = column<clickhouse::ColumnUInt32>(block, "price_new");
  auto& price_a = column<ColumnNullable>(block, "price_a");
  auto& price_b = column<ColumnNullable>(block, "price_b");
  auto& price_a_values = price_a.nested().as<clickhouse::ColumnUInt32>();
  auto& price_b_values = price_b.nested().as<clickhouse::ColumnUInt32>();
  auto& diff = column<clickhouse::ColumnInt32>(block, "alignment_diff_sec");
  auto& record_time = column<clickhouse::ColumnDateTime>(block, "record_time");
  auto& inserted = column<clickhouse::ColumnDateTime>(block, "inserted_at");
  for (std::size_t i = 0; i < block.column_count(); ++i) block.column(i).reserve(slice.aligned.size());
  for (const auto& row : slice.aligned) {
    run_id.append(options_.run_id);
    bucket.append(static_cast<std::uint32_t>(row.bucket));
    shop.append(row.shop_id);
    iphone.append(row.iphone_id);
    price_new.append(row.price_new);
    price_a.append(price_a_values, row.price_a);
    price_b.append(price_b_values, row.price_b);
    diff.append(row.alignment_diff_sec);
    record_time.append(static_cast<std::uint32_t>(row.record_time));
    inserted.append(inserted_at_);
  }
  send(price_aligned_, block);
  stats_.add("write", seconds_since(start), static_cast<std::int64_t>(slice.aligned.size()),
             static_cast<std::int64_t>(block.row_count()));
}

void SliceWriter::write_features(const SliceResult& slice) {
  auto start = std::chrono::steady_clock::now();
  auto table = store::features_wide_table(options_.settings);
  Block block = empty_block(table);
  const auto& windows = options_.settings.window_min;
  auto& run_id = column<clickhouse::ColumnString>(block, "run_id");
  auto& bucket = column<clickhouse::ColumnDateTime>(block, "bucket");
  auto& scope = column<clickhouse::ColumnString>(block, "scope");
  auto& mean = column<clickhouse::ColumnFloat64>(block, "mean");
  auto& median = column<clickhouse::ColumnFloat64>(block, "median");
  NullableFloat std_col(column<ColumnNullable>(block, "std"));
  auto& shop_count = column<clickhouse::ColumnUInt16>(block, "shop_count");
  NullableFloat dispersion(column<ColumnNullable>(block, "dispersion"));
  auto& inserted = column<clickhouse::ColumnDateTime>(block, "inserted_at");
  auto& n_models = column<clickhouse::ColumnUInt16>(block, "n_models");
  // Feature columns by (window, kind), in FeatureKind order.
  std::vector<NullableFloat> feature_columns;
  for (int w : windows) {
    for (const char* name : {"ema", "sma", "wma", "boll_mid", "boll_up", "boll_low", "boll_width"}) {
      feature_columns.emplace_back(column<ColumnNullable>(block, fmt::format("{}_{}", name, w)));
    }
  }

  auto emit = [&](const compute::StatsFrame& stats, const compute::FeatureFrame& features, std::size_t series,
                  const std::string& scope_name) {
    for (std::size_t b = 0; b < stats.n_buckets; ++b) {
      std::size_t i = stats.index(series, b);
      if (stats.shop_count[i] == 0 && stats.n_models[i] == 0) continue;
      run_id.append(options_.run_id);
      bucket.append(static_cast<std::uint32_t>(slice.plan.buckets.first +
                                               static_cast<EpochSeconds>(b) * options_.settings.interval_min * 60));
      scope.append(scope_name);
      mean.append(stats.mean[i]);
      median.append(stats.median[i]);
      std_col.append(stats.std[i]);
      shop_count.append(stats.shop_count[i]);
      dispersion.append(stats.dispersion[i]);
      for (std::size_t w = 0; w < windows.size(); ++w) {
        for (int k = 0; k < compute::kFeatureKinds; ++k) {
          feature_columns[w * compute::kFeatureKinds + static_cast<std::size_t>(k)].append(
              features.at(w, static_cast<compute::FeatureKind>(k), series, b));
        }
      }
      inserted.append(inserted_at_);
      n_models.append(stats.n_models[i]);
    }
  };
  if (options_.steps.writes_iphone_rows()) {
    for (std::size_t s = 0; s < catalog_.iphone_ids.size(); ++s) {
      emit(slice.iphones, slice.iphone_features, s, fmt::format("iphone:{}", catalog_.iphone_ids[s]));
    }
  }
  if (options_.steps.cohorts) {
    for (std::size_t c = 0; c < catalog_.cohorts.size(); ++c) {
      emit(slice.cohorts, slice.cohort_features, c, "cohort:" + catalog_.cohorts[c].slug);
    }
  }
  send(features_wide_, block);
  stats_.add("write", seconds_since(start), static_cast<std::int64_t>(block.row_count()),
             static_cast<std::int64_t>(block.row_count()));
}

}  // namespace ypa::pipeline
