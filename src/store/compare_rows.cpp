#include "store/compare_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ypa::store {
namespace {

// Empties a vector and gives its memory back (clear() keeps it).
template <typename Vector>
void release(Vector& v) {
  Vector().swap(v);
}

}  // namespace

bool values_differ(bool base_null, double base, bool target_null, double target, double tolerance) {
  if (base_null || target_null) return base_null != target_null;
  if (std::isfinite(base) && std::isfinite(target)) {
    return std::abs(base - target) > tolerance * std::max(1.0, std::abs(base));
  }
  return !(base == target || (std::isnan(base) && std::isnan(target)));
}

RowComparer::RowComparer(std::vector<std::string> columns, double tolerance) : tolerance_(tolerance) {
  for (auto& c : columns) columns_.push_back(ColumnTally{std::move(c), 0, 0, 0, std::nullopt});
}

std::uint32_t RowComparer::intern(std::string name) {
  auto [it, added] = scope_index_.try_emplace(name, static_cast<std::uint32_t>(scopes_.size()));
  if (added) scopes_.push_back(ScopeTally{std::move(name)});
  return it->second;
}

RowKey RowComparer::key(std::string_view scope, std::uint32_t shop, std::uint32_t bucket) {
  // Rows come grouped by scope (the tables' order): the last scope usually serves the next row.
  if (last_scope_index_ == kNoScope || scope != scopes_[last_scope_index_].scope) {
    last_scope_index_ = intern(std::string(scope));
  }
  return RowKey{last_scope_index_, shop, bucket};
}

RowKey RowComparer::key(std::string_view prefix, std::uint32_t id, std::uint32_t shop, std::uint32_t bucket) {
  if (last_ids_ == nullptr || prefix != last_prefix_ || id != last_id_) {
    if (last_ids_ == nullptr || prefix != last_prefix_) {
      last_prefix_ = std::string(prefix);
      last_ids_ = &prefixed_index_[last_prefix_];
    }
    auto it = last_ids_->find(id);
    if (it == last_ids_->end()) it = last_ids_->emplace(id, intern(fmt::format("{}{}", prefix, id))).first;
    last_id_ = id;
    last_id_index_ = it->second;
  }
  return RowKey{last_id_index_, shop, bucket};
}

void RowComparer::add_base(const RowKey& key, const std::uint8_t* nulls, const double* values) {
  if (base_sealed_) throw std::logic_error("RowComparer: a base row after a target row of the same slice");
  base_keys_.push_back(key);
  base_nulls_.insert(base_nulls_.end(), nulls, nulls + columns_.size());
  base_values_.insert(base_values_.end(), values, values + columns_.size());
}

void RowComparer::reserve_base(std::size_t rows) {
  base_keys_.reserve(rows);
  base_nulls_.reserve(rows * columns_.size());
  base_values_.reserve(rows * columns_.size());
}

void RowComparer::seal_base() {
  // The rows stay where they were read; only their order by key is kept (4 bytes a row, no copy).
  order_.resize(base_keys_.size());
  std::iota(order_.begin(), order_.end(), 0U);
  // Stable: of two rows with one key, the first read is kept.
  std::stable_sort(order_.begin(), order_.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return base_keys_[a] < base_keys_[b]; });
  order_.erase(std::unique(order_.begin(), order_.end(),
                           [&](std::uint32_t a, std::uint32_t b) { return base_keys_[a] == base_keys_[b]; }),
               order_.end());
  base_matched_.assign(order_.size(), 0);
  for (std::uint32_t row : order_) ++scopes_[base_keys_[row].scope].rows_base;
  base_sealed_ = true;
  next_hint_ = 0;
}

void RowComparer::add_target(const RowKey& key, const std::uint8_t* nulls, const double* values) {
  if (!base_sealed_) seal_base();
  std::size_t at;  // position in order_
  if (next_hint_ < order_.size() && base_keys_[order_[next_hint_]] == key) {
    at = next_hint_;
  } else {
    auto it = std::lower_bound(order_.begin(), order_.end(), key,
                               [&](std::uint32_t row, const RowKey& k) { return base_keys_[row] < k; });
    if (it == order_.end() || !(base_keys_[*it] == key)) {
      target_only_.push_back(key);
      return;
    }
    at = static_cast<std::size_t>(it - order_.begin());
  }
  next_hint_ = at + 1;
  if (base_matched_[at]) return;  // the same key again in the target
  base_matched_[at] = 1;
  ++scopes_[key.scope].rows_target;
  compare_pair(order_[at], key, nulls, values);
}

bool RowComparer::better_place(const ColumnTally::Place& place, const RowKey& key) const {
  // Only between two places of the same difference.
  if (key.bucket != place.bucket) return key.bucket < place.bucket;
  if (key.shop != place.shop) return key.shop < place.shop;
  return scopes_[key.scope].scope < place.scope;
}

void RowComparer::compare_pair(std::size_t base_row, const RowKey& key, const std::uint8_t* nulls,
                               const double* values) {
  const std::size_t width = columns_.size();
  const std::uint8_t* base_nulls = &base_nulls_[base_row * width];
  const double* base_values = &base_values_[base_row * width];
  bool row_differs = false;
  for (std::size_t i = 0; i < width; ++i) {
    const bool an = base_nulls[i] != 0, bn = nulls[i] != 0;
    const double a = base_values[i], b = values[i];
    ColumnTally& column = columns_[i];
    if (an != bn) ++column.null_vs_value;
    if (values_differ(an, a, bn, b, tolerance_)) {
      ++column.rows_differ;
      row_differs = true;
    }
    if (an || bn || !std::isfinite(a) || !std::isfinite(b)) continue;
    const double x = std::abs(a - b);
    if (x <= 0 || x < column.max_abs_diff) continue;
    if (x == column.max_abs_diff && column.place && !better_place(*column.place, key)) continue;
    column.max_abs_diff = x;
    column.place = ColumnTally::Place{scopes_[key.scope].scope, key.shop, static_cast<EpochSeconds>(key.bucket),
                                      a, b};
  }
  if (row_differs) ++scopes_[key.scope].rows_differ;
}

void RowComparer::end_slice() {
  if (!base_sealed_) seal_base();
  for (std::size_t at = 0; at < order_.size(); ++at) {
    if (!base_matched_[at]) ++scopes_[base_keys_[order_[at]].scope].only_base;
  }
  std::sort(target_only_.begin(), target_only_.end());
  target_only_.erase(std::unique(target_only_.begin(), target_only_.end()), target_only_.end());
  for (const auto& k : target_only_) {
    ++scopes_[k.scope].only_target;
    ++scopes_[k.scope].rows_target;
  }
  release(base_keys_);
  release(base_nulls_);
  release(base_values_);
  release(base_matched_);
  release(order_);
  release(target_only_);
  base_sealed_ = false;
  next_hint_ = 0;
}

}  // namespace ypa::store
