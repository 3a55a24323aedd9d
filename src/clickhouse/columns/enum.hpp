// Enum8 / Enum16: Int8 / Int16 codes on the wire; the names live in the type, e.g. Enum8('a' = 1).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "clickhouse/columns/numeric.hpp"

namespace ypa::clickhouse {

template <typename T>
class ColumnEnum final : public NumberColumn<T> {
 public:
  ColumnEnum(std::string type_name, std::map<T, std::string> names)
      : NumberColumn<T>(std::move(type_name)), names_(std::move(names)) {}

  const std::map<T, std::string>& names() const { return names_; }
  // The name of the row's code (the code in decimal if the type does not list it).
  void append_text(std::size_t row, std::string& out) const override {
    const auto it = names_.find((*this)[row]);
    if (it != names_.end()) {
      out += it->second;
    } else {
      NumberColumn<T>::append_text(row, out);
    }
  }
  ColumnPtr clone_empty() const override {
    return std::make_shared<ColumnEnum<T>>(this->type_name(), names_);
  }

 private:
  std::map<T, std::string> names_;
};

using ColumnEnum8 = ColumnEnum<std::int8_t>;
using ColumnEnum16 = ColumnEnum<std::int16_t>;

}  // namespace ypa::clickhouse
