#include "http/connection.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace ypa::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// httplib's thread pool, counting the accepted connections that wait for one of its threads.
class CountingQueue final : public httplib::TaskQueue {
 public:
  CountingQueue(std::size_t threads, std::atomic<std::size_t>& waiting) : pool_(threads), waiting_(waiting) {}
  void enqueue(std::function<void()> fn) override {
    waiting_.fetch_add(1);
    pool_.enqueue([this, fn = std::move(fn)] {
      waiting_.fetch_sub(1);
      fn();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  std::atomic<std::size_t>& waiting_;
};

// Waits until `fd` is ready for `events` or `deadline` passes: > 0 ready (or closed, or failed), 0 not
// in time, < 0 error.
int wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(left, 0, INT_MAX)));
    if (rc < 0 && errno == EINTR) continue;
    return rc;
  }
}

void describe(const sockaddr_storage& address, socklen_t size, std::string& ip, int& port) {
  char host[NI_MAXHOST] = {};
  char service[NI_MAXSERV] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&address), size, host, sizeof host, service,
                    sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return;
  }
  ip = host;
  port = std::atoi(service);
}

// The connection's socket as httplib's Stream: reads through a buffer that the connection loop fills
// first (it looks at a request's head before httplib parses it), and no read waits past the current
// request's deadline.
class ConnectionStream final : public httplib::Stream {
 public:
  enum class Received { kData, kEnd, kTimeout, kError };

  ConnectionStream(socket_t fd, milliseconds write_timeout) : fd_(fd), write_timeout_(write_timeout) {}

