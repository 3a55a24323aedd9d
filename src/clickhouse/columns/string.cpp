// Encoding of String and FixedString columns.
#include "clickhouse/columns/string.hpp"

#include <fmt/format.h>

namespace ypa::clickhouse {

std::string_view ColumnString::at(std::size_t row) const {
  if (row >= ends_.size()) throw UsageError(fmt::format("row {} out of range ({} rows)", row, ends_.size()));
  return (*this)[row];
}

void ColumnString::write_data(wire::Buffer& out) const {
  std::size_t begin = 0;
  for (const std::size_t end : ends_) {
    out.write_varint(end - begin);
    out.write(chars_.data() + begin, end - begin);
    begin = end;
  }
}

void ColumnString::read_data(wire::Input& in, std::size_t rows) {
  // Grow the offsets as rows arrive, never by the (untrusted) row count in one step; short values are
  // read straight into the character buffer, long ones through the chunked reader.
  std::string long_value;
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint64_t length = in.read_varint("String length");
    if (length <= wire::kReadChunk) {
      const std::size_t old = chars_.size();
      chars_.resize(old + length);
      in.read(chars_.data() + old, length, "String value");
      ends_.push_back(chars_.size());
    } else {
      if (length > wire::kMaxStringLength) {
        throw ProtocolError(fmt::format("String value of {} bytes is above the limit", length));
      }
      long_value.clear();
      std::size_t left = length;
      while (left > 0) {
        const std::size_t step = left < wire::kReadChunk ? left : wire::kReadChunk;
        const std::size_t old = long_value.size();
        long_value.resize(old + step);
        in.read(long_value.data() + old, step, "String value");
        left -= step;
      }
      append(long_value);
    }
  }
}

ColumnFixedString::ColumnFixedString(std::size_t width)
    : Column(fmt::format("FixedString({})", width)), width_(width) {
  if (width == 0) throw UsageError("FixedString width must be positive");
}

void ColumnFixedString::append(std::string_view value) {
  if (value.size() > width_) {
    throw UsageError(fmt::format("value of {} bytes does not fit {}", value.size(), type_name()));
  }
  chars_.append(value);
  chars_.append(width_ - value.size(), '\0');
}

void ColumnFixedString::read_data(wire::Input& in, std::size_t rows) {
  // Chunked so that a huge declared width cannot allocate more than the bytes that arrive.
  for (std::size_t i = 0; i < rows; ++i) {
    std::size_t left = width_;
    while (left > 0) {
      const std::size_t step = left < wire::kReadChunk ? left : wire::kReadChunk;
      const std::size_t old = chars_.size();
      chars_.resize(old + step);
      in.read(chars_.data() + old, step, "FixedString value");
      left -= step;
    }
  }
}

}  // namespace ypa::clickhouse
