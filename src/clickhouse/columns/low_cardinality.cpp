// Decoding of LowCardinality columns in the native format: a key-version prefix, then per granule a
// flags word, the dictionary keys for this granule and the row indexes.
#include "clickhouse/columns/low_cardinality.hpp"

#include <fmt/format.h>

namespace ypa::clickhouse {
namespace {

constexpr std::uint64_t kSharedDictionariesWithAdditionalKeys = 1;
constexpr std::uint64_t kIndexTypeMask = 0xff;
constexpr std::uint64_t kNeedGlobalDictionary = 1u << 8;
constexpr std::uint64_t kHasAdditionalKeys = 1u << 9;

// Rebases a granule's indexes onto the shared dictionary; with `nullable`, local 0 stays global 0 (NULL).
template <typename T>
void read_indexes(wire::Input& in, std::size_t rows, std::size_t base, std::size_t keys, bool nullable,
                  std::vector<std::uint64_t>& out) {
  std::vector<T> raw;
  in.read_array(raw, rows, "LowCardinality indexes");
  for (const T v : raw) {
    if (v >= keys) throw ProtocolError(fmt::format("LowCardinality index {} beyond {} keys", v, keys));
    out.push_back(nullable && v == 0 ? 0 : base + v);
  }
}

}  // namespace

ColumnLowCardinality::ColumnLowCardinality(ColumnPtr dictionary, bool nullable)
    : Column(nullable ? "LowCardinality(Nullable(" + dictionary->type_name() + "))"
                      : "LowCardinality(" + dictionary->type_name() + ")"),
      dictionary_(std::move(dictionary)),
      nullable_(nullable) {}

void ColumnLowCardinality::clear() {
  dictionary_->clear();
  indexes_.clear();
}

void ColumnLowCardinality::append_default() {
  // Entry 0 of a fresh dictionary is the default (or NULL); make sure it exists.
  if (dictionary_->size() == 0) dictionary_->append_default();
  indexes_.push_back(0);
}

void ColumnLowCardinality::write_data(wire::Buffer& /*out*/) const {
  throw UsageError("sending " + type_name() + " columns is not supported; insert the plain type");
}

void ColumnLowCardinality::read_prefix(wire::Input& in) {
  const auto version = in.read_fixed<std::uint64_t>("LowCardinality key version");
  if (version != kSharedDictionariesWithAdditionalKeys) {
    throw ProtocolError(fmt::format("LowCardinality key version {} is not supported", version));
  }
}

void ColumnLowCardinality::read_data(wire::Input& in, std::size_t rows) {
  // Each granule brings its own keys; they are appended to one dictionary and indexes rebased.
  std::size_t done = 0;
  while (done < rows) {
    const auto flags = in.read_fixed<std::uint64_t>("LowCardinality flags");
    if ((flags & kNeedGlobalDictionary) != 0) {
      throw ProtocolError("LowCardinality with a global dictionary is not supported");
    }
    if ((flags & kHasAdditionalKeys) == 0) throw ProtocolError("LowCardinality granule without keys");
    const std::uint64_t index_type = flags & kIndexTypeMask;
    const auto keys = in.read_fixed<std::uint64_t>("LowCardinality key count");
    const std::size_t base = dictionary_->size();
    dictionary_->read_data(in, static_cast<std::size_t>(keys));
    const auto granule_rows = in.read_fixed<std::uint64_t>("LowCardinality row count");
    if (granule_rows == 0 || granule_rows > rows - done) {
      throw ProtocolError(
          fmt::format("LowCardinality granule of {} rows where {} remain", granule_rows, rows - done));
    }
    const auto n = static_cast<std::size_t>(granule_rows);
    const auto k = static_cast<std::size_t>(keys);
    switch (index_type) {
      case 0:
        read_indexes<std::uint8_t>(in, n, base, k, nullable_, indexes_);
        break;
      case 1:
        read_indexes<std::uint16_t>(in, n, base, k, nullable_, indexes_);
        break;
      case 2:
        read_indexes<std::uint32_t>(in, n, base, k, nullable_, indexes_);
        break;
      case 3:
        read_indexes<std::uint64_t>(in, n, base, k, nullable_, indexes_);
        break;
      default:
        throw ProtocolError(fmt::format("LowCardinality index type {} is unknown", index_type));
    }
    done += n;
  }
}

void ColumnLowCardinality::append_text(std::size_t row, std::string& out) const {
  if (!is_null(row)) dictionary_->append_text(static_cast<std::size_t>(indexes_[row]), out);
}

ColumnPtr ColumnLowCardinality::clone_empty() const {
  return std::make_shared<ColumnLowCardinality>(dictionary_->clone_empty(), nullable_);
}

}  // namespace ypa::clickhouse
