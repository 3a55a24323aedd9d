// Reading side of the byte codec: LEB128 varints, little-endian fixed-width values and length-prefixed
// strings from a buffered source. MemoryInput decodes a byte span, so codec tests need no socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ypa::wire {

// Limits that keep a hostile or corrupt length field from making us allocate gigabytes: bulk reads
// grow their destination only as bytes actually arrive, in steps of at most kReadChunk.
inline constexpr std::size_t kReadChunk = std::size_t{1} << 20;
inline constexpr std::size_t kMaxStringLength = std::size_t{1} << 30;

// A buffered byte source. Subclasses supply bytes through refill(); the fast paths stay inline.
// Every read names `what` it is reading, so an error says which field was cut short or malformed.
class Input {
 public:
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  virtual ~Input() = default;

  // Exactly n bytes into dst; throws ClosedError when the source ends first.
  void read(void* dst, std::size_t n, std::string_view what) {
    if (static_cast<std::size_t>(end_ - pos_) >= n) {
      if (n != 0) std::memcpy(dst, pos_, n);
      pos_ += n;
      return;
    }
    read_slow(static_cast<std::byte*>(dst), n, what);
  }

  std::uint8_t read_u8(std::string_view what) {
    if (pos_ != end_) return static_cast<std::uint8_t>(*pos_++);
    std::uint8_t v = 0;
    read_slow(reinterpret_cast<std::byte*>(&v), 1, what);
    return v;
  }

  // Unsigned LEB128, at most 10 bytes (ClickHouse's VarUInt).
  std::uint64_t read_varint(std::string_view what);

  // A fixed-width little-endian number (the project only targets little-endian hosts).
  template <typename T>
  requires std::is_arithmetic_v<T> T read_fixed(std::string_view what) {
    T v;
    read(&v, sizeof v, what);
    return v;
  }

  // varint length + bytes; a length above max_length is a ProtocolError.
  std::string read_string(std::string_view what, std::size_t max_length = kMaxStringLength);
  void read_string_into(std::string& out, std::string_view what, std::size_t max_length = kMaxStringLength);
  void skip_string(std::string_view what, std::size_t max_length = kMaxStringLength);

  // Appends n fixed-width values to out, growing it chunk by chunk as data arrives.
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void read_array(std::vector<T>& out, std::size_t n, std::string_view what) {
    const std::size_t per_chunk = kReadChunk / sizeof(T);
    while (n > 0) {
      const std::size_t step = n < per_chunk ? n : per_chunk;
      const std::size_t old = out.size();
      out.resize(old + step);
      read(out.data() + old, step * sizeof(T), what);
      n -= step;
    }
  }

  void skip(std::size_t n, std::string_view what);

  // True when no byte is left and none can be fetched (may block on a live source).
  bool at_end() { return pos_ == end_ && !refill(); }

  // Bytes available without calling refill(); lets readers copy straight from the buffer.
  std::size_t buffered() const { return static_cast<std::size_t>(end_ - pos_); }

 protected:
  // Makes at least one more byte available by calling set_window(); returns false at end of input.
  virtual bool refill() = 0;
  void set_window(const std::byte* begin, const std::byte* end) {
    pos_ = begin;
    end_ = end;
  }

 private:
  // refill() with the field name added to any IoError it throws.
  bool refill_for(std::string_view what);
  void read_slow(std::byte* dst, std::size_t n, std::string_view what);

  const std::byte* pos_ = nullptr;
  const std::byte* end_ = nullptr;
};

// Decodes a span of bytes held elsewhere (tests, fuzzers, decompressed frames).
class MemoryInput final : public Input {
 public:
  explicit MemoryInput(std::span<const std::byte> bytes);
  explicit MemoryInput(std::string_view bytes);

 protected:
  bool refill() override { return false; }
};

}  // namespace ypa::wire
