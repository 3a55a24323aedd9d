// LowCardinality(T), read side: a dictionary of distinct values plus one index per row. Newer servers
// use it in system tables; this client decodes it and refuses to send it.
#pragma once

#include <cstdint>
#include <vector>

#include "clickhouse/columns/column.hpp"

namespace ypa::clickhouse {

class ColumnLowCardinality final : public Column {
 public:
  // `dictionary_type` is T without Nullable; `nullable` is true for LowCardinality(Nullable(T)),
  // where dictionary entry 0 stands for NULL.
  ColumnLowCardinality(ColumnPtr dictionary, bool nullable);

  const Column& dictionary() const { return *dictionary_; }
  // Index of row's value in dictionary().
  std::uint64_t index(std::size_t row) const { return indexes_[row]; }

  std::size_t size() const override { return indexes_.size(); }
  void clear() override;
  void append_default() override;
  void write_data(wire::Buffer& out) const override;
  void read_prefix(wire::Input& in) override;
  void read_data(wire::Input& in, std::size_t rows) override;
  bool is_null(std::size_t row) const override { return nullable_ && indexes_[row] == 0; }
  void append_text(std::size_t row, std::string& out) const override;
  ColumnPtr clone_empty() const override;

 private:
  ColumnPtr dictionary_;
  bool nullable_;
  std::vector<std::uint64_t> indexes_;
};

}  // namespace ypa::clickhouse
