// libFuzzer target: arbitrary bytes as a stream of server packets (and as a server Hello) at the
// revisions we negotiate (18.16's 54412, our 54459), with and without compression.
#include <cstddef>
#include <cstdint>

#include "clickhouse/packets.hpp"
#include "core/errors.hpp"
#include "fuzz_common.hpp"
#include "wire/input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ypa::clickhouse;
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const Revision revision = (mode & 1) != 0 ? 54459 : 54412;
  const bool compression = (mode & 2) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    ypa::wire::MemoryInput in(bytes);
    if ((mode & 4) != 0) {
      (void)read_server_hello(in, revision::kAdvertised);
      return 0;
    }
    // A bounded number of packets: each consumes at least one byte, so this ends anyway.
    for (int i = 0; i < 64 && !in.at_end(); ++i) {
      const ServerMessage m = read_server_packet(in, revision, compression);
      ypa::fuzz::touch_cells(m.block);
      if (!m.exceptions.empty()) (void)describe_exceptions(m.exceptions);
    }
  } catch (const ypa::Error&) {
    // Every malformed input must end in one of the project's errors, nothing else.
  }
  return 0;
}
