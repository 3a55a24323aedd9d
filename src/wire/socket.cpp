// TCP transport over POSIX sockets: non-blocking connect bounded by poll(), reads and writes that
// wait at most the io timeout for progress, and no SIGPIPE when the peer is gone.
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wire/errors.hpp"
#include "wire/socket_fd.hpp"
#include "wire/transport.hpp"

namespace ypa::wire {
namespace {

using detail::Fd;
using detail::wait_for;

class TcpTransport final : public Transport {
 public:
  TcpTransport(Fd fd, Endpoint endpoint, Timeouts timeouts)
      : fd_(std::move(fd)), endpoint_(std::move(endpoint)), timeouts_(timeouts) {}

  std::size_t read_some(std::span<std::byte> dst) override {
    while (true) {
      const ssize_t n = ::recv(fd_.get(), dst.data(), dst.size(), 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) throw ClosedError(fmt::format("{} closed the connection", endpoint_.describe()));
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_for(fd_.get(), POLLIN, timeouts_.io)) {
          throw TimeoutError(
              fmt::format("{} sent nothing for {} ms", endpoint_.describe(), timeouts_.io.count()));
        }
        continue;
      }
      throw ClosedError(
          fmt::format("reading from {} failed: {}", endpoint_.describe(), std::strerror(errno)));
    }
  }

  void write_all(std::span<const std::byte> src) override {
    while (!src.empty()) {
      const ssize_t n = ::send(fd_.get(), src.data(), src.size(), MSG_NOSIGNAL);
      if (n > 0) {
        src = src.subspan(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait_for(fd_.get(), POLLOUT, timeouts_.io)) {
          throw TimeoutError(
              fmt::format("{} accepted no data for {} ms", endpoint_.describe(), timeouts_.io.count()));
        }
        continue;
      }
      throw ClosedError(fmt::format("writing to {} failed: {}", endpoint_.describe(), std::strerror(errno)));
    }
  }

  bool readable_now() override {
    pollfd p{fd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  const Endpoint& endpoint() const override { return endpoint_; }

 private:
  Fd fd_;
  Endpoint endpoint_;
  Timeouts timeouts_;
};

}  // namespace

std::string Endpoint::describe() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

namespace detail {

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int poll_ms(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms < 0 ? 0 : ms);
}

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pollfd p{fd, events, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int rc = ::poll(&p, 1, poll_ms(left));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}

Fd open_tcp(const Endpoint& endpoint, const Timeouts& timeouts) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw ConnectError(fmt::format("cannot resolve {}: {}", endpoint.describe(), ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);

  std::string last_error = "no address";
  bool timed_out = false;
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int r = ::connect(fd.get(), a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      if (!wait_for(fd.get(), POLLOUT, timeouts.connect)) {
        timed_out = true;
        last_error = fmt::format("no answer within {} ms", timeouts.connect.count());
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        errno = err;
        r = -1;
      } else {
        r = 0;
      }
    }
    if (r != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }
  const std::string message = fmt::format("cannot connect to {}: {}", endpoint.describe(), last_error);
  if (timed_out) throw TimeoutError(message);
  throw ConnectError(message);
}

}  // namespace detail

std::unique_ptr<Transport> connect_tcp(const Endpoint& endpoint, const Timeouts& timeouts) {
  return std::make_unique<TcpTransport>(detail::open_tcp(endpoint, timeouts), endpoint, timeouts);
}

TransportInput::TransportInput(Transport& transport, std::size_t buffer_size)
    : transport_(transport), buffer_(buffer_size) {}

bool TransportInput::refill() {
  const std::size_t n = transport_.read_some(buffer_);
  set_window(buffer_.data(), buffer_.data() + n);
  return true;
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr address{};
  return ::inet_pton(AF_INET, std::string(host).c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

}  // namespace ypa::wire
