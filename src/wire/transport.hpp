// The connection seam: a Transport moves bytes to and from a peer with timeouts. TCP sockets are the
// real one; tests substitute their own through a TransportFactory (scripted peers, injected failures).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/input.hpp"

namespace ypa::wire {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  // "host:port" for messages.
  std::string describe() const;
};

struct Timeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds io{300000};  // each read or write that makes no progress for this long fails
};

// localhost, 127.0.0.0/8 or ::1 (bracketed or not): a peer on this machine, reached without a network.
bool is_loopback(std::string_view host);

class Transport {
 public:
  virtual ~Transport() = default;
  // Reads at least one byte (at most dst.size()); throws ClosedError on end of stream, TimeoutError
  // when nothing arrives within the io timeout.
  virtual std::size_t read_some(std::span<std::byte> dst) = 0;
  // Writes everything or throws (TimeoutError, ClosedError).
  virtual void write_all(std::span<const std::byte> src) = 0;
  // True when a read would not block (data or end of stream is pending); never waits.
  virtual bool readable_now() = 0;
  virtual const Endpoint& endpoint() const = 0;
};

using TransportFactory = std::function<std::unique_ptr<Transport>(const Endpoint&, const Timeouts&)>;

// Opens a TCP connection (every address the host resolves to, in order) with the connect timeout.
// Throws ConnectError or TimeoutError naming host:port.
std::unique_ptr<Transport> connect_tcp(const Endpoint& endpoint, const Timeouts& timeouts);

// Buffered Input on top of a Transport.
class TransportInput final : public Input {
 public:
  explicit TransportInput(Transport& transport, std::size_t buffer_size = 256 * 1024);
  // True when unread bytes are buffered or the transport has some pending.
  bool has_pending() { return buffered() > 0 || transport_.readable_now(); }

 protected:
  bool refill() override;

 private:
  Transport& transport_;
  std::vector<std::byte> buffer_;
};

}  // namespace ypa::wire
