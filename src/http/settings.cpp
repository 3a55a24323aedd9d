#include "http/settings.hpp"

#include <fmt/format.h>

#include "core/env.hpp"
#include "core/errors.hpp"

namespace ypa::http {

ApiSettings ApiSettings::from_env() {
  ApiSettings s;
  if (auto listen = env::get("API_LISTEN")) s.set_listen(*listen, "API_LISTEN");
  s.jwt_secret = env::get_or("API_JWT_SECRET", "");
  s.threads = static_cast<int>(env::get_int("API_THREADS", s.threads, 4, 4096));
  s.pool_size = static_cast<int>(env::get_int("API_POOL_SIZE", s.pool_size, 1, 1024));
  s.pool_wait_ms = static_cast<int>(env::get_int("API_POOL_WAIT_MS", s.pool_wait_ms, 1, 600000));
  s.connect_timeout_ms =
      static_cast<int>(env::get_int("API_CH_CONNECT_TIMEOUT_MS", s.connect_timeout_ms, 10, 600000));
  s.query_timeout_ms = static_cast<int>(env::get_int("API_CH_QUERY_TIMEOUT_MS", s.query_timeout_ms, 10, 3600000));
  s.cache_ms = static_cast<int>(env::get_int("API_CACHE_MS", s.cache_ms, 0, 3600000));
  s.names_ttl_s = static_cast<int>(env::get_int("API_NAMES_TTL_S", s.names_ttl_s, 1, 86400));
  return s;
}

void ApiSettings::set_listen(std::string_view listen, std::string_view what) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    throw InputError(fmt::format("{}: {} is not host:port (e.g. 127.0.0.1:8000)", what, listen));
  }
  std::string_view host_part = listen.substr(0, colon);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  if (host_part.find(':') != std::string_view::npos && listen.front() != '[') {
    throw InputError(fmt::format("{}: {} is ambiguous; write an IPv6 address in brackets, [::1]:8000", what, listen));
  }
  auto port_number = env::parse_int(listen.substr(colon + 1), fmt::format("{} port", what), 1, 65535);
  host = host_part.empty() ? "0.0.0.0" : std::string(host_part);
  port = static_cast<std::uint16_t>(port_number);
}

std::string ApiSettings::listen() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

}  // namespace ypa::http
