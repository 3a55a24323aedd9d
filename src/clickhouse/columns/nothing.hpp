// Nothing: the type of a bare NULL (`SELECT NULL` is Nullable(Nothing)); one placeholder byte per row.
#pragma once

#include "clickhouse/columns/numeric.hpp"

namespace ypa::clickhouse {

class ColumnNothing final : public NumberColumn<std::uint8_t> {
 public:
  ColumnNothing() : NumberColumn<std::uint8_t>("Nothing") {}
  void append_text(std::size_t /*row*/, std::string& /*out*/) const override {}
  ColumnPtr clone_empty() const override { return std::make_shared<ColumnNothing>(); }
};

}  // namespace ypa::clickhouse
