// LZ4 framing with CityHash128 checksums, both directions.
#include "clickhouse/compression.hpp"

#include <fmt/format.h>
#include <lz4.h>

#include <cstring>

#include "clickhouse/cityhash.hpp"
#include "clickhouse/errors.hpp"
#include "clickhouse/protocol.hpp"

namespace ypa::clickhouse {
namespace {

void put_u32(std::byte* p, std::uint32_t v) {
  std::memcpy(p, &v, sizeof v);
}

std::uint32_t get_u32(const std::byte* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

void compress_lz4(std::span<const std::byte> data, wire::Buffer& out) {
  do {
    const std::size_t chunk = data.size() < kMaxFrameInput ? data.size() : kMaxFrameInput;
    const int bound = LZ4_compressBound(static_cast<int>(chunk));
    const std::size_t reserved = kFrameChecksumSize + kFrameHeaderSize + static_cast<std::size_t>(bound);
    std::byte* frame = out.reserve_tail(reserved);
    std::byte* header = frame + kFrameChecksumSize;
    const int written = LZ4_compress_default(reinterpret_cast<const char*>(data.data()),
                                             reinterpret_cast<char*>(header + kFrameHeaderSize),
                                             static_cast<int>(chunk), bound);
    if (written <= 0) throw Error("LZ4 compression failed");
    const std::size_t frame_size = kFrameHeaderSize + static_cast<std::size_t>(written);
    header[0] = static_cast<std::byte>(CompressionMethod::kLz4);
    put_u32(header + 1, static_cast<std::uint32_t>(frame_size));
    put_u32(header + 5, static_cast<std::uint32_t>(chunk));
    const Hash128 sum = city_hash128_v102(header, frame_size);
    std::memcpy(frame, &sum.low, 8);
    std::memcpy(frame + 8, &sum.high, 8);
    out.commit_tail(reserved, kFrameChecksumSize + frame_size);
    data = data.subspan(chunk);
  } while (!data.empty());
}

bool DecompressingInput::refill() {
  // An empty frame carries nothing; keep reading until one does.
  while (!read_frame()) {
  }
  set_window(plain_.data(), plain_.data() + plain_.size());
  return true;
}

bool DecompressingInput::read_frame() {
  constexpr std::string_view kWhat = "compressed frame";
  std::byte checksum[kFrameChecksumSize];
  source_.read(checksum, sizeof checksum, "compressed frame checksum");
  std::byte header[kFrameHeaderSize];
  source_.read(header, sizeof header, "compressed frame header");
  const auto method = static_cast<std::uint8_t>(header[0]);
  const std::uint32_t frame_size = get_u32(header + 1);
  const std::uint32_t plain_size = get_u32(header + 5);
  if (frame_size < kFrameHeaderSize || frame_size > kMaxFrameSize) {
    throw ProtocolError(fmt::format("{} size {} is out of range", kWhat, frame_size));
  }
  const std::size_t payload_size = frame_size - kFrameHeaderSize;
  if (method == static_cast<std::uint8_t>(CompressionMethod::kLz4)) {
    // LZ4 cannot expand more than 255:1, so a larger claim is corrupt; this also bounds allocation
    // by the bytes actually received.
    if (plain_size > kMaxFrameSize || plain_size > payload_size * 255 + 16) {
      throw ProtocolError(
          fmt::format("{} claims {} bytes from {} compressed", kWhat, plain_size, payload_size));
    }
  } else if (method == static_cast<std::uint8_t>(CompressionMethod::kNone)) {
    if (plain_size != payload_size) {
      throw ProtocolError(
          fmt::format("uncompressed {} claims {} bytes but carries {}", kWhat, plain_size, payload_size));
    }
  } else {
    throw ProtocolError(fmt::format("{} uses unsupported method 0x{:02x}", kWhat, method));
  }

  compressed_.resize(kFrameHeaderSize);
  std::memcpy(compressed_.data(), header, kFrameHeaderSize);
  source_.read_array(compressed_, payload_size, "compressed frame payload");
  const Hash128 expected = city_hash128_v102(compressed_.data(), compressed_.size());
  Hash128 actual;
  std::memcpy(&actual.low, checksum, 8);
  std::memcpy(&actual.high, checksum + 8, 8);
  if (!(expected == actual)) throw ProtocolError(fmt::format("{} checksum does not match", kWhat));

  const std::byte* payload = compressed_.data() + kFrameHeaderSize;
  if (method == static_cast<std::uint8_t>(CompressionMethod::kNone)) {
    plain_.assign(payload, payload + payload_size);
  } else {
    plain_.resize(plain_size);
    const int n =
        LZ4_decompress_safe(reinterpret_cast<const char*>(payload), reinterpret_cast<char*>(plain_.data()),
                            static_cast<int>(payload_size), static_cast<int>(plain_size));
    if (n < 0 || static_cast<std::uint32_t>(n) != plain_size) {
      throw ProtocolError(fmt::format("{} does not decompress to its declared {} bytes", kWhat, plain_size));
    }
  }
  return !plain_.empty();
}

}  // namespace ypa::clickhouse
