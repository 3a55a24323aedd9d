// Array(T): UInt64 cumulative end offsets, one per row, then all elements as one nested column.
#pragma once

#include <cstdint>
#include <vector>

#include "clickhouse/columns/column.hpp"

namespace ypa::clickhouse {

class ColumnArray final : public Column {
 public:
  explicit ColumnArray(ColumnPtr nested);

  Column& nested() { return *nested_; }
  const Column& nested() const { return *nested_; }
  // Elements [begin, end) of row in nested().
  std::size_t row_begin(std::size_t row) const {
    return row == 0 ? 0 : static_cast<std::size_t>(ends_[row - 1]);
  }
  std::size_t row_end(std::size_t row) const { return static_cast<std::size_t>(ends_[row]); }
  // Closes the current row after the caller appended its elements to nested().
  void finish_row() { ends_.push_back(nested_->size()); }

  std::size_t size() const override { return ends_.size(); }
  void clear() override {
    nested_->clear();
    ends_.clear();
  }
  void append_default() override { finish_row(); }
  void write_prefix(wire::Buffer& out) const override { nested_->write_prefix(out); }
  void write_data(wire::Buffer& out) const override;
  void read_prefix(wire::Input& in) override { nested_->read_prefix(in); }
  void read_data(wire::Input& in, std::size_t rows) override;
  // [a,b,c]; strings are not quoted.
  void append_text(std::size_t row, std::string& out) const override;
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnArray>(nested_->clone_empty()); }

 private:
  ColumnPtr nested_;
  std::vector<std::uint64_t> ends_;
};

}  // namespace ypa::clickhouse
