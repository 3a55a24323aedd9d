// The life of one client connection of `ypa serve`, in place of httplib's own loop: how long it may
// sit idle, how many requests it may send, how long one request may take to arrive, and how large its
// request line and headers may be. httplib serves each connection on one thread of a fixed pool, so
// without these a few hundred idle or slow clients would hold every thread. Debian's cpp-httplib is a
// compiled library whose CPPHTTPLIB_* limits were fixed when it was built (a request line of 8 KiB,
// header lines of 8 KiB but any number of them, and no limit on the time a request takes to arrive
// as long as a byte comes every read timeout); httplib still parses and routes each request.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>

namespace ypa::http {

struct ConnectionLimits {
  // A connection waits this long for its next request (its first one included), then is closed.
  std::chrono::milliseconds keep_alive{5000};
  // ... and only this long while accepted connections wait for a thread.
  std::chrono::milliseconds keep_alive_when_busy{200};
  // Requests on one connection; the last answer says `Connection: close`.
  std::size_t max_requests = 100;
  // From its first byte, a request's line, headers and body must arrive within this (else 408).
  std::chrono::milliseconds read_timeout{10000};
  // An answer that makes no progress for this long is abandoned and the connection closed.
  std::chrono::milliseconds write_timeout{5000};
  // The request line with its CRLF at most (else 414), one header line (else 431), all header lines
  // together (else 431).
  std::size_t max_request_line = 8192;
  std::size_t max_header_line = 8192;
  std::size_t max_header_bytes = 32768;
};

// httplib's server with the connection loop above and a fixed pool of `threads` threads.
class LimitedServer : public httplib::Server {
 public:
  LimitedServer(ConnectionLimits limits, std::size_t threads);

 private:
  // httplib calls this on a pool thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;

  const ConnectionLimits limits_;
  std::atomic<std::size_t> waiting_{0};  // accepted connections not yet given a thread
};

}  // namespace ypa::http
