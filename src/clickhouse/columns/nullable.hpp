// Nullable(T): a null map (UInt8 per row, 1 = NULL) followed by the nested column with every row,
// a placeholder default under each NULL.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "clickhouse/columns/column.hpp"

namespace ypa::clickhouse {

class ColumnNullable final : public Column {
 public:
  explicit ColumnNullable(ColumnPtr nested);

  Column& nested() { return *nested_; }
  const Column& nested() const { return *nested_; }
  const ColumnPtr& nested_ptr() const { return nested_; }
  std::span<const std::uint8_t> null_map() const { return nulls_; }

  void append_null() {
    nested_->append_default();
    nulls_.push_back(1);
  }
  // Appends a value through the nested column's typed append(), or NULL for nullopt:
  //   col.append<ColumnUInt32>(std::optional<std::uint32_t>{5});
  template <typename C, typename V>
  void append(const std::optional<V>& value) {
    if (!value) {
      append_null();
      return;
    }
    nested_->as<C>().append(*value);
    nulls_.push_back(0);
  }

  // The same through the nested column resolved once by the caller (`nested().as<C>()`), for writers
  // that append millions of values: no downcast per row.
  template <typename C, typename V>
  void append(C& typed_nested, const std::optional<V>& value) {
    if (!value) {
      typed_nested.append_default();
      nulls_.push_back(1);
      return;
    }
    typed_nested.append(*value);
    nulls_.push_back(0);
  }

  std::size_t size() const override { return nulls_.size(); }
  void clear() override {
    nested_->clear();
    nulls_.clear();
  }
  void reserve(std::size_t rows) override {
    nested_->reserve(rows);
    nulls_.reserve(rows);
  }
  void append_default() override { append_null(); }
  void write_prefix(wire::Buffer& out) const override { nested_->write_prefix(out); }
  void write_data(wire::Buffer& out) const override;
  void read_prefix(wire::Input& in) override { nested_->read_prefix(in); }
  void read_data(wire::Input& in, std::size_t rows) override;
  bool is_null(std::size_t row) const override { return nulls_[row] != 0; }
  void append_text(std::size_t row, std::string& out) const override {
    if (nulls_[row] == 0) nested_->append_text(row, out);
  }
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnNullable>(nested_->clone_empty()); }

 private:
  ColumnPtr nested_;
  std::vector<std::uint8_t> nulls_;
};

}  // namespace ypa::clickhouse
