// `ypa serve`: the HTTP server around Api (cpp-httplib with a fixed thread pool and the connection
// limits of connection.hpp), the Host header checked against the allowed hosts, request logging and
// metrics, and a clean stop on SIGINT/SIGTERM.
#pragma once

#include <memory>
#include <string>

#include "core/settings.hpp"
#include "http/settings.hpp"

namespace ypa::http {

struct ServeOptions {
  ApiSettings api;
  ClickHouseSettings clickhouse;
  PipelineSettings pipeline;
  std::string postgres_conninfo;  // for names; empty: libpq's PG* variables
  bool auth = true;
};

// Validates the options (InputError: auth off on a non-loopback address, auth on without a secret),
// binds (UnavailableError when the address is taken), prints the address and the allowed hosts and
// serves until SIGINT or SIGTERM.
void serve(const ServeOptions& options);

}  // namespace ypa::http
