#include "store/compare.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
#include "store/compare_rows.hpp"
#include "store/names.hpp"
#include "store/run_id.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/sql_text.hpp"

namespace ypa::store {
namespace {

// How one run table is keyed, how its rows map to a scope, and how a month is cut into slices.
struct TableShape {
  std::vector<std::string> keys;
  std::string scope_prefix;  // the scope is "<prefix><first key>"; "" when the first key is the scope itself
  std::string slice_expression;
  bool has_shop;
  bool per_shop = false;                  // no iPhone or cohort scopes: skipped under --scope
  std::vector<std::string> time_columns;  // DateTime values, compared as seconds
};

const TableShape& shape_of(std::string_view table) {
  static const TableShape kPriceAligned{{"iphone_id", "shop_id", "bucket"}, "iphone:", "iphone_id", true, false, {}};
  static const TableShape kFeaturesWide{{"scope", "bucket"}, "", "cityHash64(scope)", false, false, {}};
  static const TableShape kShopHealth{{"shop_id", "bucket"}, "shop:", "shop_id", false, true, {"last_recorded_at"}};
  if (table == "price_aligned") return kPriceAligned;
  if (table == "features_wide") return kFeaturesWide;
  if (table == "shop_health") return kShopHealth;
  throw Error(fmt::format("compare_runs: no key known for table {}", table));
}

int month_of(EpochSeconds t, const TimeZone& zone) {
  LocalDateTime l = zone.to_local(t);
  return l.year * 100 + l.month;
}

// iphone:<digits> -> the id; anything else nullopt.
std::optional<std::uint32_t> iphone_of(std::string_view scope) {
  constexpr std::string_view kPrefix = "iphone:";
  if (scope.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto digits = scope.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(std::stoul(std::string(digits)));
}

std::vector<std::string> value_columns(clickhouse::Client& client, const std::string& database,
                                       std::string_view table) {
  const TableShape& shape = shape_of(table);
  std::vector<std::string> out;
  for (const auto& row : client.select_rows(table_columns_sql(database, table))) {
    std::string name = row.at(0).value_or("");
    if (name == "run_id" || name == "inserted_at") continue;
    if (std::find(shape.keys.begin(), shape.keys.end(), name) != shape.keys.end()) continue;
    out.push_back(std::move(name));
  }
  if (out.empty())
    throw Error(fmt::format("table {}.{} does not exist; run `ypa init` first", database, table));
  return out;
}

}  // namespace

bool Comparison::equal() const {
  return std::all_of(tables.begin(), tables.end(), [](const TableComparison& t) { return t.equal(); });
}

std::string compare_read_sql(const std::string& database, std::string_view table,
                             const std::vector<std::string>& value_columns, const CompareOptions& options,
                             CompareSide side, const std::vector<int>& months, std::uint64_t slices,
                             std::uint64_t slice) {
  const TableShape& shape = shape_of(table);
  validate_run_id(options.base, "--base");
  validate_run_id(options.target, "--target");
  if (months.empty()) throw std::logic_error("compare_read_sql: no month");

  std::vector<std::string> select;
  for (const auto& key : shape.keys) select.push_back(key == "bucket" ? "toUInt32(bucket)" : identifier(key));
  for (const auto& name : value_columns) {
    std::string col = identifier(name);
    if (std::find(shape.time_columns.begin(), shape.time_columns.end(), name) != shape.time_columns.end()) {
      col = fmt::format("toUInt32({})", col);  // ifNull(DateTime, 0) has no common type
    }
    // Every value as a NULL flag and a Float64, so that one loop here compares every column type.
    select.push_back(fmt::format("isNull({})", col));
    select.push_back(fmt::format("toFloat64(ifNull({}, 0))", col));
  }

  std::vector<std::string> where{
      fmt::format("run_id = {}", string_literal(side == CompareSide::kBase ? options.base : options.target)),
      months.size() == 1 ? fmt::format("toYYYYMM(bucket) = {}", months.front())
                         : fmt::format("toYYYYMM(bucket) IN ({})", fmt::join(months, ", "))};
  if (options.from) where.push_back(fmt::format("bucket >= toDateTime({})", *options.from));
  if (options.to) where.push_back(fmt::format("bucket <= toDateTime({})", *options.to));
  if (!options.scopes.empty()) {
    std::vector<std::string> values;
    if (shape.has_shop) {
      for (const auto& s : options.scopes) {
        if (auto id = iphone_of(s)) values.push_back(std::to_string(*id));
      }
      where.push_back(fmt::format("iphone_id IN ({})", fmt::join(values, ", ")));
    } else {
      for (const auto& s : options.scopes) values.push_back(string_literal(s));
      where.push_back(fmt::format("scope IN ({})", fmt::join(values, ", ")));
    }
  }
  if (slices > 1) where.push_back(fmt::format("{} % {} = {}", shape.slice_expression, slices, slice));

  return fmt::format("SELECT {} FROM {} FINAL WHERE {}", fmt::join(select, ", "),
                     qualified_table(database, table), fmt::join(where, " AND "));
}

namespace {

// Feeds one block of compare_read_sql's result to the comparer.
void add_block(RowComparer& comparer, const TableShape& shape, CompareSide side, const clickhouse::Block& block,
               std::vector<std::uint8_t>& nulls, std::vector<double>& values) {
  const std::size_t width = comparer.column_count();
  const std::size_t first_value = shape.keys.size();
  const std::size_t rows = block.row_count();
  std::vector<const clickhouse::ColumnUInt8*> null_columns(width);
  std::vector<const clickhouse::ColumnFloat64*> value_columns(width);
  for (std::size_t i = 0; i < width; ++i) {
    null_columns[i] = &block.column(first_value + 2 * i).as<clickhouse::ColumnUInt8>();
    value_columns[i] = &block.column(first_value + 2 * i + 1).as<clickhouse::ColumnFloat64>();
  }
  const auto& bucket = block.column(first_value - 1).as<clickhouse::ColumnUInt32>();
  const clickhouse::ColumnUInt32* shop = shape.has_shop ? &block.column(1).as<clickhouse::ColumnUInt32>() : nullptr;
  const clickhouse::ColumnUInt32* id =
      shape.scope_prefix.empty() ? nullptr : &block.column(0).as<clickhouse::ColumnUInt32>();
  const clickhouse::ColumnString* scope =
      shape.scope_prefix.empty() ? &block.column(0).as<clickhouse::ColumnString>() : nullptr;
  nulls.resize(width);
  values.resize(width);
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t i = 0; i < width; ++i) {
      nulls[i] = (*null_columns[i])[row];
      values[i] = (*value_columns[i])[row];
    }
    const std::uint32_t shop_id = shop ? (*shop)[row] : 0;
    RowKey key = id ? comparer.key(shape.scope_prefix, (*id)[row], shop_id, bucket[row])
                    : comparer.key((*scope)[row], shop_id, bucket[row]);
    if (side == CompareSide::kBase) {
      comparer.add_base(key, nulls.data(), values.data());
    } else {
      comparer.add_target(key, nulls.data(), values.data());
    }
  }
}

}  // namespace

