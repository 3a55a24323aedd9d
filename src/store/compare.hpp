// compare_runs (SPEC §8): what differs between two runs. ClickHouse reads both runs' rows one month
// partition (and, for big months, one slice of scopes) at a time; this process matches them by key and
// applies the difference rules (store/compare_rows.hpp), holding one slice of the base run in memory.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "core/time.hpp"

namespace ypa::clickhouse {
class Client;
}

namespace ypa::store {

struct CompareOptions {
  std::string base;
  std::string target;
  double tolerance = 1e-9;           // |a-b| > tolerance * max(1, |a|) differs; NULL vs value always differs
  std::optional<EpochSeconds> from;  // first bucket compared, inclusive
  std::optional<EpochSeconds> to;    // last bucket compared, inclusive
  std::vector<std::string> scopes;   // empty: all; price_aligned uses the iphone:<id> ones
  std::size_t top_scopes = 10;
  // Stored rows of both runs x value columns that one slice reads at most. The base run's half is held
  // here at about 9 bytes a cell (and 12 a row), so the default bounds a slice near 100 MB; bigger
  // months are cut into slices of scopes (features_wide) or iPhones (price_aligned).
  std::uint64_t slice_cells = 16'000'000;
  // Every month in one pair of reads instead of one (or more) per month, ignoring slice_cells: for a
  // few scopes over a range, whose rows are a small part of each month (the API's compare of one
  // scope). The same result; one statement's fixed cost instead of one per month.
  bool one_statement = false;
};

// Where a column's largest difference is.
struct DiffLocation {
  std::string scope;
  std::optional<std::uint32_t> shop_id;  // price_aligned only
  EpochSeconds bucket = 0;
  double base_value = 0;
  double target_value = 0;
};

struct ColumnDiff {
  std::string column;
  std::uint64_t rows_differ = 0;    // keys in both runs whose values differ beyond the tolerance
  std::uint64_t null_vs_value = 0;  // of those, NULL on one side only
  double max_abs_diff = 0;          // over keys where both values are finite
  std::optional<DiffLocation> where;
};

struct ScopeDiff {
  std::string scope;
  std::uint64_t only_base = 0;
  std::uint64_t only_target = 0;
  std::uint64_t rows_differ = 0;
  std::uint64_t total() const { return only_base + only_target + rows_differ; }
};

struct TableComparison {
  std::string table;
  std::string skipped;  // why the table was not compared; "" when it was
  std::vector<int> months;
  std::uint64_t rows_base = 0;  // deduplicated, within range and scopes
  std::uint64_t rows_target = 0;
  std::uint64_t only_base = 0;
  std::uint64_t only_target = 0;
  std::uint64_t rows_differ = 0;  // keys in both with at least one differing column
  std::vector<ColumnDiff> columns;
  std::vector<ScopeDiff> top_scopes;
  bool equal() const { return only_base == 0 && only_target == 0 && rows_differ == 0; }
};

struct Comparison {
  CompareOptions options;
  std::vector<TableComparison> tables;
  double elapsed_ms = 0;
  bool equal() const;
};

// A run compared that has no partition in the database: "<flag>: run <id> does not exist in <db>".
class UnknownRunError : public InputError {
 public:
  using InputError::InputError;
};

// Throws InputError for a malformed run id, UnknownRunError for an unknown run, a negative tolerance or a bad scope.
// `zone` is PIPELINE_TZ, the zone of the bucket columns: it decides which months --from/--to touch.
Comparison compare_runs(clickhouse::Client& client, const std::string& database,
                        const CompareOptions& options, const TimeZone& zone);

enum class CompareSide { kBase, kTarget };

// The statement that reads one run's rows of one table for compare_runs (store/compare_rows.hpp applies
// the rules): the key columns, then per value column its NULL flag and its value as Float64, FINAL,
// within `months`, the range and the scopes. `slices` > 1 adds `<slice expression> % slices = slice`.
// Exposed for tests.
std::string compare_read_sql(const std::string& database, std::string_view table,
                             const std::vector<std::string>& value_columns, const CompareOptions& options,
                             CompareSide side, const std::vector<int>& months, std::uint64_t slices,
                             std::uint64_t slice);

std::string format_comparison(const Comparison& comparison, const TimeZone& zone);
nlohmann::json comparison_json(const Comparison& comparison, const TimeZone& zone);

}  // namespace ypa::store
