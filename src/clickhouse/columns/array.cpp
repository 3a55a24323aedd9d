// Encoding of Array columns.
#include "clickhouse/columns/array.hpp"

#include <fmt/format.h>

namespace ypa::clickhouse {

ColumnArray::ColumnArray(ColumnPtr nested)
    : Column("Array(" + nested->type_name() + ")"), nested_(std::move(nested)) {
  if (nested_->size() != 0) throw UsageError("an Array column must start from an empty nested column");
}

void ColumnArray::write_data(wire::Buffer& out) const {
  out.write_array(std::span<const std::uint64_t>(ends_));
  nested_->write_data(out);
}

void ColumnArray::read_data(wire::Input& in, std::size_t rows) {
  const std::size_t first = ends_.size();
  const std::uint64_t base = nested_->size();
  in.read_array(ends_, rows, "Array offsets");
  // Offsets in the stream start from 0 for this block; make them absolute and check they grow.
  std::uint64_t previous = 0;
  for (std::size_t i = first; i < ends_.size(); ++i) {
    if (ends_[i] < previous) throw ProtocolError("Array offsets decrease");
    previous = ends_[i];
    ends_[i] += base;
  }
  nested_->read_data(in, static_cast<std::size_t>(previous));
}

void ColumnArray::append_text(std::size_t row, std::string& out) const {
  out += '[';
  for (std::size_t i = row_begin(row); i < row_end(row); ++i) {
    if (i != row_begin(row)) out += ',';
    if (nested_->is_null(i)) {
      out += "NULL";
    } else {
      nested_->append_text(i, out);
    }
  }
  out += ']';
}

}  // namespace ypa::clickhouse
