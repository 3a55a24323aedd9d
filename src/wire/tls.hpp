// TLS over the TCP transport (OpenSSL): the same Transport interface, timeouts and error types, with
// the server's certificate checked against a CA file or the system's store, and its name (SNI and
// hostname verification) checked against the host connected to.
#pragma once

#include <string>

#include "wire/transport.hpp"

namespace ypa::wire {

struct TlsOptions {
  // Check the server's certificate chain and that it was issued for the host name (or IP address).
  bool verify = true;
  // PEM file of trusted CA certificates; empty = the system's store (OpenSSL's default paths).
  std::string ca_file;
};

// A factory whose transports connect over TCP, then complete a TLS handshake within the connect
// timeout. Loads the CA file once, now: throws InputError naming the file when it holds no usable
// certificate. Handshake failures are ConnectError (or TimeoutError) with one line naming the cause,
// e.g. "TLS handshake with host:port failed: certificate verify failed: unable to get local issuer
// certificate".
TransportFactory tls_factory(const TlsOptions& options);

}  // namespace ypa::wire