  // Bytes received and not yet read by httplib: the start of the next request, once the previous
  // one has been read.
  std::string_view pending() const { return std::string_view(buffer_).substr(offset_); }
  void drop_read_bytes() {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  void discard() {
    buffer_.clear();
    offset_ = 0;
  }
  void set_read_deadline(Clock::time_point deadline) { read_deadline_ = deadline; }

  // Appends what the socket holds to the buffer, waiting for it until `deadline`.
  Received receive(Clock::time_point deadline) {
    int ready = wait_for(fd_, POLLIN, deadline);
    if (ready == 0) return Received::kTimeout;
    if (ready < 0) return Received::kError;
    char chunk[4096];
    ssize_t n = 0;
    do {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return Received::kEnd;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Received::kTimeout : Received::kError;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return Received::kData;
  }

  bool is_readable() const override {
    return offset_ < buffer_.size() || wait_for(fd_, POLLIN, read_deadline_) > 0;
  }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, Clock::now() + write_timeout_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ == buffer_.size()) {
      buffer_.clear();
      offset_ = 0;
      switch (receive(read_deadline_)) {
        case Received::kData:
          break;
        case Received::kEnd:
          return 0;
        case Received::kTimeout:
        case Received::kError:
          return -1;
      }
    }
    std::size_t n = std::min(size, buffer_.size() - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n = 0;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0)
      describe(address, size, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0)
      describe(address, size, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  socket_t fd_;
  milliseconds write_timeout_;
  Clock::time_point read_deadline_ = Clock::now();
  std::string buffer_;
  std::size_t offset_ = 0;  // bytes of buffer_ httplib has read
};

// How a request's head (request line and headers, up to the blank line) measures up to the limits,
// looked at as its bytes arrive; each call goes on from where the last one stopped.
class HeadScanner {
 public:
  enum class Verdict { kIncomplete, kComplete, kLineTooLong, kHeadersTooLarge };

  explicit HeadScanner(const ConnectionLimits& limits) : limits_(limits) {}

  // `head`: every byte of the request received so far (a longer view of the same bytes each call).
  Verdict scan(std::string_view head) {
    while (scanned_ < head.size()) {
      auto newline = head.find('\n', scanned_);
      const std::size_t end = newline == std::string_view::npos ? head.size() : newline + 1;
      const std::size_t length = end - line_start_;
      if (request_line_) {
        if (length > limits_.max_request_line) return Verdict::kLineTooLong;
      } else if (length > limits_.max_header_line || header_bytes_ + length > limits_.max_header_bytes) {
        return Verdict::kHeadersTooLarge;
      }
      scanned_ = end;
      if (newline == std::string_view::npos) break;
      // As httplib reads headers: the head ends at the first line that is only CRLF.
      if (!request_line_ && head.substr(line_start_, length) == "\r\n") return Verdict::kComplete;
      if (!request_line_) header_bytes_ += length;
      request_line_ = false;
      line_start_ = end;
    }
    return Verdict::kIncomplete;
  }

 private:
  const ConnectionLimits& limits_;
  std::size_t scanned_ = 0;
  std::size_t line_start_ = 0;
  bool request_line_ = true;
  std::size_t header_bytes_ = 0;
};

// What came of waiting for a connection's next request.
enum class Arrival { kRequest, kGone, kTooSlow, kLineTooLong, kHeadersTooLarge };

// The answer for a request refused before httplib saw it, then the connection's end. The client may
// still be sending: the socket is shut for writing and what arrives is read and dropped for a moment,
// because closing a socket with unread bytes sends a reset, which can destroy the answer before the
// client reads it.
void refuse(ConnectionStream& stream, Arrival arrival) {
  int status = 0;
  const char* reason = "";
  switch (arrival) {
    case Arrival::kTooSlow:
      status = 408;
      reason = "Request Timeout";
      break;
    case Arrival::kLineTooLong:
      status = 414;
      reason = "URI Too Long";
      break;
    case Arrival::kHeadersTooLarge:
      status = 431;
      reason = "Request Header Fields Too Large";
      break;
    case Arrival::kRequest:
    case Arrival::kGone:
      return;
  }
  // The body of the API's other errors that come from outside a view ({"error": "Server Error (500)"}).
  const std::string body = fmt::format(R"js({{"error":"{} ({})"}})js", reason, status);
  const std::string answer = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, reason, body.size(), body);
  // Small enough for the socket's send buffer: never waits for a client that does not read.
  (void)::send(stream.socket(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(stream.socket(), SHUT_WR);
  constexpr std::size_t kMaxDrained = 1 << 20;
  const auto until = Clock::now() + milliseconds(500);
  std::size_t drained = 0;
  while (drained < kMaxDrained && stream.receive(until) == ConnectionStream::Received::kData) {
    drained += stream.pending().size();
    stream.discard();
  }
}

}  // namespace

LimitedServer::LimitedServer(ConnectionLimits limits, std::size_t threads) : limits_(limits) {
  // httplib deletes the queue it gets from this factory (its interface takes a raw pointer).
  new_task_queue = [this, threads] { return new CountingQueue(threads, waiting_); };
  // httplib still uses these: the Keep-Alive header of its answers (timeout=, max=), and the socket
  // timeouts it sets on each accepted connection.
  set_keep_alive_max_count(limits_.max_requests);
  set_keep_alive_timeout(std::chrono::ceil<std::chrono::seconds>(limits_.keep_alive).count());
  set_read_timeout(limits_.read_timeout);
  set_write_timeout(limits_.write_timeout);
}

bool LimitedServer::process_and_close_socket(socket_t sock) {
  ConnectionStream stream(sock, limits_.write_timeout);

  auto next_request = [&]() -> Arrival {
    stream.drop_read_bytes();
    // Idle: wait for the request's first byte (a pipelined request's is already here), looking every
    // 50 ms whether the server stops or other connections wait for a thread.
    const auto idle_since = Clock::now();
    while (stream.pending().empty()) {
      if (svr_sock_ == INVALID_SOCKET) return Arrival::kGone;
      const auto limit = waiting_.load() > 0 ? limits_.keep_alive_when_busy : limits_.keep_alive;
      const auto now = Clock::now();
      if (now - idle_since >= limit) return Arrival::kGone;
      auto received = stream.receive(std::min(idle_since + limit, now + milliseconds(50)));
      if (received == ConnectionStream::Received::kEnd || received == ConnectionStream::Received::kError) {
        return Arrival::kGone;
      }
    }
    // Arriving: the whole head, within the limits, before the deadline.
    const auto deadline = Clock::now() + limits_.read_timeout;
    stream.set_read_deadline(deadline);
    HeadScanner scanner(limits_);
    for (;;) {
      switch (scanner.scan(stream.pending())) {
        case HeadScanner::Verdict::kComplete:
          return Arrival::kRequest;
        case HeadScanner::Verdict::kLineTooLong:
          return Arrival::kLineTooLong;
        case HeadScanner::Verdict::kHeadersTooLarge:
          return Arrival::kHeadersTooLarge;
        case HeadScanner::Verdict::kIncomplete:
          break;
      }
      switch (stream.receive(deadline)) {
        case ConnectionStream::Received::kData:
          break;
        case ConnectionStream::Received::kTimeout:
          return Arrival::kTooSlow;
        case ConnectionStream::Received::kEnd:
        case ConnectionStream::Received::kError:
          return Arrival::kGone;
      }
    }
  };

  bool ok = false;
  for (std::size_t served = 0; served < limits_.max_requests; ++served) {
    Arrival arrival = next_request();
    if (arrival != Arrival::kRequest) {
      refuse(stream, arrival);
      break;
    }
    const bool last = served + 1 == limits_.max_requests;  // httplib answers it with Connection: close
    bool closed_by_client = false;
    ok = process_request(stream, last, closed_by_client, nullptr);
    if (!ok || closed_by_client) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace ypa::http
