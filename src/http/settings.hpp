// Settings of `ypa serve` (SPEC §11: API_JWT_SECRET, API_LISTEN) and the API's own tuning variables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/allowed_hosts.hpp"

namespace ypa::http {

struct ApiSettings {
  std::string host = "127.0.0.1";  // API_LISTEN host:port
  std::uint16_t port = 8000;
  std::string jwt_secret;             // API_JWT_SECRET: the Django SECRET_KEY simplejwt signs with
  int threads = 128;                  // API_THREADS: connections served at once (keep-alive holds one)
  int pool_size = 16;                 // API_POOL_SIZE: ClickHouse connections at most
  int pool_wait_ms = 2000;            // API_POOL_WAIT_MS: longest wait for a free connection
  int connect_timeout_ms = 1000;      // API_CH_CONNECT_TIMEOUT_MS
  int query_timeout_ms = 5000;        // API_CH_QUERY_TIMEOUT_MS: no progress for this long fails a query
  int cache_ms = 1000;                // API_CACHE_MS: lifetime of cached 200 responses, 0 switches it off
  int cache_max_mb = 64;              // API_CACHE_MAX_MB: answers the response cache holds at most, MiB
  int names_ttl_s = 60;               // API_NAMES_TTL_S: lifetime of the shop and iPhone names
  // API_ALLOWED_HOSTS / --allowed-hosts: the Host headers answered (others get 400); unset: the
  // defaults of AllowedHosts::defaults (loopback names, the listen address, the base URL's host).
  std::optional<AllowedHosts> allowed_hosts;
  // API_BASE_URL: scheme://host[:port][/prefix] that pagination links start with, for a server behind a
  // reverse proxy; empty: "http://" and the request's Host header.
  std::string base_url;
  int keep_alive_s = 5;        // API_KEEP_ALIVE_S: longest wait for a connection's next request
  int keep_alive_max = 100;    // API_KEEP_ALIVE_MAX: requests per connection
  int read_timeout_s = 10;     // API_READ_TIMEOUT_S: longest a request may take to arrive, from its first byte
  // POST /api/token/ and /api/token/refresh/ (simplejwt's ACCESS_ and REFRESH_TOKEN_LIFETIME).
  int access_lifetime_s = 300;      // API_JWT_ACCESS_LIFETIME_S
  int refresh_lifetime_s = 86400;   // API_JWT_REFRESH_LIFETIME_S
  int login_max_failures = 5;       // API_LOGIN_MAX_FAILURES: failed logins per client address per window
  int login_window_s = 60;          // API_LOGIN_WINDOW_S
  int compare_max_days = 366;       // API_COMPARE_MAX_DAYS: longest range of /api/runs/compare/

  // Reads the variables above; InputError naming the first malformed one.
  static ApiSettings from_env();
  // "host:port", "[::1]:port" or ":port"; InputError naming `what` when malformed.
  void set_listen(std::string_view listen, std::string_view what);
  std::string listen() const;
  // A comma-separated list of host patterns; InputError naming `what` when one can never match.
  void set_allowed_hosts(std::string_view list, std::string_view what);
  // http(s)://host[:port][/prefix], kept without a trailing slash; InputError naming `what` otherwise.
  void set_base_url(std::string_view url, std::string_view what);
  // The host of base_url ("" when none), for the default allowed hosts.
  std::string base_url_host() const;
};

}  // namespace ypa::http
