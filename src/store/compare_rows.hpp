// The difference rules of compare_runs (SPEC §8), applied in this process to the rows of two runs as
// ClickHouse reads them: no I/O here, so that every rule is tested without a server
// (tests/unit/store/compare_rows_test.cpp).
//
//   RowComparer c({"mean", "std"}, 1e-9);
//   c.add_base(c.key("iphone:1", 0, bucket), nulls, values);   // every base row of a slice first,
//   c.add_target(c.key("iphone:1", 0, bucket), nulls, values); // then every target row,
//   c.end_slice();                                             // then the next slice, if any
//   c.columns(); c.scopes();
//
// A key is (scope, shop, bucket); `shop` is 0 for tables without one. The base rows of one slice are
// held in memory (12 bytes of key, 5 of order and match flag, and 9 bytes per value column a row);
// target rows are compared as they arrive and only those missing from the base are kept, as keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"

namespace ypa::store {

struct RowKey {
  std::uint32_t scope = 0;  // RowComparer's index of the scope name
  std::uint32_t shop = 0;
  std::uint32_t bucket = 0;
  friend bool operator<(const RowKey& a, const RowKey& b) {
    if (a.scope != b.scope) return a.scope < b.scope;
    if (a.shop != b.shop) return a.shop < b.shop;
    return a.bucket < b.bucket;
  }
  friend bool operator==(const RowKey& a, const RowKey& b) {
    return a.scope == b.scope && a.shop == b.shop && a.bucket == b.bucket;
  }
};

// Per scope: rows of each run (each key once), keys in one run only, keys in both whose row differs.
struct ScopeTally {
  std::string scope;
  std::uint64_t rows_base = 0;
  std::uint64_t rows_target = 0;
  std::uint64_t only_base = 0;
  std::uint64_t only_target = 0;
  std::uint64_t rows_differ = 0;
};

// Per value column. `place` is the key of the largest difference between two finite values: the
// largest |base - target|, then the earliest bucket, the lowest shop and the first scope name, so that
// every server and every cut into slices names the same one. Set only when that difference is above 0.
struct ColumnTally {
  std::string column;
  std::uint64_t rows_differ = 0;
  std::uint64_t null_vs_value = 0;
  double max_abs_diff = 0;
  struct Place {
    std::string scope;
    std::uint32_t shop = 0;
    EpochSeconds bucket = 0;
    double base_value = 0;
    double target_value = 0;
  };
  std::optional<Place> place;
};

// Whether one value differs from the other: NULL against a value always, both NULL never; two finite
// values when |a - b| > tolerance * max(1, |a|) (a is the base); otherwise (NaN, infinities) unless
// equal, with NaN equal to NaN.
bool values_differ(bool base_null, double base, bool target_null, double target, double tolerance);

class RowComparer {
 public:
  RowComparer(std::vector<std::string> columns, double tolerance);

  // The key of a row; scope names are interned.
  RowKey key(std::string_view scope, std::uint32_t shop, std::uint32_t bucket);
  // The key of a row whose scope is "<prefix><id>" (iphone:7, shop:3), without building the name.
  RowKey key(std::string_view prefix, std::uint32_t id, std::uint32_t shop, std::uint32_t bucket);

  // `nulls` and `values` hold one entry per column. A key seen twice in one run counts once, with the
  // first row read (the reads use FINAL; only a Distributed table can return a key twice).
  void add_base(const RowKey& key, const std::uint8_t* nulls, const double* values);
  // Room for this many base rows of the slice (a hint: without it the vectors grow as rows arrive).
  void reserve_base(std::size_t rows);
  void add_target(const RowKey& key, const std::uint8_t* nulls, const double* values);
  // Counts the base rows that no target row matched and the target-only keys, and forgets the slice.
  void end_slice();

  std::size_t column_count() const { return columns_.size(); }
  const std::vector<ColumnTally>& columns() const { return columns_; }
  // Every scope seen, in order of first appearance.
  const std::vector<ScopeTally>& scopes() const { return scopes_; }

 private:
  void seal_base();
  std::uint32_t intern(std::string name);
  void compare_pair(std::size_t base_row, const RowKey& key, const std::uint8_t* nulls, const double* values);
  bool better_place(const ColumnTally::Place& place, const RowKey& key) const;

  std::vector<ColumnTally> columns_;
  double tolerance_;
  std::vector<ScopeTally> scopes_;
  std::unordered_map<std::string, std::uint32_t> scope_index_;
  std::unordered_map<std::string, std::unordered_map<std::uint32_t, std::uint32_t>> prefixed_index_;
  // The scope of the previous row, per kind of key (rows come grouped by scope).
  static constexpr std::uint32_t kNoScope = UINT32_MAX;
  std::uint32_t last_scope_index_ = kNoScope;
  std::string last_prefix_;
  std::unordered_map<std::uint32_t, std::uint32_t>* last_ids_ = nullptr;  // prefixed_index_[last_prefix_]
  std::uint32_t last_id_ = 0;
  std::uint32_t last_id_index_ = 0;

  // The base rows of the current slice in the order read, and (from the first target row) the rows in
  // key order, one per key.
  std::vector<RowKey> base_keys_;
  std::vector<std::uint8_t> base_nulls_;  // row-major, column_count() a row
  std::vector<double> base_values_;
  std::vector<std::uint32_t> order_;
  std::vector<std::uint8_t> base_matched_;  // per position in order_
  bool base_sealed_ = false;
  std::size_t next_hint_ = 0;  // the position after the last match: both runs are read in key order
  std::vector<RowKey> target_only_;   // deduplicated at end_slice()
};

}  // namespace ypa::store