Comparison compare_runs(clickhouse::Client& client, const std::string& database,
                        const CompareOptions& options, const TimeZone& zone) {
  auto start = std::chrono::steady_clock::now();
  validate_database_name(database);
  validate_run_id(options.base, "--base");
  validate_run_id(options.target, "--target");
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance)) {
    throw InputError(fmt::format("--tolerance: {} is not a finite number >= 0", options.tolerance));
  }
  for (const auto& s : options.scopes) {
    if (s.empty() || s.size() > 200) throw InputError(fmt::format("--scope: \"{}\" is not a scope", s));
  }
  if (options.from && options.to && *options.from > *options.to) {
    throw InputError("--from is after --to");
  }

  RunStore runs(client, database, PipelineSettings{});
  auto partitions = runs.partitions();
  for (const auto& [run, flag] : {std::pair{options.base, "--base"}, std::pair{options.target, "--target"}}) {
    if (std::none_of(partitions.begin(), partitions.end(),
                     [&](const Partition& p) { return p.run_id == run; })) {
      throw UnknownRunError(fmt::format("{}: run {} does not exist in {}", flag, run, database));
    }
  }
  int first_month = options.from ? month_of(*options.from, zone) : 0;
  int last_month = options.to ? month_of(*options.to, zone) : 999999;

  Comparison result{options, {}, 0};
  for (const auto& table : run_tables()) {
    TableComparison tc;
    tc.table = table;
    const TableShape& shape = shape_of(table);
    if (shape.per_shop && !options.scopes.empty()) {
      tc.skipped = "--scope names iPhones and cohorts; this table is per shop";
      result.tables.push_back(std::move(tc));
      continue;
    }
    if (shape.has_shop && !options.scopes.empty() &&
        std::none_of(options.scopes.begin(), options.scopes.end(),
                     [](const std::string& s) { return iphone_of(s); })) {
      tc.skipped = "--scope names no iphone:<id>";
      result.tables.push_back(std::move(tc));
      continue;
    }
    std::map<int, std::uint64_t> month_rows;  // stored rows of both runs per month
    std::map<int, std::uint64_t> base_rows;   // of the base run
    for (const auto& p : partitions) {
      if (p.table != table || (p.run_id != options.base && p.run_id != options.target)) continue;
      if (p.month < first_month || p.month > last_month) continue;
      month_rows[p.month] += p.rows;
      if (p.run_id == options.base) base_rows[p.month] += p.rows;
    }
    auto columns = value_columns(client, database, table);
    // Each pair of reads: one month cut into slices, or (one_statement) every month at once.
    std::vector<std::pair<std::vector<int>, std::uint64_t>> statements;  // months, slices
    for (const auto& [month, rows] : month_rows) {
      tc.months.push_back(month);
      std::uint64_t cells = rows * columns.size();
      if (!options.one_statement) {
        statements.push_back({{month}, std::max<std::uint64_t>(1, (cells + options.slice_cells - 1) / options.slice_cells)});
      }
    }
    if (options.one_statement && !tc.months.empty()) statements.push_back({tc.months, 1});
    RowComparer comparer(columns, options.tolerance);
    std::vector<std::uint8_t> nulls;
    std::vector<double> values;
    for (const auto& [months, slices] : statements) {
      std::uint64_t base_estimate = 0;
      for (int month : months) base_estimate += base_rows[month];
      for (std::uint64_t slice = 0; slice < slices; ++slice) {
        // Without --scope a slice reads about its share of the stored rows: room for them at once spares
        // the growing vectors' slack. With it the partitions say nothing about the scope's rows.
        if (options.scopes.empty()) comparer.reserve_base(base_estimate / slices + base_estimate / slices / 10);
        for (CompareSide side : {CompareSide::kBase, CompareSide::kTarget}) {
          client.select(compare_read_sql(database, table, columns, options, side, months, slices, slice),
                        [&](const clickhouse::Block& block) { add_block(comparer, shape, side, block, nulls, values); });
        }
        comparer.end_slice();
      }
    }
    for (const ColumnTally& column : comparer.columns()) {
      ColumnDiff cd{column.column, column.rows_differ, column.null_vs_value, column.max_abs_diff, std::nullopt};
      if (column.place) {
        const auto& p = *column.place;
        cd.where = DiffLocation{p.scope, shape.has_shop ? std::optional<std::uint32_t>(p.shop) : std::nullopt,
                                p.bucket, p.base_value, p.target_value};
      }
      tc.columns.push_back(std::move(cd));
    }
    for (const ScopeTally& scope : comparer.scopes()) {
      tc.rows_base += scope.rows_base;
      tc.rows_target += scope.rows_target;
      ScopeDiff sd{scope.scope, scope.only_base, scope.only_target, scope.rows_differ};
      tc.only_base += sd.only_base;
      tc.only_target += sd.only_target;
      tc.rows_differ += sd.rows_differ;
      if (sd.total() > 0) tc.top_scopes.push_back(sd);
    }
    std::sort(tc.top_scopes.begin(), tc.top_scopes.end(), [](const ScopeDiff& x, const ScopeDiff& y) {
      return x.total() != y.total() ? x.total() > y.total() : x.scope < y.scope;
    });
    if (tc.top_scopes.size() > options.top_scopes) tc.top_scopes.resize(options.top_scopes);
    result.tables.push_back(std::move(tc));
  }
  result.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

