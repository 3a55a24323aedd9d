// libFuzzer target: arbitrary bytes as one block body, read plain at both revisions, through valid LZ4
// frames wrapped around the bytes, and as raw compressed frames (header and size checks).
#include <cstddef>
#include <cstdint>
#include <span>

#include "clickhouse/block.hpp"
#include "clickhouse/compression.hpp"
#include "core/errors.hpp"
#include "fuzz_common.hpp"
#include "wire/buffer.hpp"
#include "wire/input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ypa::clickhouse;
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 4;
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  try {
    switch (mode) {
      case 0:
      case 1: {
        ypa::wire::MemoryInput in(body);
        ypa::fuzz::touch_cells(read_block(in, mode == 0 ? 54412 : 54459));
        break;
      }
      case 2: {
        ypa::wire::Buffer framed;
        compress_lz4(body, framed);
        ypa::wire::MemoryInput source(framed.bytes());
        DecompressingInput in(source);
        ypa::fuzz::touch_cells(read_block(in, 54459));
        break;
      }
      default: {
        ypa::wire::MemoryInput source(body);
        DecompressingInput in(source);
        std::byte sink[4096];
        while (!in.at_end())
          in.read(sink, in.buffered() < sizeof sink ? in.buffered() : sizeof sink, "frame");
        break;
      }
    }
  } catch (const ypa::Error&) {
  }
  return 0;
}
