// Block container and its native encoding.
#include "clickhouse/block.hpp"

#include <fmt/format.h>

namespace ypa::clickhouse {
namespace {

// BlockInfo is a list of (field number, value) pairs ended by field 0.
constexpr std::uint64_t kInfoIsOverflows = 1;
constexpr std::uint64_t kInfoBucketNum = 2;
constexpr std::uint64_t kInfoEnd = 0;

}  // namespace

Block& Block::add(std::string name, ColumnPtr column) {
  // Duplicate names are allowed: a server result such as `SELECT 1, 1` has them. Inserts check names.
  if (!column) throw UsageError("column '" + name + "' is null");
  entries_.push_back({std::move(name), std::move(column)});
  return *this;
}

std::ptrdiff_t Block::find(std::string_view name) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == name) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

const Column& Block::column(std::string_view name) const {
  const std::ptrdiff_t i = find(name);
  if (i < 0) throw UsageError(fmt::format("block has no column '{}'", name));
  return *entries_[static_cast<std::size_t>(i)].column;
}

Block Block::clone_empty() const {
  Block out;
  for (const auto& e : entries_) out.add(e.name, e.column->clone_empty());
  out.is_overflows = is_overflows;
  out.bucket_num = bucket_num;
  return out;
}

void Block::clear_rows() {
  for (auto& e : entries_) e.column->clear();
}

void Block::validate() const {
  const std::size_t rows = row_count();
  for (const auto& e : entries_) {
    if (e.column->size() != rows) {
      throw UsageError(fmt::format("column '{}' has {} rows but column '{}' has {}", e.name, e.column->size(),
                                   entries_.front().name, rows));
    }
  }
}

void write_block(const Block& block, wire::Buffer& out, Revision revision,
                 const std::vector<std::string>* type_names) {
  block.validate();
  if (revision >= revision::kBlockInfo) {
    out.write_varint(kInfoIsOverflows);
    out.write_u8(block.is_overflows ? 1 : 0);
    out.write_varint(kInfoBucketNum);
    out.write_fixed<std::int32_t>(block.bucket_num);
    out.write_varint(kInfoEnd);
  }
  const std::size_t rows = block.row_count();
  out.write_varint(block.column_count());
  out.write_varint(rows);
  if (type_names != nullptr && type_names->size() != block.column_count()) {
    throw UsageError("type name list does not match the block's columns");
  }
  for (std::size_t i = 0; i < block.column_count(); ++i) {
    const auto& e = block.entries()[i];
    out.write_string(e.name);
    out.write_string(type_names != nullptr ? (*type_names)[i] : e.column->type_name());
    if (revision >= revision::kCustomSerialization) out.write_u8(0);  // default serialization
    if (rows > 0) {
      e.column->write_prefix(out);
      e.column->write_data(out);
    }
  }
}

Block read_block(wire::Input& in, Revision revision) {
  Block block;
  if (revision >= revision::kBlockInfo) {
    while (true) {
      const std::uint64_t field = in.read_varint("BlockInfo field number");
      if (field == kInfoEnd) break;
      if (field == kInfoIsOverflows) {
        block.is_overflows = in.read_u8("BlockInfo.is_overflows") != 0;
      } else if (field == kInfoBucketNum) {
        block.bucket_num = in.read_fixed<std::int32_t>("BlockInfo.bucket_num");
      } else {
        throw ProtocolError(fmt::format("BlockInfo has unknown field {}", field));
      }
    }
  }
  const std::uint64_t columns = in.read_varint("block column count");
  const std::uint64_t rows = in.read_varint("block row count");
  if (columns > kMaxBlockColumns) throw ProtocolError(fmt::format("block claims {} columns", columns));
  if (rows > kMaxBlockRows) throw ProtocolError(fmt::format("block claims {} rows", rows));
  for (std::uint64_t i = 0; i < columns; ++i) {
    std::string name = in.read_string("column name", kMaxNameLength);
    const std::string type = in.read_string("column type", kMaxNameLength);
    if (revision >= revision::kCustomSerialization && in.read_u8("column serialization kind") != 0) {
      // Sparse columns only come from servers at 54465+; we advertise less, so this is a violation.
      throw ProtocolError(fmt::format("column '{}' uses a custom serialization", name));
    }
    ColumnPtr column = create_column(type);
    if (rows > 0) {
      column->read_prefix(in);
      column->read_data(in, static_cast<std::size_t>(rows));
    }
    block.add(std::move(name), std::move(column));
  }
  return block;
}

}  // namespace ypa::clickhouse
