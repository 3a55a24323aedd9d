// Failures of the byte layer: a peer that cannot be reached, stops answering, hangs up, or sends bytes
// that do not decode. All are UnavailableError (retrying later may help); upper layers add context.
#pragma once

#include <string_view>

#include "core/errors.hpp"

namespace ypa::wire {

// Base of every failure below; the message already names what was being done.
class IoError : public UnavailableError {
 public:
  using UnavailableError::UnavailableError;
};

// Name resolution failed or no address accepted the connection.
class ConnectError : public IoError {
 public:
  using IoError::IoError;
};

// A connect, read or write did not finish within its timeout.
class TimeoutError : public IoError {
 public:
  using IoError::IoError;
};

// The peer closed the connection (or the input ended) in the middle of something.
class ClosedError : public IoError {
 public:
  using IoError::IoError;
};

// Bytes arrived that violate the format: an over-long varint, a length beyond its cap, a bad checksum.
class ProtocolError : public IoError {
 public:
  using IoError::IoError;
};

}  // namespace ypa::wire

namespace ypa::wire {

// Inside a catch block: re-throws the IoError being handled as the same type with `prefix` and
// `suffix` around its message (any other exception is re-thrown untouched).
[[noreturn]] void rethrow_with_context(std::string_view prefix, std::string_view suffix);

}  // namespace ypa::wire