namespace {

std::string describe(const DiffLocation& w, const TimeZone& zone) {
  std::string shop = w.shop_id ? fmt::format(" shop {}", *w.shop_id) : "";
  return fmt::format("{}{} {} (base {}, target {})", w.scope, shop, format_iso(w.bucket, zone), w.base_value,
                     w.target_value);
}

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_comparison(const Comparison& c, const TimeZone& zone) {
  std::string out = fmt::format("compare_runs base={} target={} tolerance={}", c.options.base,
                                c.options.target, c.options.tolerance);
  if (c.options.from) out += " from " + format_iso(*c.options.from, zone);
  if (c.options.to) out += " to " + format_iso(*c.options.to, zone);
  if (!c.options.scopes.empty()) out += fmt::format(" scopes {}", fmt::join(c.options.scopes, ","));
  out += "\n";
  for (const auto& t : c.tables) {
    if (!t.skipped.empty()) {
      out += fmt::format("\n{}: skipped ({})\n", t.table, t.skipped);
      continue;
    }
    out += fmt::format(
        "\n{}: {} months, rows in base {}, in target {}; only in base {}, only in target {}; rows that "
        "differ {}\n",
        t.table, t.months.size(), t.rows_base, t.rows_target, t.only_base, t.only_target, t.rows_differ);
    std::size_t shown = 0;
    for (const auto& col : t.columns) {
      if (col.rows_differ == 0) continue;
      if (shown++ == 0) {
        out += fmt::format("  {:<18} {:>12} {:>14} {:>14}  {}\n", "column", "rows differ", "null vs value",
                           "max |diff|", "where");
      }
      out += fmt::format("  {:<18} {:>12} {:>14} {:>14.6g}  {}\n", col.column, col.rows_differ,
                         col.null_vs_value, col.max_abs_diff, col.where ? describe(*col.where, zone) : "-");
    }
    if (shown == 0) {
      double largest = 0;
      for (const auto& col : t.columns) largest = std::max(largest, col.max_abs_diff);
      out += fmt::format("  all {} value columns equal within the tolerance (largest |diff| {:.3g})\n",
                         t.columns.size(), largest);
    }
    if (!t.top_scopes.empty()) {
      out += "  scopes that differ most:";
      for (const auto& s : t.top_scopes) {
        out += fmt::format(" {} ({} differ, {} only base, {} only target);", s.scope, s.rows_differ,
                           s.only_base, s.only_target);
      }
      out.back() = '\n';
    }
  }
  out += c.equal() ? fmt::format("\nresult: equal within tolerance {}\n", c.options.tolerance)
                   : std::string("\nresult: runs differ\n");
  return out;
}

nlohmann::json comparison_json(const Comparison& c, const TimeZone& zone) {
  nlohmann::json j;
  j["base"] = c.options.base;
  j["target"] = c.options.target;
  j["tolerance"] = c.options.tolerance;
  j["from"] = c.options.from ? nlohmann::json(format_iso(*c.options.from, zone)) : nlohmann::json(nullptr);
  j["to"] = c.options.to ? nlohmann::json(format_iso(*c.options.to, zone)) : nlohmann::json(nullptr);
  j["scopes"] = c.options.scopes;
  j["equal"] = c.equal();
  j["elapsed_ms"] = c.elapsed_ms;
  j["tables"] = nlohmann::json::array();
  for (const auto& t : c.tables) {
    nlohmann::json tj{{"table", t.table}};
    if (!t.skipped.empty()) {
      tj["skipped"] = t.skipped;
      j["tables"].push_back(tj);
      continue;
    }
    tj["months"] = t.months;
    tj["rows_base"] = t.rows_base;
    tj["rows_target"] = t.rows_target;
    tj["only_base"] = t.only_base;
    tj["only_target"] = t.only_target;
    tj["rows_differ"] = t.rows_differ;
    tj["equal"] = t.equal();
    tj["columns"] = nlohmann::json::array();
    for (const auto& col : t.columns) {
      nlohmann::json cj{{"column", col.column},
                        {"rows_differ", col.rows_differ},
                        {"null_vs_value", col.null_vs_value},
                        {"max_abs_diff", number(col.max_abs_diff)}};
      if (col.where) {
        cj["where"] = {{"scope", col.where->scope},
                       {"bucket", format_iso(col.where->bucket, zone)},
                       {"base", number(col.where->base_value)},
                       {"target", number(col.where->target_value)}};
        if (col.where->shop_id) cj["where"]["shop_id"] = *col.where->shop_id;
      } else {
        cj["where"] = nullptr;
      }
      tj["columns"].push_back(cj);
    }
    tj["top_scopes"] = nlohmann::json::array();
    for (const auto& s : t.top_scopes) {
      tj["top_scopes"].push_back({{"scope", s.scope},
                                  {"rows_differ", s.rows_differ},
                                  {"only_base", s.only_base},
                                  {"only_target", s.only_target}});
    }
    j["tables"].push_back(tj);
  }
  return j;
}

}  // namespace ypa::store
