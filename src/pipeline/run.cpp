#include "pipeline/run.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>

#include "clickhouse/client.hpp"
#include "compute/backend_factory.hpp"
#include "core/clock.hpp"
#include "core/errors.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/queue.hpp"
#include "pipeline/run_history.hpp"
#include "pipeline/slice_compute.hpp"
#include "pipeline/slices.hpp"
#include "pipeline/writer.hpp"
#include "postgres/source_schema.hpp"
#include "store/pipeline_queries.hpp"

namespace ypa::pipeline {
namespace {

// A slice on its way to the compute stage: source records (plan.from_postgres), or price_aligned rows
// read back from ClickHouse.
struct ReadItem {
  SourceSlice source;
  std::vector<domain::AlignedPrice> aligned;
};

// How many slices may wait between two stages: enough to absorb jitter, few enough to bound memory.
constexpr std::size_t kQueueDepth = 2;

clickhouse::ClientOptions client_options(const ClickHouseSettings& settings) {
  return clickhouse::ClientOptions::from_settings(settings);
}

void require_tables(clickhouse::Client& client, const std::string& database) {
  auto rows = client.select_rows(store::select_pipeline_tables_sql(database));
  if (rows.size() != 3) {
    throw InputError(fmt::format(
        "ClickHouse database '{}' lacks price_aligned/features_wide/shop_health: run `ypa init`", database));
  }
}

// The run's version: now, or one second past the newest row already in the run (SPEC §7: a write that
// replaces rows must carry a later inserted_at).
std::uint32_t choose_inserted_at(clickhouse::Client& client, const std::string& database, const RunOptions& options) {
  auto latest = client.select_value(
      store::select_latest_version_sql(database, options.run_id, options.range.first, options.range.last));
  auto now = static_cast<std::uint32_t>(clock::now_seconds());
  std::uint32_t newest = latest ? static_cast<std::uint32_t>(std::stoul(*latest)) : 0;
  return std::max(now, newest + 1);
}

bool source_has_rows(postgres::Connection& conn, const postgres::SourceTables& tables, const RunOptions& options,
                     const BucketGrid& grid) {
  RecordWindow window = record_window(options.range, options.align, grid);
  auto r = conn.exec(fmt::format("SELECT EXISTS (SELECT 1 FROM {} WHERE recorded_at >= {} AND recorded_at < {})",
                                 postgres::quote_identifier(tables.price_record),
                                 timestamp_literal(window.begin_us), timestamp_literal(window.end_us)));
  return r.text(0, 0) == "t";
}

// Every slice allocates and frees buffers of megabytes (records, frames, blocks). glibc maps blocks that
// large afresh and returns them to the kernel when freed, so each slice paid again for zeroed pages: two
// thirds of the 30-day benchmark's page faults and a tenth of its CPU time. Keeping freed memory in
// the heap lets the next slice reuse it; the peak stays what a few slices need.
void keep_freed_memory_for_reuse() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}

}  // namespace

