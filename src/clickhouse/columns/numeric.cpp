// Type names of the numeric columns and their explicit instantiations.
#include "clickhouse/columns/numeric.hpp"

namespace ypa::clickhouse {

// clang-format off
template <> const char* NumberColumn<std::uint8_t>::default_type_name() { return "UInt8"; }
template <> const char* NumberColumn<std::uint16_t>::default_type_name() { return "UInt16"; }
template <> const char* NumberColumn<std::uint32_t>::default_type_name() { return "UInt32"; }
template <> const char* NumberColumn<std::uint64_t>::default_type_name() { return "UInt64"; }
template <> const char* NumberColumn<std::int8_t>::default_type_name() { return "Int8"; }
template <> const char* NumberColumn<std::int16_t>::default_type_name() { return "Int16"; }
template <> const char* NumberColumn<std::int32_t>::default_type_name() { return "Int32"; }
template <> const char* NumberColumn<std::int64_t>::default_type_name() { return "Int64"; }
template <> const char* NumberColumn<float>::default_type_name() { return "Float32"; }
template <> const char* NumberColumn<double>::default_type_name() { return "Float64"; }
// clang-format on

template class NumberColumn<std::uint8_t>;
template class NumberColumn<std::uint16_t>;
template class NumberColumn<std::uint32_t>;
template class NumberColumn<std::uint64_t>;
template class NumberColumn<std::int8_t>;
template class NumberColumn<std::int16_t>;
template class NumberColumn<std::int32_t>;
template class NumberColumn<std::int64_t>;
template class NumberColumn<float>;
template class NumberColumn<double>;

}  // namespace ypa::clickhouse
