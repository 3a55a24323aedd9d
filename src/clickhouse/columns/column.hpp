// The column interface: each column type encodes and decodes itself in the native format (column-major,
// all rows of one column together) and can render a cell as text for small metadata queries.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "clickhouse/errors.hpp"
#include "wire/buffer.hpp"
#include "wire/input.hpp"

namespace ypa::clickhouse {

class Column;
using ColumnPtr = std::shared_ptr<Column>;

class Column {
 public:
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;
  virtual ~Column() = default;

  // The type as the server spells it, e.g. "Nullable(UInt32)" or "DateTime('Asia/Tokyo')".
  const std::string& type_name() const { return type_name_; }

  virtual std::size_t size() const = 0;
  virtual void clear() = 0;
  virtual void reserve(std::size_t /*rows*/) {}
  // Appends the type's default value (0, "", 1970-01-01); Nullable uses it under a NULL.
  virtual void append_default() = 0;

  // Native encoding of all rows. The prefix carries per-stream state (only LowCardinality has one);
  // the block writes prefix and data only when it has rows.
  virtual void write_prefix(wire::Buffer& /*out*/) const {}
  virtual void write_data(wire::Buffer& out) const = 0;
  virtual void read_prefix(wire::Input& /*in*/) {}
  // Appends `rows` rows read from `in`.
  virtual void read_data(wire::Input& in, std::size_t rows) = 0;

  virtual bool is_null(std::size_t /*row*/) const { return false; }
  // Appends the cell as text: numbers in decimal, Date as YYYY-MM-DD, DateTime as Unix seconds,
  // Enum as its name, Array as [a,b]. A NULL appends nothing (test is_null() first).
  virtual void append_text(std::size_t row, std::string& out) const = 0;

  // A new, empty column of the same type.
  virtual ColumnPtr clone_empty() const = 0;

  // Downcast with a UsageError naming both types when the column is something else.
  template <typename T>
  T& as() {
    auto* p = dynamic_cast<T*>(this);
    if (p == nullptr) throw UsageError("column of type " + type_name_ + " accessed as another type");
    return *p;
  }
  template <typename T>
  const T& as() const {
    const auto* p = dynamic_cast<const T*>(this);
    if (p == nullptr) throw UsageError("column of type " + type_name_ + " accessed as another type");
    return *p;
  }

 protected:
  explicit Column(std::string type_name) : type_name_(std::move(type_name)) {}

 private:
  std::string type_name_;
};

// Builds an empty column for a type name as the server sends it. Throws UsageError for a type this
// client does not handle or a malformed name.
ColumnPtr create_column(std::string_view type_name);

}  // namespace ypa::clickhouse
