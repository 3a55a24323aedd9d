// Fixed-width numeric columns (UInt8..UInt64, Int8..Int64, Float32, Float64): packed little-endian
// values. Date and DateTime reuse the storage with their own text form.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <vector>

#include "clickhouse/columns/column.hpp"

namespace ypa::clickhouse {

template <typename T>
class NumberColumn : public Column {
 public:
  using value_type = T;

  NumberColumn() : Column(default_type_name()) {}

  void append(T value) { values_.push_back(value); }
  T at(std::size_t row) const { return values_.at(row); }
  T operator[](std::size_t row) const { return values_[row]; }
  std::span<const T> values() const { return values_; }
  std::vector<T>& mutable_values() { return values_; }

  std::size_t size() const override { return values_.size(); }
  void clear() override { values_.clear(); }
  void reserve(std::size_t rows) override { values_.reserve(rows); }
  void append_default() override { values_.push_back(T{}); }
  void write_data(wire::Buffer& out) const override { out.write_array(std::span<const T>(values_)); }
  void read_data(wire::Input& in, std::size_t rows) override { in.read_array(values_, rows, type_name()); }
  void append_text(std::size_t row, std::string& out) const override {
    fmt::format_to(std::back_inserter(out), "{}", values_[row]);
  }
  ColumnPtr clone_empty() const override { return std::make_shared<NumberColumn<T>>(); }

  static const char* default_type_name();

 protected:
  explicit NumberColumn(std::string type_name) : Column(std::move(type_name)) {}

 private:
  std::vector<T> values_;
};

template <>
const char* NumberColumn<std::uint8_t>::default_type_name();
template <>
const char* NumberColumn<std::uint16_t>::default_type_name();
template <>
const char* NumberColumn<std::uint32_t>::default_type_name();
template <>
const char* NumberColumn<std::uint64_t>::default_type_name();
template <>
const char* NumberColumn<std::int8_t>::default_type_name();
template <>
const char* NumberColumn<std::int16_t>::default_type_name();
template <>
const char* NumberColumn<std::int32_t>::default_type_name();
template <>
const char* NumberColumn<std::int64_t>::default_type_name();
template <>
const char* NumberColumn<float>::default_type_name();
template <>
const char* NumberColumn<double>::default_type_name();

using ColumnUInt8 = NumberColumn<std::uint8_t>;
using ColumnUInt16 = NumberColumn<std::uint16_t>;
using ColumnUInt32 = NumberColumn<std::uint32_t>;
using ColumnUInt64 = NumberColumn<std::uint64_t>;
using ColumnInt8 = NumberColumn<std::int8_t>;
using ColumnInt16 = NumberColumn<std::int16_t>;
using ColumnInt32 = NumberColumn<std::int32_t>;
using ColumnInt64 = NumberColumn<std::int64_t>;
using ColumnFloat32 = NumberColumn<float>;
using ColumnFloat64 = NumberColumn<double>;

extern template class NumberColumn<std::uint8_t>;
extern template class NumberColumn<std::uint16_t>;
extern template class NumberColumn<std::uint32_t>;
extern template class NumberColumn<std::uint64_t>;
extern template class NumberColumn<std::int8_t>;
extern template class NumberColumn<std::int16_t>;
extern template class NumberColumn<std::int32_t>;
extern template class NumberColumn<std::int64_t>;
extern template class NumberColumn<float>;
extern template class NumberColumn<double>;

}  // namespace ypa::clickhouse
