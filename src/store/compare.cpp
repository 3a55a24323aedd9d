#include "store/compare.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "clickhouse/client.hpp"
#include "core/errors.hpp"
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
  std::string scope_expression;
  std::string slice_expression;
  bool has_shop;
  bool per_shop = false;                  // no iPhone or cohort scopes: skipped under --scope
  std::vector<std::string> time_columns;  // DateTime values, compared as seconds
};

const TableShape& shape_of(std::string_view table) {
  static const TableShape kPriceAligned{
      {"iphone_id", "shop_id", "bucket"}, "concat('iphone:', toString(iphone_id))", "iphone_id", true, false, {}};
  static const TableShape kFeaturesWide{{"scope", "bucket"}, "scope", "cityHash64(scope)", false, false, {}};
  static const TableShape kShopHealth{
      {"shop_id", "bucket"}, "concat('shop:', toString(shop_id))", "shop_id", false, true, {"last_recorded_at"}};
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

std::uint64_t u64(const std::optional<std::string>& cell) {
  return cell ? std::stoull(*cell) : 0;
}
double f64(const std::optional<std::string>& cell) {
  return cell ? std::stod(*cell) : std::nan("");
}

// Per value column, per row of the outer result: rows_differ, null_vs_value, max, bucket, [shop], a, b.
std::size_t stats_per_column(bool has_shop) {
  return has_shop ? 7 : 6;
}
constexpr std::size_t kLeadingCells = 6;  // scope, rows_a, rows_b, only_a, only_b, rows_differ

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

std::string compare_slice_sql(const std::string& database, std::string_view table,
                              const std::vector<std::string>& value_columns, const CompareOptions& options,
                              int month, std::uint64_t slices, std::uint64_t slice) {
  return compare_months_sql(database, table, value_columns, options, {month}, slices, slice);
}

std::string compare_months_sql(const std::string& database, std::string_view table,
                               const std::vector<std::string>& value_columns, const CompareOptions& options,
                               const std::vector<int>& months, std::uint64_t slices, std::uint64_t slice) {
  const TableShape& shape = shape_of(table);
  validate_run_id(options.base, "--base");
  validate_run_id(options.target, "--target");
  std::string a = string_literal(options.base);
  std::string b = string_literal(options.target);
  std::string tol = fmt::format("{}", options.tolerance);  // shortest text that reads back exactly

  std::vector<std::string> inner{fmt::format("{} AS scope_out", shape.scope_expression), "bucket"};
  if (shape.has_shop) inner.push_back("shop_id");
  inner.push_back(fmt::format("countIf(run_id = {}) > 0 AS in_a", a));
  inner.push_back(fmt::format("countIf(run_id = {}) > 0 AS in_b", b));
  inner.push_back("in_a AND in_b AS both_in");
  std::vector<std::string> outer{
      "scope_out",       "sum(in_a)", "sum(in_b)", "sum(in_a AND NOT in_b)", "sum(in_b AND NOT in_a)",
      "sum(row_differs)"};
  std::vector<std::string> differs;
  for (std::size_t i = 0; i < value_columns.size(); ++i) {
    std::string col = identifier(value_columns[i]);
    if (std::find(shape.time_columns.begin(), shape.time_columns.end(), value_columns[i]) !=
        shape.time_columns.end()) {
      col = fmt::format("toUInt32({})", col);  // ifNull(DateTime, 0) has no common type
    }
    std::string va = fmt::format("a_{}", i), vb = fmt::format("b_{}", i);
    std::string na = fmt::format("an_{}", i), nb = fmt::format("bn_{}", i);
    // NULL travels as a flag beside the value: on 18.16 anyIf over a Nullable column returns 0, not NULL,
    // for a run whose value is NULL when the other run's value (a row failing the condition) is not.
    inner.push_back(fmt::format("anyIf(isNull({}), run_id = {}) AS {}", col, a, na));
    inner.push_back(fmt::format("anyIf(isNull({}), run_id = {}) AS {}", col, b, nb));
    inner.push_back(fmt::format("anyIf(toFloat64(ifNull({}, 0)), run_id = {}) AS {}", col, a, va));
    inner.push_back(fmt::format("anyIf(toFloat64(ifNull({}, 0)), run_id = {}) AS {}", col, b, vb));
    inner.push_back(fmt::format("both_in AND ({0} != {1}) AS n_{2}", na, nb, i));
    // NULL vs value differs; both NULL is equal; NaN equals only NaN and an infinity only itself.
    inner.push_back(
        fmt::format("both_in AND multiIf({0} OR {1}, {0} != {1}, isFinite({2}) AND isFinite({3}), "
                    "abs({2} - {3}) > {4} * greatest(1., abs({2})), NOT ({2} = {3} OR (isNaN({2}) AND "
                    "isNaN({3})))) AS d_{5}",
                    na, nb, va, vb, tol, i));
    inner.push_back(
        fmt::format("if(both_in AND NOT {0} AND NOT {1} AND isFinite({2}) AND isFinite({3}), abs({2} - {3}), "
                    "-1.) AS x_{4}",
                    na, nb, va, vb, i));
    differs.push_back(fmt::format("d_{}", i));
    outer.push_back(fmt::format("sum(d_{})", i));
    outer.push_back(fmt::format("sum(n_{})", i));
    outer.push_back(fmt::format("max(x_{})", i));
    // Where the largest difference is: among equal differences the earliest bucket (then the lowest
    // shop), so that every server names the same key (argMax itself picks any of the tied rows, and
    // 18.16 and 26.x pick differently; tests/compat).
    const std::string where_key =
        fmt::format("(x_{}, -toInt64(toUInt32(bucket)){})", i, shape.has_shop ? ", -toInt64(shop_id)" : "");
    // Only rows with a positive difference can hold the place: compare_runs names a place only for a
    // maximum above 0 (x is -1 or 0 elsewhere), so -If skips the slow comparison of tuple keys for every
    // equal row and the place it names does not change.
    const std::string positive = fmt::format("x_{} > 0", i);
    outer.push_back(fmt::format("toUInt32(argMaxIf(bucket, {}, {}))", where_key, positive));
    if (shape.has_shop) outer.push_back(fmt::format("argMaxIf(shop_id, {}, {})", where_key, positive));
    outer.push_back(fmt::format("argMaxIf({}, {}, {})", va, where_key, positive));
    outer.push_back(fmt::format("argMaxIf({}, {}, {})", vb, where_key, positive));
  }
  inner.push_back(fmt::format("({}) AS row_differs",
                              differs.empty() ? "0" : fmt::format("{}", fmt::join(differs, " OR "))));

  std::vector<std::string> where{fmt::format("run_id IN ({}, {})", a, b),
                                 months.size() == 1
                                     ? fmt::format("toYYYYMM(bucket) = {}", months.front())
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

  return fmt::format("SELECT {} FROM (SELECT {} FROM {} FINAL WHERE {} GROUP BY {}) GROUP BY scope_out",
                     fmt::join(outer, ", "), fmt::join(inner, ", "), qualified_table(database, table),
                     fmt::join(where, " AND "), fmt::join(shape.keys, ", "));
}

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
    for (const auto& p : partitions) {
      if (p.table != table || (p.run_id != options.base && p.run_id != options.target)) continue;
      if (p.month < first_month || p.month > last_month) continue;
      month_rows[p.month] += p.rows;
    }
    auto columns = value_columns(client, database, table);
    for (const auto& c : columns) tc.columns.push_back(ColumnDiff{c, 0, 0, 0, std::nullopt});
    std::map<std::string, ScopeDiff> scopes;
    const std::size_t per_column = stats_per_column(shape.has_shop);
    // Each statement: one month cut into slices, or (one_statement) every month at once.
    std::vector<std::pair<std::vector<int>, std::uint64_t>> statements;  // months, slices
    for (const auto& [month, rows] : month_rows) {
      tc.months.push_back(month);
      std::uint64_t cells = rows * columns.size();
      if (!options.one_statement) {
        statements.push_back({{month}, std::max<std::uint64_t>(1, (cells + options.slice_cells - 1) / options.slice_cells)});
      }
    }
    if (options.one_statement && !tc.months.empty()) statements.push_back({tc.months, 1});
    for (const auto& [months, slices] : statements) {
      for (std::uint64_t slice = 0; slice < slices; ++slice) {
        for (const auto& row :
             client.select_rows(compare_months_sql(database, table, columns, options, months, slices, slice))) {
          std::string scope = row.at(0).value_or("");
          ScopeDiff& sd = scopes[scope];
          sd.scope = scope;
          tc.rows_base += u64(row.at(1));
          tc.rows_target += u64(row.at(2));
          sd.only_base += u64(row.at(3));
          sd.only_target += u64(row.at(4));
          sd.rows_differ += u64(row.at(5));
          for (std::size_t i = 0; i < columns.size(); ++i) {
            std::size_t at = kLeadingCells + i * per_column;
            ColumnDiff& cd = tc.columns[i];
            cd.rows_differ += u64(row.at(at));
            cd.null_vs_value += u64(row.at(at + 1));
            double max = f64(row.at(at + 2));
            // Only a real difference has a place worth naming (at 0 every row ties).
            if (max > cd.max_abs_diff) {
              DiffLocation where{scope, std::nullopt, static_cast<EpochSeconds>(u64(row.at(at + 3))), 0, 0};
              std::size_t next = at + 4;
              if (shape.has_shop) where.shop_id = static_cast<std::uint32_t>(u64(row.at(next++)));
              where.base_value = f64(row.at(next));
              where.target_value = f64(row.at(next + 1));
              cd.max_abs_diff = max;
              cd.where = where;
            }
          }
        }
      }
    }
    for (auto& [_, sd] : scopes) {
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
