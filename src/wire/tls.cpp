// TLS transport: OpenSSL on the non-blocking socket of the TCP transport. Every SSL call that wants
// the socket waits in poll() with the same timeouts as plain reads and writes, so a peer that does
// not speak TLS (or stops answering) ends the operation within the timeout instead of hanging.
#include "wire/tls.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/errors.hpp"
#include "wire/errors.hpp"
#include "wire/socket_fd.hpp"

namespace ypa::wire {
namespace {

using detail::Fd;
using detail::wait_for;

// The reason of the oldest error on OpenSSL's queue of this thread, e.g. "wrong version number".
std::string ssl_reason() {
  const unsigned long code = ERR_peek_error();
  if (code == 0) return "no reason given";
  const char* reason = ERR_reason_error_string(code);
  char buffer[256];
  if (reason == nullptr) {
    ERR_error_string_n(code, buffer, sizeof buffer);
    reason = buffer;
  }
  return reason;
}

// A peer that answers something other than TLS makes the record layer fail with one of these.
bool not_tls_reason(unsigned long code) {
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return false;
  switch (ERR_GET_REASON(code)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_RECORD:
      return true;
    default:
      return false;
  }
}

bool is_ip_address(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the peer is gone and would end the
// process; this BIO is the same socket I/O with send(MSG_NOSIGNAL) and recv, as the TCP transport does.
int bio_fd(BIO* bio) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio))); }

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(bio_fd(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(bio_fd(bio), data, static_cast<std::size_t>(size), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

int bio_puts(BIO* bio, const char* text) { return bio_write(bio, text, static_cast<int>(std::strlen(text))); }

long bio_ctrl(BIO*, int command, long, void*) {
  // Flushing is a no-op (writes go straight to the socket); nothing else is supported.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "ypa socket");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_puts(m, bio_puts);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using Ctx = std::shared_ptr<SSL_CTX>;
using Ssl = std::unique_ptr<SSL, SslFree>;

class TlsTransport final : public Transport {
 public:
  TlsTransport(Fd fd, Ssl ssl, Endpoint endpoint, Timeouts timeouts)
      : fd_(std::move(fd)), ssl_(std::move(ssl)), endpoint_(std::move(endpoint)), timeouts_(timeouts) {}

  ~TlsTransport() override {
    // Best effort close_notify; never waits (the socket is non-blocking).
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }

  std::size_t read_some(std::span<std::byte> dst) override {
    while (true) {
      ERR_clear_error();
      const int want = dst.size() > 0x7fffffff ? 0x7fffffff : static_cast<int>(dst.size());
      const int n = SSL_read(ssl_.get(), dst.data(), want);
      if (n > 0) return static_cast<std::size_t>(n);
      wait_or_throw(n, "reading from");
    }
  }

  void write_all(std::span<const std::byte> src) override {
    while (!src.empty()) {
      ERR_clear_error();
      const int want = src.size() > 0x7fffffff ? 0x7fffffff : static_cast<int>(src.size());
      const int n = SSL_write(ssl_.get(), src.data(), want);
      if (n > 0) {
        src = src.subspan(static_cast<std::size_t>(n));
        continue;
      }
      wait_or_throw(n, "writing to");
    }
  }

  bool readable_now() override {
    if (SSL_pending(ssl_.get()) > 0) return true;
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    // Bytes on the socket need not be application data (a TLS 1.3 session ticket, half a record):
    // let OpenSSL process what is there without waiting and report whether data (or an end) came out.
    ERR_clear_error();
    char byte = 0;
    const int n = SSL_peek(ssl_.get(), &byte, 1);
    if (n > 0) return true;
    const int error = SSL_get_error(ssl_.get(), n);
    ERR_clear_error();
    return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
  }

  const Endpoint& endpoint() const override { return endpoint_; }

 private:
  // After an SSL_read/SSL_write returned `rc` <= 0: waits for the socket as OpenSSL asks, or throws.
  void wait_or_throw(int rc, const char* doing) {
    const int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      const bool in = error == SSL_ERROR_WANT_READ;
      if (!wait_for(fd_.get(), in ? POLLIN : POLLOUT, timeouts_.io)) {
        throw TimeoutError(fmt::format("{} {} for {} ms", endpoint_.describe(),
                                       in ? "sent nothing" : "accepted no data", timeouts_.io.count()));
      }
      return;
    }
    if (error == SSL_ERROR_ZERO_RETURN) {
      throw ClosedError(fmt::format("{} closed the connection", endpoint_.describe()));
    }
    if (error == SSL_ERROR_SYSCALL) {
      if (errno == 0 || errno == EPIPE || errno == ECONNRESET) {
        throw ClosedError(fmt::format("{} closed the connection", endpoint_.describe()));
      }
      throw ClosedError(fmt::format("{} {} failed: {}", doing, endpoint_.describe(), std::strerror(errno)));
    }
    const unsigned long code = ERR_peek_error();
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      throw ClosedError(fmt::format("{} closed the connection", endpoint_.describe()));
    }
    throw ClosedError(fmt::format("TLS error {} {}: {}", doing, endpoint_.describe(), ssl_reason()));
  }

  Fd fd_;
  Ssl ssl_;
  Endpoint endpoint_;
  Timeouts timeouts_;
};

Ctx make_context(const TlsOptions& options) {
  Ctx ctx(SSL_CTX_new(TLS_client_method()), CtxFree{});
  if (!ctx) throw Error(fmt::format("cannot create a TLS context: {}", ssl_reason()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (options.verify) {
    ERR_clear_error();
    const bool loaded = options.ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                            : SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      const std::string reason = ssl_reason();
      ERR_clear_error();
      if (options.ca_file.empty()) throw Error(fmt::format("cannot load the system's CA store: {}", reason));
      throw InputError(fmt::format("{}: no CA certificate could be loaded ({})", options.ca_file, reason));
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

std::unique_ptr<Transport> connect_tls(const Ctx& ctx, const TlsOptions& options, const Endpoint& endpoint,
                                       const Timeouts& timeouts) {
  const auto deadline = std::chrono::steady_clock::now() + timeouts.connect;
  Fd fd = detail::open_tcp(endpoint, timeouts);
  ERR_clear_error();
  Ssl ssl(SSL_new(ctx.get()));
  if (!ssl) throw ConnectError(fmt::format("TLS with {}: {}", endpoint.describe(), ssl_reason()));
  std::string host = endpoint.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const bool ip = is_ip_address(host);
  if (!ip) SSL_set_tlsext_host_name(ssl.get(), host.c_str());  // SNI is for names only (RFC 6066)
  if (options.verify) {
    const bool set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str()) == 1
                        : SSL_set1_host(ssl.get(), host.c_str()) == 1;
    if (!set) throw ConnectError(fmt::format("TLS with {}: cannot check the certificate against '{}'",
                                             endpoint.describe(), host));
  }
  BIO* bio = BIO_new(socket_bio_method());
  if (bio == nullptr) throw ConnectError(fmt::format("TLS with {}: {}", endpoint.describe(), ssl_reason()));
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd.get())));
  SSL_set_bio(ssl.get(), bio, bio);  // the SSL owns the BIO; the Fd still owns the socket

  const std::string where = endpoint.describe();
  while (true) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int error = SSL_get_error(ssl.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 ||
          !wait_for(fd.get(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, left)) {
        throw TimeoutError(fmt::format("TLS handshake with {}: no answer within {} ms (is it a TLS port?)", where,
                                       timeouts.connect.count()));
      }
      continue;
    }
    const long verify = SSL_get_verify_result(ssl.get());
    if (options.verify && verify != X509_V_OK) {
      throw ConnectError(fmt::format("TLS handshake with {} failed: certificate verify failed: {} (trusted CAs: {})",
                                     where, X509_verify_cert_error_string(verify),
                                     options.ca_file.empty() ? "the system's store" : options.ca_file));
    }
    if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN ||
        (ERR_GET_LIB(ERR_peek_error()) == ERR_LIB_SSL &&
         ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
      const int saved = errno;
      throw ConnectError(fmt::format("TLS handshake with {} failed: {} (is it a TLS port?)", where,
                                     error == SSL_ERROR_SYSCALL && saved != 0 && ERR_peek_error() == 0
                                         ? std::string(std::strerror(saved))
                                         : std::string("the server closed the connection")));
    }
    const unsigned long code = ERR_peek_error();
    throw ConnectError(fmt::format("TLS handshake with {} failed: {}{}", where, ssl_reason(),
                                   not_tls_reason(code) ? " (the server does not speak TLS on this port: a plain port?)"
                                                        : ""));
  }
  return std::make_unique<TlsTransport>(std::move(fd), std::move(ssl), endpoint, timeouts);
}

}  // namespace

TransportFactory tls_factory(const TlsOptions& options) {
  Ctx ctx = make_context(options);
  return [ctx, options](const Endpoint& endpoint, const Timeouts& timeouts) {
    return connect_tls(ctx, options, endpoint, timeouts);
  };
}

}  // namespace ypa::wire
