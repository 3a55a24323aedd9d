// A block: named columns of equal length, the unit of data in both directions, and its native
// encoding (BlockInfo, counts, then per column name, type and data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clickhouse/columns/column.hpp"
#include "clickhouse/protocol.hpp"
#include "wire/buffer.hpp"
#include "wire/input.hpp"

namespace ypa::clickhouse {

// Caps on what a decoded block header may claim; rows are also bounded by the bytes that arrive.
inline constexpr std::uint64_t kMaxBlockColumns = 1u << 16;
inline constexpr std::uint64_t kMaxBlockRows = std::uint64_t{1} << 32;
inline constexpr std::size_t kMaxNameLength = 1u << 20;

class Block {
 public:
  struct Entry {
    std::string name;
    ColumnPtr column;
  };

  Block() = default;

  // Adds a column (an empty ColumnPtr is a UsageError).
  Block& add(std::string name, ColumnPtr column);
  template <typename C>
  C& add(std::string name) {
    auto column = std::make_shared<C>();
    C& ref = *column;
    add(std::move(name), std::move(column));
    return ref;
  }

  std::size_t column_count() const { return entries_.size(); }
  // Rows of the first column (0 for a block without columns); validate() checks they all agree.
  std::size_t row_count() const { return entries_.empty() ? 0 : entries_.front().column->size(); }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& name(std::size_t i) const { return entries_.at(i).name; }
  const Column& column(std::size_t i) const { return *entries_.at(i).column; }
  Column& column(std::size_t i) { return *entries_.at(i).column; }
  const ColumnPtr& column_ptr(std::size_t i) const { return entries_.at(i).column; }
  // Index of the column with this name, or -1.
  std::ptrdiff_t find(std::string_view name) const;
  // The column with this name; UsageError when absent.
  const Column& column(std::string_view name) const;

  // Same names and types, no rows.
  Block clone_empty() const;
  void clear_rows();
  // UsageError unless every column has the same number of rows.
  void validate() const;

  // BlockInfo fields (only meaningful for GROUP BY ... WITH TOTALS and two-level aggregation).
  bool is_overflows = false;
  std::int32_t bucket_num = -1;

 private:
  std::vector<Entry> entries_;
};

// Appends the block's native encoding as the negotiated revision expects it. `type_names`, when given,
// replaces each column's own type name (an INSERT sends the sample block's spelling).
void write_block(const Block& block, wire::Buffer& out, Revision revision,
                 const std::vector<std::string>* type_names = nullptr);
// Reads one block; throws ProtocolError (or UsageError for a column type this client lacks).
Block read_block(wire::Input& in, Revision revision);

}  // namespace ypa::clickhouse
