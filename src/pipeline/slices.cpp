#include "pipeline/slices.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "postgres/copy_out.hpp"
#include "postgres/timestamp.hpp"

namespace ypa::pipeline {
namespace {

constexpr std::int64_t kMicros = 1'000'000;

std::string id_filter(const char* column, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return "";
  std::string list;
  for (auto id : ids) list += fmt::format("{}{}", list.empty() ? "" : ",", id);
  return fmt::format(" AND {} IN ({})", column, list);
}

// The select list of the source read. Integer columns go out as they are: a cast would cost the server a
// function call per value, and the read is the pipeline's longest stage. A column of another numeric
// type (a schema that differs from SPEC §2) is cast to bigint.
std::string source_select_list(postgres::Connection& conn, const postgres::SourceTables& tables) {
  static constexpr const char* kColumns[] = {"id", "shop_id", "iphone_id", "price_new", "price_grade_a",
                                             "price_grade_b"};
  auto types = conn.exec_params(
      "SELECT attname::text, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = $1::regclass "
      "AND attnum > 0 AND NOT attisdropped",
      {postgres::quote_identifier(tables.price_record)});
  std::string list;
  for (const char* column : kColumns) {
    bool integer = false;
    for (int row = 0; row < types.rows(); ++row) {
      if (types.text(row, 0) != column) continue;
      auto type = types.text(row, 1);
      integer = type == "smallint" || type == "integer" || type == "bigint";
    }
    list += fmt::format("{}{}{}", postgres::quote_identifier(column), integer ? "" : "::int8", ", ");
  }
  return list + "recorded_at";
}

}  // namespace

std::string timestamp_literal(std::int64_t us) { return "'" + postgres::format_timestamptz(us) + "'"; }

std::vector<SlicePlan> plan_slices(const RunOptions& options, const BucketGrid& grid) {
  const EpochSeconds step = grid.interval_sec();
  const EpochSeconds per_slice = (1440 / grid.interval_min()) * step;  // one day of buckets
  std::vector<SlicePlan> plans;
  auto add = [&](EpochSeconds first, EpochSeconds last, bool warmup, bool from_postgres) {
    for (EpochSeconds s = first; s <= last; s += per_slice) {
      plans.push_back({{s, std::min(last, s + per_slice - step)}, warmup, from_postgres});
    }
  };
  if (options.warmup_buckets > 0) {
    add(options.range.first - options.warmup_buckets * step, options.range.first - step, true, true);
  }
  add(options.range.first, options.range.last, false, options.steps.align);
  return plans;
}

RecordWindow record_window(const BucketRange& buckets, const domain::AlignParams& params, const BucketGrid& grid) {
  if (params.mode == domain::AlignMode::kFloor) {
    // Records floored into [first, last]: recorded_at in [first, last + interval).
    return {buckets.first * kMicros, (buckets.last + grid.interval_sec()) * kMicros};
  }
  // T - lookback < recorded_at <= T for some T in [first, last].
  return {(buckets.first - params.lookback_sec) * kMicros + 1, buckets.last * kMicros + 1};
}

void read_source_slices(postgres::Connection& conn, const postgres::SourceTables& tables,
                        const std::vector<SlicePlan>& plans, const RunOptions& options, const BucketGrid& grid,
                        const std::function<void(SourceSlice&&)>& emit) {
  using postgres::quote_identifier;
  // JIT compilation pays off for expensive expressions; this scan has none, and compiling its tuple
  // deforming costs more than it saves over a few million rows (jit exists from PostgreSQL 11).
  if (PQserverVersion(conn.get()) >= 110000) conn.exec("SET jit = off");
  const std::string select_list = source_select_list(conn, tables);
  std::size_t i = 0;
  while (i < plans.size()) {
    if (!plans[i].from_postgres) {
      ++i;
      continue;
    }
    // A batch: up to batch_days consecutive PostgreSQL slices, read with one COPY ordered by recorded_at
    // alone, which an index on recorded_at delivers without a sort; ties are ordered by id per slice.
    std::size_t end = i;
    while (end < plans.size() && plans[end].from_postgres && end - i < static_cast<std::size_t>(options.batch_days)) {
      ++end;
    }
    RecordWindow window{record_window(plans[i].buckets, options.align, grid).begin_us,
                        record_window(plans[end - 1].buckets, options.align, grid).end_us};
    std::string sql = fmt::format(
        "SELECT {} FROM {} WHERE recorded_at >= {} AND recorded_at < {}{}{} ORDER BY recorded_at", select_list,
        quote_identifier(tables.price_record), timestamp_literal(window.begin_us), timestamp_literal(window.end_us),
        id_filter("iphone_id", options.iphone_ids), id_filter("shop_id", options.shop_ids));
    if (!options.shard.whole()) sql.insert(sql.rfind(" ORDER BY"), fmt::format(" AND iphone_id % {} = {}", options.shard.count, options.shard.index));

    std::size_t current = i;
    SourceSlice slice{plans[current], {}};
    RecordWindow slice_window = record_window(plans[current].buckets, options.align, grid);
    // Moves on to the next slice, carrying the records that the next slice's window also covers.
    auto advance = [&] {
      std::size_t next = current + 1;
      SourceSlice next_slice{next < end ? plans[next] : SlicePlan{}, {}};
      RecordWindow next_window{};
      if (next < end) {
        next_window = record_window(plans[next].buckets, options.align, grid);
        for (const auto& r : slice.records) {
          if (r.recorded_at_us >= next_window.begin_us) next_slice.records.push_back(r);
        }
      }
      emit(std::move(slice));
      slice = std::move(next_slice);
      slice_window = next_window;
      current = next;
    };

    postgres::BinaryCopyReader reader(conn, sql);
    auto to_price = [&](std::size_t f) -> std::optional<std::int32_t> {
      if (reader.is_null(f)) return std::nullopt;
      std::int64_t v = reader.integer(f);
      return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, INT32_MIN, INT32_MAX));
    };
    while (reader.next()) {
      domain::SourceRecord r;
      r.id = reader.integer(0);
      r.shop_id = static_cast<std::uint32_t>(reader.integer(1));
      r.iphone_id = static_cast<std::uint32_t>(reader.integer(2));
      r.price_new = to_price(3);
      r.price_grade_a = to_price(4);
      r.price_grade_b = to_price(5);
      r.recorded_at_us = reader.timestamptz_us(6);
      while (current < end && r.recorded_at_us >= slice_window.end_us) advance();
      if (current < end) slice.records.push_back(r);
    }
    while (current < end) advance();
    i = end;
  }
}

}  // namespace ypa::pipeline
