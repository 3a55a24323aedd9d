#include "http/settings.hpp"

#include <fmt/format.h>

#include <algorithm>

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
  s.cache_max_mb = static_cast<int>(env::get_int("API_CACHE_MAX_MB", s.cache_max_mb, 1, 1 << 20));
  s.names_ttl_s = static_cast<int>(env::get_int("API_NAMES_TTL_S", s.names_ttl_s, 1, 86400));
  if (auto hosts = env::get("API_ALLOWED_HOSTS")) s.set_allowed_hosts(*hosts, "API_ALLOWED_HOSTS");
  if (auto base = env::get("API_BASE_URL")) s.set_base_url(*base, "API_BASE_URL");
  s.keep_alive_s = static_cast<int>(env::get_int("API_KEEP_ALIVE_S", s.keep_alive_s, 1, 3600));
  s.keep_alive_max = static_cast<int>(env::get_int("API_KEEP_ALIVE_MAX", s.keep_alive_max, 1, 1000000));
  s.read_timeout_s = static_cast<int>(env::get_int("API_READ_TIMEOUT_S", s.read_timeout_s, 1, 3600));
  s.access_lifetime_s = static_cast<int>(env::get_int("API_JWT_ACCESS_LIFETIME_S", s.access_lifetime_s, 1, 31'536'000));
  s.refresh_lifetime_s =
      static_cast<int>(env::get_int("API_JWT_REFRESH_LIFETIME_S", s.refresh_lifetime_s, 1, 31'536'000));
  s.login_max_failures = static_cast<int>(env::get_int("API_LOGIN_MAX_FAILURES", s.login_max_failures, 1, 1'000'000));
  s.login_window_s = static_cast<int>(env::get_int("API_LOGIN_WINDOW_S", s.login_window_s, 1, 86400));
  s.compare_max_days = static_cast<int>(env::get_int("API_COMPARE_MAX_DAYS", s.compare_max_days, 1, 3660));
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

void ApiSettings::set_allowed_hosts(std::string_view list, std::string_view what) {
  allowed_hosts = AllowedHosts::parse(list, what);
}

namespace {

// "https://example.com:8443/prefix" -> {scheme, authority, path}; nullopt when it is not that shape.
struct UrlParts {
  std::string_view scheme, authority, path;
};
std::optional<UrlParts> split_url(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  UrlParts p;
  p.scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  auto slash = rest.find('/');
  p.authority = rest.substr(0, slash);
  p.path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  return p;
}

}  // namespace

void ApiSettings::set_base_url(std::string_view url, std::string_view what) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  auto parts = split_url(url);
  const bool path_ok = parts && parts->path.find_first_of("?#\\") == std::string_view::npos &&
                       std::all_of(parts->path.begin(), parts->path.end(),
                                   [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; });
  if (!parts || (parts->scheme != "http" && parts->scheme != "https") || !split_host(parts->authority) ||
      !path_ok) {
    throw InputError(fmt::format("{}: {} is not a base URL such as https://prices.example.com or "
                                 "https://example.com/ypa (scheme http or https, a host, an optional path; "
                                 "no query)",
                                 what, url));
  }
  base_url = std::string(url);
}

std::string ApiSettings::base_url_host() const {
  auto parts = split_url(base_url);
  if (!parts) return {};
  auto named = split_host(parts->authority);
  return named ? named->domain : std::string();
}

}  // namespace ypa::http
