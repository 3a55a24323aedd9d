// Pieces of the TCP transport that the TLS transport shares (not part of the wire API): an owned file
// descriptor, a bounded wait for readiness, and the non-blocking connect with its timeout.
#pragma once

#include <chrono>

#include "wire/transport.hpp"

namespace ypa::wire::detail {

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_;
};

// poll()'s timeout argument for a duration (clamped to 0 .. INT_MAX ms).
int poll_ms(std::chrono::milliseconds timeout);
// Waits until fd is ready for `events`; false on timeout. EINTR restarts with the time left.
bool wait_for(int fd, short events, std::chrono::milliseconds timeout);
// A connected, non-blocking TCP socket with TCP_NODELAY (every address the host resolves to, in order,
// within the connect timeout). Throws ConnectError or TimeoutError naming host:port.
Fd open_tcp(const Endpoint& endpoint, const Timeouts& timeouts);

}  // namespace ypa::wire::detail
