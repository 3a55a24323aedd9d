// Writing side of the byte codec: a growable byte buffer with the same encodings Input reads.
// Packets are assembled here in full and then handed to a Transport in one write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ypa::wire {

class Buffer {
 public:
  void write(const void* src, std::size_t n) {
    if (n == 0) return;
    const std::size_t old = bytes_.size();
    bytes_.resize(old + n);
    std::memcpy(bytes_.data() + old, src, n);
  }
  void write_u8(std::uint8_t v) { bytes_.push_back(static_cast<std::byte>(v)); }

  void write_varint(std::uint64_t v) {
    std::byte tmp[10];
    std::size_t n = 0;
    while (v >= 0x80) {
      tmp[n++] = static_cast<std::byte>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    tmp[n++] = static_cast<std::byte>(v);
    write(tmp, n);
  }

  template <typename T>
  requires std::is_arithmetic_v<T>
  void write_fixed(T v) { write(&v, sizeof v); }

  void write_string(std::string_view s) {
    write_varint(s.size());
    write(s.data(), s.size());
  }

  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void write_array(std::span<const T> values) { write(values.data(), values.size_bytes()); }

  // Room for n more bytes at the end, to be filled by the caller (e.g. a compressor); commit() says
  // how many it used.
  std::byte* reserve_tail(std::size_t n) {
    const std::size_t old = bytes_.size();
    bytes_.resize(old + n);
    return bytes_.data() + old;
  }
  void commit_tail(std::size_t reserved, std::size_t used) { bytes_.resize(bytes_.size() - reserved + used); }

  std::span<const std::byte> bytes() const { return bytes_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()}; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  void clear() { bytes_.clear(); }
  void reserve(std::size_t n) { bytes_.reserve(n); }

 private:
  std::vector<std::byte> bytes_;
};

}  // namespace ypa::wire
