// What the ClickHouse client throws: the server's own exceptions, misuse by the caller, and the wire
// layer's connection and protocol failures (re-thrown with the server, packet and field named).
#pragma once

#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "wire/errors.hpp"

namespace ypa::clickhouse {

// An Exception packet: the server refused or failed the query. what() holds the code, the name and
// the message of the whole chain of nested exceptions.
class ServerError : public Error {
 public:
  ServerError(std::int32_t code, std::string name, std::string message, std::string full_text)
      : Error(std::move(full_text)), code_(code), name_(std::move(name)), message_(std::move(message)) {}
  std::int32_t code() const { return code_; }
  // e.g. "DB::Exception"
  const std::string& name() const { return name_; }
  // The outermost exception's message, without code and name.
  const std::string& message() const { return message_; }

 private:
  std::int32_t code_;
  std::string name_;
  std::string message_;
};

// Whether a server exception says "not now" rather than "never": the server is overloaded, out of
// memory, timed out, lost its network or replicas, or is read-only for a while, so the same query may
// succeed later (the API answers 503). Every other code (syntax error, unknown table or column, type
// mismatch...) means the query itself is wrong and asking again cannot help (the API answers 500).
// The codes are listed by name in errors.cpp.
bool is_transient(std::int32_t code);
inline bool is_transient(const ServerError& e) {
  return is_transient(e.code());
}

// The caller asked for something this client refuses to send: a block that does not match the
// server's sample block, a type it cannot encode, settings the server's revision cannot carry.
// Thrown before anything is written to the connection.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Connection and protocol failures; all are ypa::UnavailableError.
using IoError = wire::IoError;
using ConnectError = wire::ConnectError;
using TimeoutError = wire::TimeoutError;
using ClosedError = wire::ClosedError;
using ProtocolError = wire::ProtocolError;

}  // namespace ypa::clickhouse
