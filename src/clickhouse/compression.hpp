// ClickHouse's compressed framing of block bodies: [CityHash128 v1.0.2][method][compressed size]
// [uncompressed size][payload]. Writing uses LZ4; reading accepts LZ4 and uncompressed frames.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "wire/buffer.hpp"
#include "wire/input.hpp"

namespace ypa::clickhouse {

// The server and drivers cut blocks into frames of about this many uncompressed bytes.
inline constexpr std::size_t kMaxFrameInput = std::size_t{1} << 20;
// Frames claiming more than this are refused before any allocation.
inline constexpr std::size_t kMaxFrameSize = std::size_t{1} << 30;
inline constexpr std::size_t kFrameChecksumSize = 16;
inline constexpr std::size_t kFrameHeaderSize = 9;

// Appends `data` to `out` as one or more LZ4 frames.
void compress_lz4(std::span<const std::byte> data, wire::Buffer& out);

// An Input that reads frames from an underlying Input on demand and yields their decompressed bytes.
// It pulls a new frame only when the reader needs more bytes, so a block that ends on a frame
// boundary leaves the next packet untouched in the underlying stream.
class DecompressingInput final : public wire::Input {
 public:
  explicit DecompressingInput(wire::Input& source) : source_(source) {}

 protected:
  bool refill() override;

 private:
  // Reads one frame into plain_; false when it was empty.
  bool read_frame();

  wire::Input& source_;
  std::vector<std::byte> compressed_;
  std::vector<std::byte> plain_;
};

}  // namespace ypa::clickhouse
