// The project's small exception hierarchy. Each layer throws one of these (or a subclass), and the
// front ends map the kind to an outcome: the CLI to an exit code, the HTTP layer to a status code.
#pragma once

#include <stdexcept>
#include <string>

namespace ypa {

// Base of everything the project throws on purpose; the message names the input and the reason.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input from the person or program calling us: a flag, an environment variable, a request
// parameter. Nothing has been changed when it is thrown. CLI exit 2, HTTP 400.
class InputError : public Error {
 public:
  using Error::Error;
};

// A server or resource we depend on cannot be reached or failed underneath us (network, database,
// file system). Retrying later may succeed. CLI exit 2, HTTP 503.
class UnavailableError : public Error {
 public:
  using Error::Error;
};

// Exit codes shared by every subcommand (documented in docs/cli.md).
enum class ExitCode : int {
  kOk = 0,
  kNegative = 1,  // the command ran and the answer is "no": runs differ, a dry run was not confirmed
  kError = 2,     // bad input, unreachable server, failure
};

}  // namespace ypa
