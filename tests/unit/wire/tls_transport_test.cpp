// The TLS transport against an in-process OpenSSL server on loopback (a certificate made here for
// "localhost"): round trip and SNI, verification by CA file and host name, the io and connect timeouts,
// and a peer that is gone (ClosedError, never SIGPIPE).
#include "wire/tls.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "wire/errors.hpp"

namespace ypa::wire {
namespace {

using namespace std::chrono_literals;

// A self-signed certificate for CN=localhost (no subjectAltName), made once.
struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string pem_file;

  Identity() {
    key = EVP_RSA_gen(2048);
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    char path[] = "/tmp/ypa_wire_tls_XXXXXX";
    const int fd = ::mkstemp(path);
    FILE* f = ::fdopen(fd, "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    pem_file = path;
  }
  ~Identity() {
    std::remove(pem_file.c_str());
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

const Identity& identity() {
  static Identity id;
  return id;
}

// One connection on a loopback port: `serve` runs on the accepted, handshaken SSL (or, with
// `handshake` false, on nothing: the socket is accepted and left silent until the server ends).
class Server {
 public:
  Server(bool handshake, std::function<void(SSL*)> serve) {
    // The server side writes with OpenSSL's own socket BIO: a client that hung up must not end the
    // test process (only the client side is under test; see the SIGPIPE test below).
    ::signal(SIGPIPE, SIG_IGN);
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    EXPECT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, handshake, serve] {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      if (!handshake) {
        while (!done_) std::this_thread::sleep_for(10ms);
        ::close(fd);
        return;
      }
      SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate(ctx, identity().cert);
      SSL_CTX_use_PrivateKey(ctx, identity().key);
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        sni_ = sni ? sni : "";
        serve(ssl);
      }
      SSL_free(ssl);
      SSL_CTX_free(ctx);
      ::close(fd);
    });
  }
  ~Server() {
    done_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  // The SNI the client sent (read after the connection is over).
  std::string sni() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return sni_;
  }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> done_{false};
  std::string sni_;
  std::thread thread_;
};

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

TEST(TlsTransportTest, RoundTripWithSniWhenNotVerifying) {
  Server server(true, [](SSL* ssl) {
    char buffer[64];
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n > 0) SSL_write(ssl, buffer, n);
  });
  auto factory = tls_factory({false, ""});
  {
    auto t = factory({"localhost", server.port()}, {2s, 2s});
    t->write_all(bytes("ping over tls"));
    std::string got;
    while (got.size() < 13) {
      std::byte buffer[64];
      const auto n = t->read_some(buffer);
      got.append(reinterpret_cast<const char*>(buffer), n);
    }
    EXPECT_EQ(got, "ping over tls");
  }
  EXPECT_EQ(server.sni(), "localhost");
}

TEST(TlsTransportTest, VerifiesTheChainAndTheHostName) {
  // Trusted by its own file: the name localhost matches the CN, the address 127.0.0.1 does not.
  auto trusted = tls_factory({true, identity().pem_file});
  {
    Server server(true, [](SSL*) {});
    EXPECT_NO_THROW(trusted({"localhost", server.port()}, {2s, 2s}));
  }
  {
    Server server(true, [](SSL*) {});
    try {
      trusted({"127.0.0.1", server.port()}, {2s, 2s});
      ADD_FAILURE() << "connected to an address the certificate does not name";
    } catch (const ConnectError& e) {
      EXPECT_NE(std::string(e.what()).find("certificate verify failed: IP address mismatch"), std::string::npos)
          << e.what();
    }
  }
  {
    // The system's store does not hold a certificate made a moment ago.
    Server server(true, [](SSL*) {});
    try {
      tls_factory({true, ""})({"localhost", server.port()}, {2s, 2s});
      ADD_FAILURE() << "an untrusted certificate was accepted";
    } catch (const ConnectError& e) {
      EXPECT_NE(std::string(e.what()).find("certificate verify failed: self-signed certificate"), std::string::npos)
          << e.what();
    }
  }
}

TEST(TlsTransportTest, CaFileWithoutCertificatesIsAnInputError) {
  char path[] = "/tmp/ypa_wire_tls_bad_XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_EQ(::write(fd, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", 66), 66);
  ::close(fd);
  try {
    tls_factory({true, path});
    ADD_FAILURE() << "a CA file without certificates was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(std::string(path) + ": no CA certificate could be loaded", 0), 0u) << e.what();
  }
  std::remove(path);
}

TEST(TlsTransportTest, SilentPeerEndsAtTheConnectTimeout) {
  Server server(false, nullptr);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(tls_factory({false, ""})({"127.0.0.1", server.port()}, {300ms, 60s}), TimeoutError);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 5s);
}

TEST(TlsTransportTest, ReadsWaitAtMostTheIoTimeout) {
  Server server(true, [](SSL* ssl) {
    char buffer[1];
    SSL_read(ssl, buffer, 1);  // until the client goes away
  });
  auto t = tls_factory({false, ""})({"127.0.0.1", server.port()}, {2s, 300ms});
  std::byte buffer[16];
  const auto start = std::chrono::steady_clock::now();
  try {
    t->read_some(buffer);
    ADD_FAILURE() << "read returned without data";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("sent nothing for 300 ms"), std::string::npos) << e.what();
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_FALSE(t->readable_now());
}

TEST(TlsTransportTest, WritingToAPeerThatIsGoneThrowsClosedErrorNotSigpipe) {
  // SIGPIPE at its default would end this test process: the transport must never raise it.
  struct sigaction previous {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  Server server(true, [](SSL*) {});  // handshake, then close at once (no write after the handshake)
  ::sigaction(SIGPIPE, &dfl, &previous);
  auto t = tls_factory({false, ""})({"127.0.0.1", server.port()}, {2s, 2s});
  server.sni();  // waits until the server has closed its end
  const std::string chunk(1 << 16, 'x');
  bool closed = false;
  for (int i = 0; i < 1000 && !closed; ++i) {
    try {
      t->write_all(bytes(chunk));
    } catch (const ClosedError&) {
      closed = true;
    }
  }
  EXPECT_TRUE(closed);
  ::sigaction(SIGPIPE, &previous, nullptr);
}

}  // namespace
}  // namespace ypa::wire