RunSummary run_pipeline(const RunOptions& requested, const ClickHouseSettings& ch_settings,
                        const PostgresSettings& pg_settings, bool show_progress) {
  keep_freed_memory_for_reuse();
  RunOptions options = requested;
  auto started = std::chrono::steady_clock::now();
  BucketGrid grid(TimeZone(options.settings.time_zone), options.settings.interval_min);
  auto tables = postgres::SourceTables::from_env();
  RunSummary summary;

  postgres::Connection pg(pg_settings.conninfo);
  Catalog catalog = load_catalog(pg, tables, options.iphone_ids, options.shop_ids, options.shard);
  if (options.steps.cohorts) summary.skipped_cohorts = catalog.skipped_cohorts;
  for (const auto& slug : summary.skipped_cohorts) {
    spdlog::warn("cohort {}: skipped, not all of its members are in --iphone-ids", slug);
  }

  clickhouse::Client writer_client(client_options(ch_settings));
  require_tables(writer_client, ch_settings.database);
  if (options.steps.align && !source_has_rows(pg, tables, options, grid)) {
    spdlog::warn("no source rows between --from and --to: nothing written");
    summary.seconds = seconds_since(started);
    return summary;
  }
  RunHistory history;
  if (options.incremental) {
    history = load_run_history(writer_client, ch_settings.database, options, catalog, feature_params(options.settings));
    if (history.found) {
      options.warmup_buckets = 0;
      spdlog::info("incremental: continuing the run's own feature state");
    } else if (history.run_start != 0 && history.run_start < options.range.first) {
      options.range.first = history.run_start;
      spdlog::info("incremental: the run began less than a feature window ago; recomputing it from {}",
                   format_iso(history.run_start, grid.zone()));
    } else {
      spdlog::info("incremental: the run has no earlier rows; warming up from PostgreSQL");
    }
  }
  std::uint32_t inserted_at = choose_inserted_at(writer_client, ch_settings.database, options);

  auto backend = compute::make_backend(options.device);
  summary.device = backend->name();
  RunStats stats;
  auto plans = plan_slices(options, grid);
  std::size_t written_slices = 0;
  for (const auto& p : plans) written_slices += !p.warmup;
  spdlog::info("run {}: {} slices ({} warm-up), device {}, inserted_at {}", options.run_id, plans.size(),
               plans.size() - written_slices, backend->name(), inserted_at);

  BoundedQueue<ReadItem> to_compute(kQueueDepth);
  BoundedQueue<SliceResult> to_write(kQueueDepth);
  std::exception_ptr read_error, write_error;
  auto fail_all = [&] {
    to_compute.close();
    to_write.close();
  };

  std::thread reader([&] {
    try {
      auto slice_start = std::chrono::steady_clock::now();
      read_source_slices(pg, tables, plans, options, grid, [&](SourceSlice&& slice) {
        stats.add("read", seconds_since(slice_start), static_cast<std::int64_t>(slice.records.size()),
                  static_cast<std::int64_t>(slice.records.size()), "postgres");
        if (!to_compute.push(ReadItem{std::move(slice), {}})) throw Error("pipeline stopped");
        slice_start = std::chrono::steady_clock::now();
      });
      // Slices whose price_aligned rows come back from ClickHouse (--steps without align).
      std::optional<clickhouse::Client> reader_client;
      for (const auto& plan : plans) {
        if (plan.from_postgres) continue;
        if (!reader_client) reader_client.emplace(client_options(ch_settings));
        auto start = std::chrono::steady_clock::now();
        ReadItem slice{{plan, {}}, {}};
        reader_client->select(store::select_price_aligned_sql(ch_settings.database, options.run_id,
                                                              plan.buckets.first, plan.buckets.last,
                                                              options.iphone_ids, options.shop_ids),
                              [&](const clickhouse::Block& block) {
                                const auto& iphone = block.column(0).as<clickhouse::ColumnUInt32>();
                                const auto& shop = block.column(1).as<clickhouse::ColumnUInt32>();
                                const auto& bucket = block.column(2).as<clickhouse::ColumnUInt32>();
                                const auto& price = block.column(3).as<clickhouse::ColumnUInt32>();
                                for (std::size_t r = 0; r < block.row_count(); ++r) {
                                  domain::AlignedPrice row;
                                  row.iphone_id = iphone[r];
                                  row.shop_id = shop[r];
                                  row.bucket = bucket[r];
                                  row.price_new = price[r];
                                  slice.aligned.push_back(row);
                                }
                              });
        stats.add("read", seconds_since(start), static_cast<std::int64_t>(slice.aligned.size()),
                  static_cast<std::int64_t>(slice.aligned.size()), "clickhouse");
        if (!to_compute.push(std::move(slice))) throw Error("pipeline stopped");
      }
      to_compute.close();
    } catch (...) {
      read_error = std::current_exception();
      fail_all();
    }
  });

  Progress progress(written_slices, show_progress && ::isatty(STDERR_FILENO) != 0);
  std::thread writer([&] {
    try {
      SliceWriter slice_writer(ch_settings, options, catalog, inserted_at, stats);
      while (auto slice = to_write.pop()) {
        slice_writer.write(*slice);
        if (!slice->plan.warmup) {
          progress.slice_done(static_cast<std::int64_t>(slice->aligned.size()),
                              format_sql(slice->plan.buckets.first, grid.zone()).substr(0, 10));
        }
      }
      slice_writer.finish();
      summary.rows_written = slice_writer.rows_written();
    } catch (...) {
      write_error = std::current_exception();
      fail_all();
    }
  });

  std::exception_ptr compute_error;
  try {
    SliceComputer computer(catalog, options, grid, *backend, stats);
    if (history.found) computer.seed(std::move(history.iphones), std::move(history.cohorts));
    while (auto item = to_compute.pop()) {
      SliceResult result = item->source.plan.from_postgres
                               ? computer.compute(std::move(item->source))
                               : computer.compute_from_aligned(item->source.plan, std::move(item->aligned));
      if (!to_write.push(std::move(result))) break;
    }
    to_write.close();
  } catch (...) {
    compute_error = std::current_exception();
    fail_all();
  }
  reader.join();
  writer.join();
  // The first failure is the cause; the others are its consequences ("pipeline stopped").
  for (auto& e : {read_error, compute_error, write_error}) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const Error& err) {
        if (std::string(err.what()) != "pipeline stopped") throw;
      }
    }
  }
  for (auto& e : {read_error, compute_error, write_error}) {
    if (e) std::rethrow_exception(e);
  }
  progress.finish();

  summary.wrote = true;
  summary.seconds = seconds_since(started);
  summary.steps = stats.steps();
  summary.skipped = stats.skipped();
  summary.below_quorum = stats.below_quorum();
  return summary;
}

}  // namespace ypa::pipeline
