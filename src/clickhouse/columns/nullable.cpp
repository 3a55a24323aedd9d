// Encoding of Nullable columns.
#include "clickhouse/columns/nullable.hpp"

#include <fmt/format.h>

namespace ypa::clickhouse {

ColumnNullable::ColumnNullable(ColumnPtr nested)
    : Column("Nullable(" + nested->type_name() + ")"), nested_(std::move(nested)) {
  if (nested_->size() != 0) throw UsageError("a Nullable column must start from an empty nested column");
}

void ColumnNullable::write_data(wire::Buffer& out) const {
  if (nested_->size() != nulls_.size()) {
    throw UsageError(fmt::format("{} has {} null flags but {} nested values", type_name(), nulls_.size(),
                                 nested_->size()));
  }
  out.write_array(std::span<const std::uint8_t>(nulls_));
  nested_->write_data(out);
}

void ColumnNullable::read_data(wire::Input& in, std::size_t rows) {
  in.read_array(nulls_, rows, "Nullable null map");
  nested_->read_data(in, rows);
}

}  // namespace ypa::clickhouse
