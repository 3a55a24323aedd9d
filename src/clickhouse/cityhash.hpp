// CityHash128 exactly as version 1.0.2 defines it: the frozen variant ClickHouse uses for the checksum
// of compressed frames (later CityHash releases changed the output; a mismatch is server error 40).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ypa::clickhouse {

struct Hash128 {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
};

Hash128 city_hash128_v102(const void* data, std::size_t length);

}  // namespace ypa::clickhouse
