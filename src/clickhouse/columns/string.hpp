// String (varint length + bytes per row) and FixedString(N) (N bytes per row, zero-padded) columns.
// Rows are kept in one character buffer with end offsets, so a million short strings are two allocations.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "clickhouse/columns/column.hpp"

namespace ypa::clickhouse {

class ColumnString final : public Column {
 public:
  ColumnString() : Column("String") {}

  void append(std::string_view value) {
    chars_.append(value);
    ends_.push_back(chars_.size());
  }
  std::string_view at(std::size_t row) const;
  std::string_view operator[](std::size_t row) const {
    const std::size_t begin = row == 0 ? 0 : ends_[row - 1];
    return std::string_view(chars_).substr(begin, ends_[row] - begin);
  }

  std::size_t size() const override { return ends_.size(); }
  void clear() override {
    chars_.clear();
    ends_.clear();
  }
  void reserve(std::size_t rows) override { ends_.reserve(rows); }
  void append_default() override { ends_.push_back(chars_.size()); }
  void write_data(wire::Buffer& out) const override;
  void read_data(wire::Input& in, std::size_t rows) override;
  void append_text(std::size_t row, std::string& out) const override { out += (*this)[row]; }
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnString>(); }

 private:
  std::string chars_;
  std::vector<std::size_t> ends_;
};

class ColumnFixedString final : public Column {
 public:
  explicit ColumnFixedString(std::size_t width);

  std::size_t width() const { return width_; }
  // Values longer than the width are a UsageError; shorter ones are zero-padded.
  void append(std::string_view value);
  std::string_view operator[](std::size_t row) const {
    return std::string_view(chars_).substr(row * width_, width_);
  }

  std::size_t size() const override { return chars_.size() / width_; }
  void clear() override { chars_.clear(); }
  void append_default() override { chars_.append(width_, '\0'); }
  void write_data(wire::Buffer& out) const override { out.write(chars_.data(), chars_.size()); }
  void read_data(wire::Input& in, std::size_t rows) override;
  void append_text(std::size_t row, std::string& out) const override { out += (*this)[row]; }
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnFixedString>(width_); }

 private:
  std::size_t width_;
  std::string chars_;
};

}  // namespace ypa::clickhouse
