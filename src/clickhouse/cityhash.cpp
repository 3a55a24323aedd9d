// CityHash v1.0.2 (Geoff Pike, Jyrki Alakuijala; MIT licence), 128-bit variant, re-implemented from its
// published definition for ClickHouse's compression checksums. Little-endian hosts only.
#include "clickhouse/cityhash.hpp"

#include <cstring>
#include <utility>

namespace ypa::clickhouse {
namespace {

using u64 = std::uint64_t;
using Pair = std::pair<u64, u64>;

constexpr u64 kP0 = 0xc3a5c85c97cb3127ULL;
constexpr u64 kP1 = 0xb492b66fbe98f273ULL;  // v1.0.2's constant; later versions changed it
constexpr u64 kP2 = 0x9ae16a3b2f90404fULL;
constexpr u64 kP3 = 0xc949d7c7509e6557ULL;
constexpr u64 kMurmurMul = 0x9ddfea08eb382d69ULL;

u64 load64(const unsigned char* p) {
  u64 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

u64 load32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

u64 rotr(u64 v, unsigned shift) {
  return shift == 0 ? v : (v >> shift) | (v << (64 - shift));
}

u64 shift_mix(u64 v) {
  return v ^ (v >> 47);
}

// Murmur-inspired 128 -> 64 bit reduction.
u64 mix128(u64 low, u64 high) {
  u64 a = (low ^ high) * kMurmurMul;
  a ^= a >> 47;
  u64 b = (high ^ a) * kMurmurMul;
  b ^= b >> 47;
  return b * kMurmurMul;
}

u64 hash_short(const unsigned char* s, std::size_t len) {
  const u64 n = len;
  if (len > 8) {
    const u64 a = load64(s);
    const u64 b = load64(s + len - 8);
    return mix128(a, rotr(b + n, static_cast<unsigned>(len))) ^ b;
  }
  if (len >= 4) {
    const u64 a = load32(s);
    return mix128(n + (a << 3), load32(s + len - 4));
  }
  if (len > 0) {
    const std::uint32_t y = static_cast<std::uint32_t>(s[0]) + (static_cast<std::uint32_t>(s[len >> 1]) << 8);
    const std::uint32_t z = static_cast<std::uint32_t>(len) + (static_cast<std::uint32_t>(s[len - 1]) << 2);
    return shift_mix(u64{y} * kP2 ^ u64{z} * kP3) * kP2;
  }
  return kP2;
}

Pair weak_hash32(u64 w, u64 x, u64 y, u64 z, u64 a, u64 b) {
  a += w;
  b = rotr(b + a + z, 21);
  const u64 c = a;
  a += x;
  a += y;
  b += rotr(a, 44);
  return {a + z, b + c};
}

Pair weak_hash32(const unsigned char* s, u64 a, u64 b) {
  return weak_hash32(load64(s), load64(s + 8), load64(s + 16), load64(s + 24), a, b);
}

// The short-input path (fewer than 128 bytes after the seed was taken).
Hash128 city_murmur(const unsigned char* s, std::size_t len, Hash128 seed) {
  u64 a = seed.low;
  u64 b = seed.high;
  u64 c = 0;
  u64 d = 0;
  if (len <= 16) {
    a = shift_mix(a * kP1) * kP1;
    c = b * kP1 + hash_short(s, len);
    d = shift_mix(a + (len >= 8 ? load64(s) : c));
  } else {
    c = mix128(load64(s + len - 8) + kP1, a);
    d = mix128(b + len, c + load64(s + len - 16));
    a += d;
    // Consumes 16 bytes per step while more than zero bytes remain beyond the first 16 (signed count).
    std::ptrdiff_t left = static_cast<std::ptrdiff_t>(len) - 16;
    do {
      a ^= shift_mix(load64(s) * kP1) * kP1;
      a *= kP1;
      b ^= a;
      c ^= shift_mix(load64(s + 8) * kP1) * kP1;
      c *= kP1;
      d ^= c;
      s += 16;
      left -= 16;
    } while (left > 0);
  }
  a = mix128(a, c);
  b = mix128(d, b);
  return {a ^ b, mix128(b, a)};
}

Hash128 city_hash128_seeded(const unsigned char* s, std::size_t len, Hash128 seed) {
  if (len < 128) return city_murmur(s, len, seed);

  u64 x = seed.low;
  u64 y = seed.high;
  u64 z = len * kP1;
  Pair v;
  Pair w;
  v.first = rotr(y ^ kP1, 49) * kP1 + load64(s);
  v.second = rotr(v.first, 42) * kP1 + load64(s + 8);
  w.first = rotr(y + z, 35) * kP1 + x;
  w.second = rotr(x + load64(s + 88), 53) * kP1;

  // One 64-byte round; the main loop runs it twice per 128 bytes.
  auto round = [&]() {
    x = rotr(x + y + v.first + load64(s + 16), 37) * kP1;
    y = rotr(y + v.second + load64(s + 48), 42) * kP1;
    x ^= w.second;
    y ^= v.first;
    z = rotr(z ^ w.first, 33);
    v = weak_hash32(s, v.second * kP1, x + w.first);
    w = weak_hash32(s + 32, z + w.second, y);
    std::swap(z, x);
    s += 64;
  };
  do {
    round();
    round();
    len -= 128;
  } while (len >= 128);

  y += rotr(w.first, 37) * kP0 + z;
  x += rotr(v.first + z, 49) * kP0;
  // Up to four 32-byte chunks taken from the end of the remaining tail (they may overlap bytes
  // already hashed, as the reference does).
  for (std::size_t done = 0; done < len;) {
    done += 32;
    y = rotr(y - x, 42) * kP0 + v.second;
    w.first += load64(s + len - done + 16);
    x = rotr(x, 49) * kP0 + w.first;
    w.first += v.first;
    v = weak_hash32(s + len - done, v.first, v.second);
  }
  x = mix128(x, v.first);
  y = mix128(y, w.first);
  return {mix128(x + v.second, w.second) + y, mix128(x + w.second, y + v.second)};
}

}  // namespace

Hash128 city_hash128_v102(const void* data, std::size_t length) {
  const auto* s = static_cast<const unsigned char*>(data);
  if (length >= 16) {
    return city_hash128_seeded(s + 16, length - 16, {load64(s) ^ kP3, load64(s + 8)});
  }
  if (length >= 8) {
    return city_hash128_seeded(nullptr, 0, {load64(s) ^ (length * kP0), load64(s + length - 8) ^ kP1});
  }
  return city_hash128_seeded(s, length, {kP0, kP1});
}

}  // namespace ypa::clickhouse
